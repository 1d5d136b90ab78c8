// Expected outcomes the caller branches on are values, not exceptions (STYLE.md, Errors).
#pragma once

#include <tl/expected.hpp>

#include "util/error.hpp"

namespace espfab {

template <typename T>
using Result = tl::expected<T, Error>;

using tl::make_unexpected;

}  // namespace espfab
