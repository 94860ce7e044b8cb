#pragma once
/// \file traits.hpp
/// What makes a type an expression, and how operands are held.

#include <cstddef>
#include <type_traits>
#include <utility>

#include "../core/dtype.hpp"
#include "../core/shape.hpp"

namespace nabla {

/// Any nabla expression: a tensor, a scalar operand, or a node. Each declares `value_type` and the
/// tag `nabla_expression_tag`; each has `shape()`.
template <class E>
concept expression = requires { typename std::remove_cvref_t<E>::nabla_expression_tag; };

/// A leaf that reads memory (a tensor): it also has `data()` and `strides()`.
template <class E>
concept leaf_expression = expression<E> && requires { typename std::remove_cvref_t<E>::nabla_leaf_tag; };

/// A symbolic expression: one that reads an argument of `nabla::grad(f)` (directly or through a
/// staged reduction, product or view). Leaves declare `nabla_symbolic_tag`; nodes inherit it from
/// their operands (node.hpp). Reductions and products of symbolic expressions stay in the graph.
template <class E>
struct is_symbolic : std::bool_constant<requires { typename E::nabla_symbolic_tag; }> {};
template <class E>
concept symbolic = expression<E> && is_symbolic<std::remove_cvref_t<E>>::value;

/// The element type an expression produces.
template <expression E>
using value_t = typename std::remove_cvref_t<E>::value_type;

/// An argument of an element-wise function: an expression or a C++ arithmetic value.
template <class A>
concept operand = expression<A> || arithmetic_scalar<A>;

/// A scalar operand inside an expression. It is "weak" as in PyTorch: it never widens a tensor
/// within its kind (float tensor * 2.0 stays float; int32 tensor + 2 stays int32).
template <class S>
struct scalar {
    using nabla_expression_tag = void;
    using value_type = S;
    S value;
    static nabla::shape shape() noexcept { return {}; }
};

namespace detail {

template <class E> struct is_scalar_operand : std::false_type {};
template <class S> struct is_scalar_operand<scalar<S>> : std::true_type {};

/// How an argument is stored in a node: expressions by value (a tensor handle copy keeps its data
/// alive), arithmetic values wrapped in `scalar`.
template <class A>
using operand_t = std::conditional_t<expression<A>, std::remove_cvref_t<A>, scalar<std::remove_cvref_t<A>>>;

template <class A>
constexpr decltype(auto) wrap_operand(A&& a) {
    if constexpr (expression<A>) return std::forward<A>(a);
    else return scalar<std::remove_cvref_t<A>>{a};
}

// Type promotion over a node's operands: tensors and nodes promote among themselves; weak scalars
// apply afterwards; if every operand is a scalar, the scalars' default types promote.
template <class P, class E, bool Weak>
struct strong_step_impl { using type = P; };
template <class E>
struct strong_step_impl<void, E, false> { using type = value_t<E>; };
template <class P, class E>
struct strong_step_impl<P, E, false> { using type = promote_t<P, value_t<E>>; };
template <class P, class E>
struct strong_step : strong_step_impl<P, E, is_scalar_operand<E>::value> {};

template <class P, class E, bool Weak>
struct weak_step_impl { using type = P; };
template <class P, class E>
struct weak_step_impl<P, E, true> { using type = promote_scalar_t<P, value_t<E>>; };
template <class P, class E>
struct weak_step : weak_step_impl<P, E, is_scalar_operand<E>::value> {};

// Only scalars: C++ arithmetic keeps its own floating type (derivative rules build such nodes:
// 1 / r for a double r must stay double), integers and bools as PyTorch's defaults.
template <class S>
using scalar_element_t = std::conditional_t<inexact_element<S>, S, default_element_t<S>>;
template <class P, class E>
struct default_step { using type = promote_t<P, scalar_element_t<value_t<E>>>; };

template <template <class, class> class Step, class P, class... Es>
struct fold;
template <template <class, class> class Step, class P>
struct fold<Step, P> { using type = P; };
template <template <class, class> class Step, class P, class E, class... Es>
struct fold<Step, P, E, Es...> { using type = typename fold<Step, typename Step<P, E>::type, Es...>::type; };

template <class... Es>
struct promoted {
    using strong = typename fold<strong_step, void, Es...>::type;
    using type = typename std::conditional_t<std::is_void_v<strong>, fold<default_step, bool, Es...>,
                                             fold<weak_step, std::conditional_t<std::is_void_v<strong>, bool, strong>, Es...>>::type;
};

// Drops the first N types of a pack (where's condition takes no part in promotion).
template <std::size_t N, class... Es> struct promoted_after;
template <class... Es> struct promoted_after<0, Es...> { using type = typename promoted<Es...>::type; };
template <std::size_t N, class E, class... Es> requires(N > 0) struct promoted_after<N, E, Es...> { using type = typename promoted_after<N - 1, Es...>::type; };

}  // namespace detail

/// The type an element-wise op computes in for its operands (after promotion).
template <class Op, class... Es>
using compute_type_t = typename Op::template compute_t<typename detail::promoted_after<Op::condition_operands, Es...>::type>;

/// The element type an element-wise op produces for its operands.
template <class Op, class... Es>
using result_type_t = typename Op::template result_t<typename detail::promoted_after<Op::condition_operands, Es...>::type>;

}  // namespace nabla
