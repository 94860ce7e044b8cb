#pragma once
/// \file error.hpp
/// The exception hierarchy. Messages follow PyTorch's wording where PyTorch has one.

#include <stdexcept>
#include <string>

namespace nabla {

/// Base of every exception nabla throws.
struct error : std::runtime_error {
    using std::runtime_error::runtime_error;
};
/// Shapes that do not fit: broadcasting, reshape, matrix products, ragged literals.
struct shape_error : error {
    using error::error;
};
/// An index or dimension out of range.
struct index_error : error {
    using error::error;
};
/// An element type that the operation does not accept at run time.
struct dtype_error : error {
    using error::error;
};
/// Misuse of automatic differentiation (backward without a scalar, freed graph, ...).
struct autograd_error : error {
    using error::error;
};

}  // namespace nabla
