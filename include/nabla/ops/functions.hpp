#pragma once
/// \file functions.hpp
/// Element-wise math functions: abs exp log sqrt sin cos tanh sigmoid relu square pow maximum
/// minimum clamp where. One functor each; its derivative rule is the only one in the library.

#include <cstddef>
#include <string_view>

#include "math.hpp"
#include "op_traits.hpp"

namespace nabla::ops {

struct abs_fn : same_type_op {
    static constexpr std::string_view name = "Abs";
    template <class X>
    auto operator()(const X& x) const { using namespace math; return abs(x); }
    // d|x|/dx = sign(x), 0 at 0 (PyTorch's sgn)
    template <std::size_t I, class Y, class X>
    static auto partial(const Y&, const X& x) {
        using namespace math;
        const auto zero = constant_like(x, 0.0);
        return select(x > zero, constant_like(x, 1.0), select(x < zero, constant_like(x, -1.0), zero));
    }
};

struct exp_fn : floating_op {
    static constexpr std::string_view name = "Exp";
    template <class X>
    auto operator()(const X& x) const { using namespace math; return exp(x); }
    // d exp(x)/dx = exp(x)
    template <std::size_t I, class Y, class X>
    static auto partial(const Y& y, const X&) { return y; }
};

struct log_fn : floating_op {
    static constexpr std::string_view name = "Log";
    template <class X>
    auto operator()(const X& x) const { using namespace math; return log(x); }
    // d log(x)/dx = 1/x
    template <std::size_t I, class Y, class X>
    static auto partial(const Y&, const X& x) { return math::constant_like(x, 1.0) / x; }
};

struct sqrt_fn : floating_op {
    static constexpr std::string_view name = "Sqrt";
    template <class X>
    auto operator()(const X& x) const { using namespace math; return sqrt(x); }
    // d sqrt(x)/dx = 1/(2 sqrt(x))
    template <std::size_t I, class Y, class X>
    static auto partial(const Y& y, const X&) { return math::constant_like(y, 0.5) / y; }
};

struct sin_fn : floating_op {
    static constexpr std::string_view name = "Sin";
    template <class X>
    auto operator()(const X& x) const { using namespace math; return sin(x); }
    // d sin(x)/dx = cos(x)
    template <std::size_t I, class Y, class X>
    static auto partial(const Y&, const X& x) { using namespace math; return cos(x); }
};

struct cos_fn : floating_op {
    static constexpr std::string_view name = "Cos";
    template <class X>
    auto operator()(const X& x) const { using namespace math; return cos(x); }
    // d cos(x)/dx = -sin(x)
    template <std::size_t I, class Y, class X>
    static auto partial(const Y&, const X& x) { using namespace math; return -sin(x); }
};

struct tanh_fn : floating_op {
    static constexpr std::string_view name = "Tanh";
    template <class X>
    auto operator()(const X& x) const { using namespace math; return tanh(x); }
    // d tanh(x)/dx = 1 - tanh(x)^2
    template <std::size_t I, class Y, class X>
    static auto partial(const Y& y, const X&) { return math::constant_like(y, 1.0) - y * y; }
};

struct sigmoid_fn : floating_op {
    static constexpr std::string_view name = "Sigmoid";
    template <class X>
    auto operator()(const X& x) const {
        using namespace math;
        const auto one = constant_like(x, 1.0);
        return one / (one + exp(-x));
    }
    // d s(x)/dx = s(x) (1 - s(x))
    template <std::size_t I, class Y, class X>
    static auto partial(const Y& y, const X&) { return y * (math::constant_like(y, 1.0) - y); }
};

/// max(x, 0); keeps NaN and -0. as PyTorch's CPU kernel does.
struct relu_fn : same_type_op {
    static constexpr std::string_view name = "Relu";
    template <class X>
    auto operator()(const X& x) const {
        using namespace math;
        const auto zero = constant_like(x, 0.0);
        return select(x < zero, zero, x);
    }
    // d relu(x)/dx = 1 where x > 0, else 0
    template <std::size_t I, class Y, class X>
    static auto partial(const Y&, const X& x) {
        using namespace math;
        const auto zero = constant_like(x, 0.0);
        return select(x > zero, constant_like(x, 1.0), zero);
    }
};

struct square_fn : same_type_op {
    static constexpr std::string_view name = "Pow";
    template <class X>
    auto operator()(const X& x) const {
        if constexpr (math::wrapping_integer<X>) return math::wrap_mul(x, x);
        else return x * x;
    }
    // d x^2/dx = 2x
    template <std::size_t I, class Y, class X>
    static auto partial(const Y&, const X& x) { return math::constant_like(x, 2.0) * x; }
};

struct pow_fn : same_type_op {
    static constexpr std::string_view name = "Pow";
    template <element P> static constexpr bool simd = floating_element<P>;
    template <class A, class B>
    auto operator()(const A& a, const B& b) const { using namespace math; return pow(a, b); }
    // d l^r/dl = r l^(r-1) (0 where r == 0); d l^r/dr = l^r log(l) (0 where l == 0 and r >= 0)
    template <std::size_t I, class Y, class L, class R>
    static auto partial(const Y& y, const L& l, const R& r) {
        using namespace math;
        const auto zero = constant_like(l, 0.0);
        if constexpr (I == 0) return select(r == zero, zero, r * pow(l, r - constant_like(r, 1.0)));
        else return select((l == zero) & (r >= zero), zero, y * log(l));
    }
};

/// Element-wise maximum; a NaN in either operand gives NaN; ties return the left operand.
struct maximum_fn : same_type_op {
    static constexpr std::string_view name = "Maximum";
    template <class A, class B>
    auto operator()(const A& a, const B& b) const { using namespace math; return select((a >= b) | isnan(a), a, b); }
    // d max(l,r)/dl = 1 where l > r, 1/2 at ties, else 0 (PyTorch splits ties)
    template <std::size_t I, class Y, class L, class R>
    static auto partial(const Y&, const L& l, const R& r) {
        using namespace math;
        const auto zero = constant_like(l, 0.0);
        const auto half = constant_like(l, 0.5), one = constant_like(l, 1.0);
        if constexpr (I == 0) return select(l > r, one, select(l == r, half, zero));
        else return select(r > l, one, select(l == r, half, zero));
    }
};

/// Element-wise minimum; a NaN in either operand gives NaN; ties return the left operand.
struct minimum_fn : same_type_op {
    static constexpr std::string_view name = "Minimum";
    template <class A, class B>
    auto operator()(const A& a, const B& b) const { using namespace math; return select((a <= b) | isnan(a), a, b); }
    // d min(l,r)/dl = 1 where l < r, 1/2 at ties, else 0
    template <std::size_t I, class Y, class L, class R>
    static auto partial(const Y&, const L& l, const R& r) {
        using namespace math;
        const auto zero = constant_like(l, 0.0);
        const auto half = constant_like(l, 0.5), one = constant_like(l, 1.0);
        if constexpr (I == 0) return select(l < r, one, select(l == r, half, zero));
        else return select(r < l, one, select(l == r, half, zero));
    }
};

/// clamp(x, lo, hi); NaN stays NaN. The bounds are stored with the op (they are scalars).
struct clamp_fn : same_type_op {
    static constexpr std::string_view name = "Clamp";
    double lo, hi;
    template <class X>
    auto operator()(const X& x) const {
        using namespace math;
        const auto l = constant_like(x, lo), h = constant_like(x, hi);
        return select(x < l, l, select(x > h, h, x));
    }
    // d clamp(x)/dx = 1 where lo <= x <= hi, else 0
    template <std::size_t I, class Y, class X>
    auto partial(const Y&, const X& x) const {
        using namespace math;
        return select((x >= constant_like(x, lo)) & (x <= constant_like(x, hi)), constant_like(x, 1.0),
                      constant_like(x, 0.0));
    }
};

/// where(c, a, b): a where c is true, else b. The condition takes no part in promotion.
struct where_fn : same_type_op {
    static constexpr std::string_view name = "Where";
    static constexpr std::size_t condition_operands = 1;
    template <element P> static constexpr bool simd = false;
    template <class C, class A, class B>
    auto operator()(const C& c, const A& a, const B& b) const { using namespace math; return select(c, a, b); }
    // d where(c,a,b)/da = c, d/db = !c; the condition has no derivative
    template <std::size_t I, class Y, class C, class A, class B>
    static auto partial(const Y& y, const C& c, const A&, const B&) {
        using namespace math;
        const auto one = constant_like(y, 1.0), zero = constant_like(y, 0.0);
        if constexpr (I == 1) return select(c, one, zero);
        else return select(c, zero, one);
    }
};

}  // namespace nabla::ops
