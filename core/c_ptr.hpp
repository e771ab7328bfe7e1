// The one deleter for every C handle (docs/architecture.md, convention 3): a
// std::unique_ptr whose deleter is the C library's own release function,
// stateless, so the pointer stays one word. Each wrapper names its handle
// types with it (net/glib_handles.hpp, net/gnutls_handles.hpp, and the
// libsrtp, libopus, libpcap and stdio wrappers) and nothing else writes a
// deleter. No C library is included here.
#pragma once

#include <cstdio>
#include <memory>

namespace sigtrust {

template <auto Release>
struct CDeleter {
  template <typename T>
  void operator()(T* p) const {
    if (p) Release(p);
  }
};

// `Release` is a function taking a T*.
template <typename T, auto Release>
using CPtr = std::unique_ptr<T, CDeleter<Release>>;

// A stdio stream (the standard library's own functions may not be named as
// template arguments, hence the one-line function).
inline void close_file(std::FILE* f) { std::fclose(f); }
using FilePtr = CPtr<std::FILE, close_file>;

}  // namespace sigtrust
