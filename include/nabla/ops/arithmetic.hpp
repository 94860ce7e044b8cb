#pragma once
/// \file arithmetic.hpp
/// + - * / and unary minus. Each functor: the function (scalars, batches, duals, expressions),
/// then `partial<I>(y, args...)`, the derivative of the result y with respect to argument I.

#include <cstddef>
#include <string_view>

#include "math.hpp"
#include "op_traits.hpp"

namespace nabla::ops {

struct add : same_type_op {
    static constexpr std::string_view name = "Add";
    template <class A, class B>
    auto operator()(const A& a, const B& b) const {
        if constexpr (math::wrapping_integer<A>) return math::wrap_add(a, b);
        else return a + b;
    }
    // d(l+r)/dl = d(l+r)/dr = 1
    template <std::size_t I, class Y, class L, class R>
    static auto partial(const Y& y, const L&, const R&) { return math::constant_like(y, 1.0); }
};

struct sub : same_type_op {
    static constexpr std::string_view name = "Sub";
    template <class A, class B>
    auto operator()(const A& a, const B& b) const {
        if constexpr (math::wrapping_integer<A>) return math::wrap_sub(a, b);
        else return a - b;
    }
    // d(l-r)/dl = 1, d(l-r)/dr = -1
    template <std::size_t I, class Y, class L, class R>
    static auto partial(const Y& y, const L&, const R&) { return math::constant_like(y, I == 0 ? 1.0 : -1.0); }
};

struct mul : same_type_op {
    static constexpr std::string_view name = "Mul";
    template <class A, class B>
    auto operator()(const A& a, const B& b) const {
        if constexpr (math::wrapping_integer<A>) return math::wrap_mul(a, b);
        else return a * b;
    }
    // d(l*r)/dl = r, d(l*r)/dr = l
    template <std::size_t I, class Y, class L, class R>
    static auto partial(const Y&, const L& l, const R& r) {
        if constexpr (I == 0) return r;
        else return l;
    }
};

/// True division: integer operands give a floating result, as PyTorch's `/`.
struct div : floating_op {
    static constexpr std::string_view name = "Div";
    template <class A, class B>
    auto operator()(const A& a, const B& b) const { return a / b; }
    // d(l/r)/dl = 1/r, d(l/r)/dr = -l/r^2 = -y/r
    template <std::size_t I, class Y, class L, class R>
    static auto partial(const Y& y, const L&, const R& r) {
        if constexpr (I == 0) return math::constant_like(r, 1.0) / r;
        else return -y / r;
    }
};

struct neg : same_type_op {
    static constexpr std::string_view name = "Neg";
    template <class A>
    auto operator()(const A& a) const {
        if constexpr (math::wrapping_integer<A>) return math::wrap_sub(A(0), a);
        // a * -1 rather than 0 - a: -(+0) is -0 (some SIMD negations subtract from +0)
        else if constexpr (std::is_same_v<A, bool>) return !a;
        else return a * math::constant_like(a, -1.0);
    }
    // d(-x)/dx = -1
    template <std::size_t I, class Y, class X>
    static auto partial(const Y& y, const X&) { return math::constant_like(y, -1.0); }
};

}  // namespace nabla::ops
