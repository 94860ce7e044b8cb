#pragma once
/// \file math.hpp
/// The vocabulary the op functors are written in. Every functor body calls these names
/// unqualified, so one body serves four kinds of argument:
///  - C++ scalars: the overloads below (found by ordinary lookup),
///  - xsimd batches: xsimd's functions of the same names (found by argument-dependent lookup),
///  - expressions and dual numbers: nabla's overloads (found by argument-dependent lookup).
/// `constant_like(x, v)` makes the constant v in x's kind; `like_traits` is specialised for batches
/// (eval/simd.hpp), expressions (expr/) and duals (autodiff/).

#include <cmath>
#include <concepts>
#include <cstdint>
#include <type_traits>

namespace nabla::math {

template <class X>
concept real = std::is_arithmetic_v<X>;

template <real X> X exp(X x) { if constexpr (std::is_floating_point_v<X>) return std::exp(x); else return static_cast<X>(std::exp(double(x))); }
template <real X> X log(X x) { if constexpr (std::is_floating_point_v<X>) return std::log(x); else return static_cast<X>(std::log(double(x))); }
template <real X> X sqrt(X x) { if constexpr (std::is_floating_point_v<X>) return std::sqrt(x); else return static_cast<X>(std::sqrt(double(x))); }
template <real X> X sin(X x) { if constexpr (std::is_floating_point_v<X>) return std::sin(x); else return static_cast<X>(std::sin(double(x))); }
template <real X> X cos(X x) { if constexpr (std::is_floating_point_v<X>) return std::cos(x); else return static_cast<X>(std::cos(double(x))); }
template <real X> X tanh(X x) { if constexpr (std::is_floating_point_v<X>) return std::tanh(x); else return static_cast<X>(std::tanh(double(x))); }
template <real X> X abs(X x) {
    if constexpr (std::is_floating_point_v<X>) return std::fabs(x);
    else if constexpr (std::is_same_v<X, bool>) return x;
    // Wraps like PyTorch for the most negative value instead of overflowing.
    else return x < 0 ? static_cast<X>(0 - static_cast<std::make_unsigned_t<X>>(x)) : x;
}
template <real X> bool isnan(X x) { if constexpr (std::is_floating_point_v<X>) return std::isnan(x); else return false; }
template <real X> X select(bool c, X a, X b) { return c ? a : b; }

/// Integer power by squaring with wrap-around, as PyTorch computes integer pow.
template <std::integral X> X ipow(X base, X exponent) {
    using U = std::make_unsigned_t<X>;
    U result = 1, b = static_cast<U>(base);
    for (auto e = static_cast<std::uint64_t>(exponent); e; e >>= 1, b *= b)
        if (e & 1u) result *= b;
    return static_cast<X>(result);
}
template <real X> X pow(X a, X b) {
    if constexpr (std::is_floating_point_v<X>) return std::pow(a, b);
    else if constexpr (std::is_same_v<X, bool>) return a || !b;
    else return ipow(a, b);
}

/// Wrapping integer arithmetic (signed overflow is undefined in C++, defined as wrap-around in PyTorch).
template <class X> X wrap_add(X a, X b) { using U = std::make_unsigned_t<X>; return static_cast<X>(static_cast<U>(a) + static_cast<U>(b)); }
template <class X> X wrap_sub(X a, X b) { using U = std::make_unsigned_t<X>; return static_cast<X>(static_cast<U>(a) - static_cast<U>(b)); }
template <class X> X wrap_mul(X a, X b) { using U = std::make_unsigned_t<X>; return static_cast<X>(static_cast<U>(a) * static_cast<U>(b)); }

/// Makes the constant `v` in the kind of `X` (a scalar type, a SIMD batch, an expression, a dual).
template <class X, class = void>
struct like_traits {
    static constexpr X constant(double v) noexcept { return static_cast<X>(v); }
};
template <class X>
auto constant_like(const X&, double v) {
    return like_traits<X>::constant(v);
}

/// True for C++ integral scalars other than bool: the ones whose arithmetic must wrap.
template <class X>
inline constexpr bool wrapping_integer = std::is_integral_v<X> && !std::is_same_v<X, bool>;

/// How an engine applies an op functor to element values: `op(args...)`, unless a kind of argument
/// customises it with a function `invoke_op(op, args...)` found by argument-dependent lookup.
/// Dual numbers do (autodiff/dual.hpp): with a dual argument the result's tangents come from the
/// op's derivative rule `partial<I>`, not from differentiating its body operation by operation.
template <class Op, class... As>
constexpr decltype(auto) invoke(const Op& op, const As&... as) {
    if constexpr (requires { invoke_op(op, as...); }) return invoke_op(op, as...);
    else return op(as...);
}

}  // namespace nabla::math
