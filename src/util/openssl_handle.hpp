// One owner for every OpenSSL object: a unique_ptr whose deleter is the object's own free
// function, named in the type (OpenSslHandle<X509, X509_free>). Each module keeps its short
// aliases (X509Ptr, EvpPkeyPtr, ...) on top of this one template.
#pragma once

#include <memory>

namespace espfab {

// A stateless deleter that calls Free; the pointer it gets is never null (unique_ptr skips null).
template <auto Free>
struct FreeFn {
  template <typename T>
  void operator()(T* handle) const noexcept {
    Free(handle);
  }
};

template <typename T, auto Free>
using OpenSslHandle = std::unique_ptr<T, FreeFn<Free>>;

}  // namespace espfab
