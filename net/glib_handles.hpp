// RAII for GLib/GObject handles, with stateless deleters (docs/architecture.md, convention 3).
#pragma once

#include <glib-object.h>
#include <glib.h>

#include <memory>

namespace sigtrust {

template <auto Fn>
struct FnDeleter {
  template <typename T>
  void operator()(T* p) const {
    if (p) Fn(p);
  }
};

using MainContextPtr = std::unique_ptr<GMainContext, FnDeleter<g_main_context_unref>>;
using SourcePtr = std::unique_ptr<GSource, FnDeleter<g_source_unref>>;
using BytesPtr = std::unique_ptr<GBytes, FnDeleter<g_bytes_unref>>;
using ErrorPtr = std::unique_ptr<GError, FnDeleter<g_error_free>>;
using CharPtr = std::unique_ptr<gchar, FnDeleter<g_free>>;

// Any GObject subclass.
template <typename T>
using ObjectPtr = std::unique_ptr<T, FnDeleter<g_object_unref>>;

}  // namespace sigtrust
