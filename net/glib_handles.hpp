// RAII for GLib/GObject handles (docs/architecture.md, convention 3), the one
// GError checker (convention 4), and the one way an owned C++ object travels
// through a C callback's user data.
#pragma once

#include <glib-object.h>
#include <glib.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/c_ptr.hpp"

namespace sigtrust {

using MainContextPtr = CPtr<GMainContext, g_main_context_unref>;
using SourcePtr = CPtr<GSource, g_source_unref>;
using BytesPtr = CPtr<GBytes, g_bytes_unref>;
using CharPtr = CPtr<gchar, g_free>;
using HashTablePtr = CPtr<GHashTable, g_hash_table_unref>;

// Any GObject subclass.
template <typename T>
using ObjectPtr = CPtr<T, g_object_unref>;

// A GError out-parameter, owned: pass out() to the GLib call, then ask.
//   GlibError err;
//   if (!g_socket_bind(sock, addr, TRUE, err.out())) throw Failure(err.describe("cannot bind"));
class GlibError {
 public:
  GlibError() = default;
  ~GlibError() { reset(); }
  GlibError(const GlibError&) = delete;
  GlibError& operator=(const GlibError&) = delete;

  // For the call's GError** parameter; drops an error a previous call left.
  GError** out() {
    reset();
    return &error_;
  }
  explicit operator bool() const { return error_ != nullptr; }
  bool matches(GQuark domain, int code) const { return error_ && g_error_matches(error_, domain, code); }
  // GLib's own text, or "unknown error" when the call failed without one.
  std::string text() const { return error_ && error_->message ? error_->message : "unknown error"; }
  // "what: GLib's text".
  std::string describe(std::string_view what) const { return std::string(what) + ": " + text(); }

 private:
  void reset() {
    if (error_) g_error_free(error_);
    error_ = nullptr;
  }
  GError* error_ = nullptr;
};

// An owned object handed to C as user data and taken back in the callback
// that C calls exactly once (an async completion), or freed by the
// GDestroyNotify / GClosureNotify that C calls when it drops the data.
template <typename T>
gpointer give_to_c(std::unique_ptr<T> owned) {
  return owned.release();
}
template <typename T>
std::unique_ptr<T> take_from_c(gpointer data) {
  return std::unique_ptr<T>(static_cast<T*>(data));
}
template <typename T>
void destroy_from_c(gpointer data) {
  delete static_cast<T*>(data);
}
template <typename T>
void destroy_closure_data(gpointer data, GClosure*) {
  delete static_cast<T*>(data);
}

}  // namespace sigtrust
