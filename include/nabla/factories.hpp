#pragma once
/// \file factories.hpp
/// Tensor factories: empty, zeros, ones, full (and *_like), arange, from_blob.
/// Every factory returns `tensor<T>` and takes an optional trailing `nabla::requires_grad`.

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#include "core/error.hpp"
#include "tensor.hpp"

namespace nabla {

namespace detail {
template <class T>
tensor<T> with_grad(tensor<T> t, bool on) {
    if (on) {
        static_assert(floating_element<T> || !std::is_same_v<T, T>,
                      "nabla: only floating point tensors can require gradients (as in PyTorch); use float or double");
        if constexpr (floating_element<T>) {
            if (!t.autograd()) t.autograd() = make_meta();
            t.autograd()->requires_grad = true;
        }
    }
    return t;
}
inline void check_sizes(const shape& s) {
    for (auto d : s)
        if (d < 0)
            throw shape_error("Trying to create tensor with negative dimension " + std::to_string(d) + ": " + s.str());
}
}  // namespace detail

/// Uninitialised tensor of shape s.
template <element T>
tensor<T> empty(const shape& s) {
    detail::check_sizes(s);
    return tensor<T>(s);
}
template <element T>
tensor<T> empty(const shape& s, requires_grad_t) {
    return detail::with_grad(empty<T>(s), true);
}
/// Tensor of shape s filled with v.
template <element T>
tensor<T> full(const shape& s, T v) {
    tensor<T> t = empty<T>(s);
    eval::assign(t.target(), scalar<T>{v});
    return t;
}
template <element T>
tensor<T> full(const shape& s, T v, requires_grad_t) {
    return detail::with_grad(full<T>(s, v), true);
}
/// Zeros of shape s: `nb::zeros<float>({2, 3})`.
template <element T>
tensor<T> zeros(const shape& s) { return full<T>(s, T(0)); }
template <element T>
tensor<T> zeros(const shape& s, requires_grad_t) { return detail::with_grad(zeros<T>(s), true); }
/// Ones of shape s: `nb::ones<float>({4, 9})`.
template <element T>
tensor<T> ones(const shape& s) { return full<T>(s, T(1)); }
template <element T>
tensor<T> ones(const shape& s, requires_grad_t) { return detail::with_grad(ones<T>(s), true); }

/// Same shape and element type as `like`.
template <expression E> auto empty_like(const E& like) { return empty<value_t<E>>(like.shape()); }
template <expression E> auto zeros_like(const E& like) { return zeros<value_t<E>>(like.shape()); }
template <expression E> auto ones_like(const E& like) { return ones<value_t<E>>(like.shape()); }
template <expression E, arithmetic_scalar S> auto full_like(const E& like, S v) {
    return full<value_t<E>>(like.shape(), static_cast<value_t<E>>(v));
}
template <expression E> auto empty_like(const E& like, requires_grad_t) { return detail::with_grad(empty_like(like), true); }
template <expression E> auto zeros_like(const E& like, requires_grad_t) { return detail::with_grad(zeros_like(like), true); }
template <expression E> auto ones_like(const E& like, requires_grad_t) { return detail::with_grad(ones_like(like), true); }
template <expression E, arithmetic_scalar S> auto full_like(const E& like, S v, requires_grad_t) {
    return detail::with_grad(full_like(like, v), true);
}

/// Values start, start+step, ... below end, as PyTorch's `arange` (element type T).
template <element T, arithmetic_scalar A, arithmetic_scalar B, arithmetic_scalar C>
tensor<T> arange(A start, B end, C step) {
    static_assert(!std::is_same_v<T, bool>, "nabla: arange cannot produce bool tensors (as in PyTorch)");
    const double s = static_cast<double>(step), a = static_cast<double>(start), b = static_cast<double>(end);
    if (s == 0) throw error("step must be nonzero");
    if (!std::isfinite(a) || !std::isfinite(b)) throw error("unsupported range: " + number_repr(a) + " -> " + number_repr(b));
    if ((s > 0 && b < a) || (s < 0 && b > a)) throw error("upper bound and larger bound inconsistent with step sign");
    const auto n = static_cast<std::int64_t>(std::ceil((b - a) / s));
    tensor<T> t = empty<T>({n});
    T* p = t.data();
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(a + s * static_cast<double>(i));
    return t;
}
namespace detail {
template <class... A>
using arange_default_t = std::conditional_t<(std::is_floating_point_v<A> || ...), float, std::int64_t>;
}
/// `arange(end)`: integers give int64, floating values give float (PyTorch's default dtype).
/// (The leading `int` parameter keeps `arange<float>(2.5f)` from matching these untyped forms.)
template <int = 0, arithmetic_scalar A>
auto arange(A end) { return arange<detail::arange_default_t<A>>(A(0), end, 1); }
template <int = 0, arithmetic_scalar A, arithmetic_scalar B>
auto arange(A start, B end) { return arange<detail::arange_default_t<A, B>>(start, end, 1); }
template <int = 0, arithmetic_scalar A, arithmetic_scalar B, arithmetic_scalar C>
auto arange(A start, B end, C step) { return arange<detail::arange_default_t<A, B, C>>(start, end, step); }
template <int = 0, arithmetic_scalar A, arithmetic_scalar B>
auto arange(A start, B end, requires_grad_t) { return detail::with_grad(arange(start, end), true); }
template <element T, arithmetic_scalar A, arithmetic_scalar B, arithmetic_scalar C>
tensor<T> arange(A start, B end, C step, requires_grad_t) { return detail::with_grad(arange<T>(start, end, step), true); }
/// `arange<float>(20)`: typed.
template <element T, arithmetic_scalar A>
tensor<T> arange(A end) { return arange<T>(A(0), end, 1); }
/// `arange(20, nb::float32)`.
template <arithmetic_scalar A, element T>
tensor<T> arange(A end, dtype_tag<T>) { return arange<T>(A(0), end, 1); }
/// `arange(4.0, nb::requires_grad)`.
template <int = 0, arithmetic_scalar A>
auto arange(A end, requires_grad_t) { return detail::with_grad(arange(end), true); }
template <element T, arithmetic_scalar A>
tensor<T> arange(A end, requires_grad_t) { return detail::with_grad(arange<T>(A(0), end, 1), true); }
template <arithmetic_scalar A, element T>
tensor<T> arange(A end, dtype_tag<T>, requires_grad_t) { return detail::with_grad(arange<T>(A(0), end, 1), true); }

/// A tensor viewing the caller's memory (no copy), contiguous with shape s. The caller keeps the
/// memory alive as long as any tensor views it.
template <element T>
tensor<T> from_blob(T* data, const shape& s) {
    detail::check_sizes(s);
    if (!data && s.numel() != 0) throw error("from_blob: null data pointer for a non-empty shape");
    return tensor<T>(storage::borrow(data, static_cast<std::size_t>(s.numel()) * sizeof(T)), s, contiguous_strides(s), 0);
}
/// A tensor viewing the caller's memory with explicit strides (in elements).
template <element T>
tensor<T> from_blob(T* data, const shape& s, const strides& st) {
    detail::check_sizes(s);
    if (st.size() != s.size()) throw shape_error("from_blob: strides " + st.str() + " do not match shape " + s.str());
    std::int64_t span = 1;
    for (int i = 0; i < s.size(); ++i) span += (s[i] - 1) * (st[i] < 0 ? -st[i] : st[i]);
    return tensor<T>(storage::borrow(data, static_cast<std::size_t>(span) * sizeof(T)), s, st, 0);
}

}  // namespace nabla
