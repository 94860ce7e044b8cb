#pragma once
/// \file build.hpp
/// The public element-wise vocabulary: operators and functions that build expression nodes.
/// Shapes are checked here, when the expression is built (PyTorch's message on mismatch);
/// nothing is computed until the expression is evaluated.

#include <tuple>
#include <type_traits>
#include <utility>

#include "../core/error.hpp"
#include "../ops/arithmetic.hpp"
#include "../ops/compare.hpp"
#include "../ops/functions.hpp"
#include "broadcast.hpp"
#include "node.hpp"

namespace nabla {

namespace detail {

template <class A>
void check_defined_operand(const A& a) {
    if constexpr (leaf_expression<A>)
        if (!a.defined()) throw error("Expected a proper Tensor but got an undefined Tensor");
}

/// Builds `Op` over the arguments (expressions by value, arithmetic values as weak scalars).
/// The node works out the broadcast shape from the arguments where they are, then copies each
/// tensor operand once, straight into place.
template <class Op, class... As>
auto make_node(Op op, As&&... as) {
    using N = node<Op, operand_t<As>...>;
    (check_defined_operand(as), ...);
    return N(std::move(op), broadcast_operands, wrap_operand(std::forward<As>(as))...);
}

}  // namespace detail

/// Two operands of which at least one is an expression (the other may be a C++ scalar).
template <class A, class B>
concept binary_operands = (expression<A> && operand<B>) || (arithmetic_scalar<A> && expression<B>);

/// Element-wise sum, broadcasting. `a + 2` keeps a's element type (see promotion in API.md).
template <class A, class B>
    requires binary_operands<A, B>
auto operator+(A&& a, B&& b) {
    return detail::make_node(ops::add{}, std::forward<A>(a), std::forward<B>(b));
}
/// Element-wise difference.
template <class A, class B>
    requires binary_operands<A, B>
auto operator-(A&& a, B&& b) {
    static_assert(!(std::is_same_v<value_t<detail::operand_t<A>>, bool> && std::is_same_v<value_t<detail::operand_t<B>>, bool>),
                  "nabla: subtracting two bool tensors (a - b) is not supported, as in PyTorch; use a != b or logical ops");
    return detail::make_node(ops::sub{}, std::forward<A>(a), std::forward<B>(b));
}
/// Element-wise (Hadamard) product.
template <class A, class B>
    requires binary_operands<A, B>
auto operator*(A&& a, B&& b) {
    return detail::make_node(ops::mul{}, std::forward<A>(a), std::forward<B>(b));
}
/// Element-wise true division: integer operands give a float result.
template <class A, class B>
    requires binary_operands<A, B>
auto operator/(A&& a, B&& b) {
    return detail::make_node(ops::div{}, std::forward<A>(a), std::forward<B>(b));
}
/// Element-wise negation.
template <expression A>
auto operator-(A&& a) {
    static_assert(!std::is_same_v<value_t<A>, bool>,
                  "nabla: negating a bool tensor (-a) is not supported, as in PyTorch; use !a (logical not)");
    return detail::make_node(ops::neg{}, std::forward<A>(a));
}

/// Element-wise comparisons, giving bool expressions: `B == B.T()`.
template <class A, class B> requires binary_operands<A, B>
auto operator==(A&& a, B&& b) { return detail::make_node(ops::eq{}, std::forward<A>(a), std::forward<B>(b)); }
template <class A, class B> requires binary_operands<A, B>
auto operator!=(A&& a, B&& b) { return detail::make_node(ops::ne{}, std::forward<A>(a), std::forward<B>(b)); }
template <class A, class B> requires binary_operands<A, B>
auto operator<(A&& a, B&& b) { return detail::make_node(ops::lt{}, std::forward<A>(a), std::forward<B>(b)); }
template <class A, class B> requires binary_operands<A, B>
auto operator<=(A&& a, B&& b) { return detail::make_node(ops::le{}, std::forward<A>(a), std::forward<B>(b)); }
template <class A, class B> requires binary_operands<A, B>
auto operator>(A&& a, B&& b) { return detail::make_node(ops::gt{}, std::forward<A>(a), std::forward<B>(b)); }
template <class A, class B> requires binary_operands<A, B>
auto operator>=(A&& a, B&& b) { return detail::make_node(ops::ge{}, std::forward<A>(a), std::forward<B>(b)); }
/// Element-wise logical and / or / not (any element type; nonzero is true).
template <class A, class B> requires binary_operands<A, B>
auto operator&(A&& a, B&& b) { return detail::make_node(ops::logical_and{}, std::forward<A>(a), std::forward<B>(b)); }
template <class A, class B> requires binary_operands<A, B>
auto operator|(A&& a, B&& b) { return detail::make_node(ops::logical_or{}, std::forward<A>(a), std::forward<B>(b)); }
template <expression A>
auto operator!(A&& a) { return detail::make_node(ops::logical_not{}, std::forward<A>(a)); }

/// |x|, element-wise.
template <expression X> auto abs(X&& x) { return detail::make_node(ops::abs_fn{}, std::forward<X>(x)); }
/// e^x; integer input gives float.
template <expression X> auto exp(X&& x) { return detail::make_node(ops::exp_fn{}, std::forward<X>(x)); }
/// Natural logarithm; integer input gives float.
template <expression X> auto log(X&& x) { return detail::make_node(ops::log_fn{}, std::forward<X>(x)); }
/// Square root; integer input gives float.
template <expression X> auto sqrt(X&& x) { return detail::make_node(ops::sqrt_fn{}, std::forward<X>(x)); }
/// Sine; integer input gives float.
template <expression X> auto sin(X&& x) { return detail::make_node(ops::sin_fn{}, std::forward<X>(x)); }
/// Cosine; integer input gives float.
template <expression X> auto cos(X&& x) { return detail::make_node(ops::cos_fn{}, std::forward<X>(x)); }
/// Hyperbolic tangent; integer input gives float.
template <expression X> auto tanh(X&& x) { return detail::make_node(ops::tanh_fn{}, std::forward<X>(x)); }
/// 1 / (1 + e^-x); integer input gives float.
template <expression X> auto sigmoid(X&& x) { return detail::make_node(ops::sigmoid_fn{}, std::forward<X>(x)); }
/// max(x, 0), keeping NaN.
template <expression X> auto relu(X&& x) { return detail::make_node(ops::relu_fn{}, std::forward<X>(x)); }
/// x * x.
template <expression X> auto square(X&& x) { return detail::make_node(ops::square_fn{}, std::forward<X>(x)); }
/// x^y element-wise; either side may be a scalar (`pow(t, 3)`, `pow(2, t)`).
template <class A, class B> requires binary_operands<A, B>
auto pow(A&& a, B&& b) { return detail::make_node(ops::pow_fn{}, std::forward<A>(a), std::forward<B>(b)); }
/// Element-wise maximum (NaN propagates).
template <class A, class B> requires binary_operands<A, B>
auto maximum(A&& a, B&& b) { return detail::make_node(ops::maximum_fn{}, std::forward<A>(a), std::forward<B>(b)); }
/// Element-wise minimum (NaN propagates).
template <class A, class B> requires binary_operands<A, B>
auto minimum(A&& a, B&& b) { return detail::make_node(ops::minimum_fn{}, std::forward<A>(a), std::forward<B>(b)); }
/// Limits x to [lo, hi] element-wise (NaN stays NaN).
template <expression X>
auto clamp(X&& x, double lo, double hi) { return detail::make_node(ops::clamp_fn{{}, lo, hi}, std::forward<X>(x)); }
/// a where cond is true, b elsewhere; a and b may be scalars. All three broadcast together.
template <expression C, operand A, operand B>
auto where(C&& cond, A&& a, B&& b) {
    return detail::make_node(ops::where_fn{}, std::forward<C>(cond), std::forward<A>(a), std::forward<B>(b));
}
/// The name the op functors' derivative rules use for `where` (xsimd's spelling), so that one
/// rule serves scalars, SIMD batches and expressions.
template <expression C, operand A, operand B>
auto select(C&& cond, A&& a, B&& b) {
    return where(std::forward<C>(cond), std::forward<A>(a), std::forward<B>(b));
}

}  // namespace nabla

/// Constants inside derivative rules applied to expressions are plain (weak) scalars.
template <class X>
    requires nabla::expression<X>
struct nabla::math::like_traits<X, void> {
    static constexpr double constant(double v) noexcept { return v; }
};
