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
    if (!(p > 0)) throw error("norm: p must be positive, got " + std::to_string(p));
    if (detail::grad_mode() && tensor<T>::any_requires_grad(e)) {  // recorded: the reduction, then the root
        if (p == 2) return tensor<T>(sqrt(sum(square(e))));
        if (p == 1) return sum(abs(e));
        if (std::isinf(p)) return amax(abs(e));
        return tensor<T>(pow(sum(pow(abs(e), p)), 1 / p));
    }
    // untracked: one pass, one allocation (the result). For p = 2 and 1 the row kernel reads e²
    // or |e| directly (no node copying e's operands); the root is taken in place.
    if (std::isinf(p)) return amax(abs(e));
    if (p != 1 && p != 2) {
        tensor<T> s = sum(pow(abs(e), p));
        s.copy_(pow(s, 1 / p));
        return s;
    }
    tensor<T> s(T(0));
    if (p == 1) {
        eval::reduce_all(s.data(), e, ops::sum_op{}, static_cast<ops::abs_fn*>(nullptr));
    } else {
        eval::reduce_all(s.data(), e, ops::sum_op{}, static_cast<ops::square_fn*>(nullptr));
        using std::sqrt;  // duals: found by ADL
        *s.data() = static_cast<T>(sqrt(*s.data()));
    }
    return s;
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
    if (!(p > 0)) throw error("norm: p must be positive, got " + std::to_string(p));
    if (p == 1) return sum(abs(e), dim, keepdim);
    if (std::isinf(p)) return amax(abs(e), dim, keepdim);
    if (detail::grad_mode() && tensor<T>::any_requires_grad(e)) {  // recorded: the reduction, then the root
        if (p == 2) return tensor<T>(sqrt(sum(square(e), dim, keepdim)));
        return tensor<T>(pow(sum(pow(abs(e), p), dim, keepdim), 1 / p));
    }
    // untracked: the root is taken in place, so the result is the only allocation
    if (p == 2) {
        tensor<T> s = sum(square(e), dim, keepdim);
        s.copy_(sqrt(s));
        return s;
    }
    tensor<T> s = sum(pow(abs(e), p), dim, keepdim);
    s.copy_(pow(s, 1 / p));
    return s;
    }
}

}  // namespace nabla
