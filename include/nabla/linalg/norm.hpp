#pragma once
/// \file norm.hpp
/// Vector and matrix norms, fused with the expression they measure: `nb::norm(a - b)` is one pass.

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "../reductions.hpp"
#include "../staged.hpp"
#include "../tensor.hpp"

namespace nabla {

/// The p-norm of all elements (L2 by default: the Frobenius norm of a matrix). p may be
/// 1, 2, any positive value, or infinity (`std::numeric_limits<double>::infinity()`).
template <expression E>
auto norm(const E& e, double p) {
    static_assert(inexact_element<value_t<E>>,
                  "nabla::norm(x) requires a floating-point tensor or expression, as PyTorch does; convert with .to<float>() first");
    using T = value_t<E>;
    if constexpr (symbolic<E>) {  // inside grad: keep the norm in the graph
        return staged_norm<E, true>(norm(value_of(e), p), e, p, 0, false);
    } else {
    if (p == 2) {
        tensor<T> s = sum(square(e));
        if (s.requires_grad()) return tensor<T>(sqrt(s));  // recorded: a new node on the tape
        using std::sqrt;  // untracked: the root of the one element, in place (duals: found by ADL)
        *s.data() = static_cast<T>(sqrt(*s.data()));
        return s;
    }
    if (p == 1) return sum(abs(e));
    if (std::isinf(p) && p > 0) return amax(abs(e));
    if (!(p > 0)) throw error("norm: p must be positive, got " + std::to_string(p));
    return tensor<T>(pow(sum(pow(abs(e), p)), 1 / p));
    }
}

/// The p-norm along `dim` (with `keepdim`).
template <expression E>
auto norm(const E& e, double p, std::int64_t dim, bool keepdim) {
    static_assert(inexact_element<value_t<E>>,
                  "nabla::norm(x, p, dim) requires a floating-point tensor or expression, as PyTorch does");
    using T = value_t<E>;
    if constexpr (symbolic<E>) {
        return staged_norm<E, false>(norm(value_of(e), p, dim, keepdim), e, p, dim, keepdim);
    } else {
    if (p == 2) return tensor<T>(sqrt(sum(square(e), dim, keepdim)));
    if (p == 1) return sum(abs(e), dim, keepdim);
    if (std::isinf(p) && p > 0) return amax(abs(e), dim, keepdim);
    if (!(p > 0)) throw error("norm: p must be positive, got " + std::to_string(p));
    return tensor<T>(pow(sum(pow(abs(e), p), dim, keepdim), 1 / p));
    }
}

}  // namespace nabla
