#pragma once
/// \file node.hpp
/// The one expression node: an element-wise op applied to operands. It stores the op (with its
/// parameters, e.g. clamp's bounds), the operands by value and the broadcast shape; nothing else.
/// `unary_expr` and `binary_expr` name its common arities.

#include <tuple>
#include <utility>

#include "../core/shape.hpp"
#include "methods.hpp"
#include "traits.hpp"

namespace nabla {

/// `Op` applied element-wise to `Es...` (tensors, scalars, nested nodes), broadcast to `shape()`.
/// Holding operands by value makes `auto e = (a + b) * 2;` safe to keep after `a` and `b` are gone.
template <class Op, class... Es>
struct node : node_methods<node<Op, Es...>> {
    using nabla_expression_tag = void;
    using op_type = Op;
    using value_type = result_type_t<Op, Es...>;
    using compute_type = compute_type_t<Op, Es...>;

    node(Op o, std::tuple<Es...> a, nabla::shape s) : op(std::move(o)), args(std::move(a)), shape_(std::move(s)) {}
    /// Builds the operands in place from `as...` (one handle copy per tensor operand, no tuple moves).
    template <class... As>
    node(Op o, const nabla::shape& s, std::in_place_t, As&&... as)
        : op(std::move(o)), args(std::forward<As>(as)...), shape_(s) {}

    const nabla::shape& shape() const noexcept { return shape_; }

    [[no_unique_address]] Op op;
    std::tuple<Es...> args;
    nabla::shape shape_;
};

template <class Op, class E>
using unary_expr = node<Op, E>;
template <class Op, class L, class R>
using binary_expr = node<Op, L, R>;

template <class Op, class... Es>
struct is_symbolic<node<Op, Es...>> : std::bool_constant<(is_symbolic<Es>::value || ...)> {};

namespace detail {
template <class E> struct is_node : std::false_type {};
template <class Op, class... Es> struct is_node<node<Op, Es...>> : std::true_type {};
}  // namespace detail

/// The shape of any operand (a scalar is 0-d).
template <class E>
nabla::shape shape_of(const E& e) {
    if constexpr (detail::is_scalar_operand<E>::value) return {};
    else return e.shape();
}

}  // namespace nabla
