#pragma once
/// \file node.hpp
/// The one expression node: an element-wise op applied to operands. It stores the op (with its
/// parameters, e.g. clamp's bounds), the operands by value and the broadcast shape; nothing else.
/// `unary_expr` and `binary_expr` name its common arities.

#include <tuple>
#include <utility>

#include "../core/shape.hpp"
#include "broadcast.hpp"
#include "methods.hpp"
#include "traits.hpp"

namespace nabla {

namespace detail {

// The shape of an operand, or null for a scalar (0-d: it broadcasts to anything).
template <class A>
const nabla::shape* shape_ptr(const A& a) noexcept {
    if constexpr (!expression<A> || is_scalar_operand<std::remove_cvref_t<A>>::value) return nullptr;
    else return &a.shape();
}

// The broadcast shape of the operands, or PyTorch's size mismatch error. The common case, every
// non-scalar operand of one shape, is one comparison per operand and one copy.
template <class... As>
nabla::shape broadcast_all(const As&... as) {
    const nabla::shape* const ps[] = {shape_ptr(as)...};
    const nabla::shape* first = nullptr;
    bool same = true;
    for (const nabla::shape* p : ps) {
        if (!p) continue;
        if (!first) first = p;
        else same = same && *p == *first;
    }
    if (!first) return {};
    if (same) return *first;
    nabla::shape s;
    for (const nabla::shape* p : ps)
        if (p) s = broadcast_shapes(s, *p);
    return s;
}

/// Tag of the node constructor that works out the broadcast shape of its operands itself.
struct broadcast_operands_t {
    explicit broadcast_operands_t() = default;
};
inline constexpr broadcast_operands_t broadcast_operands{};

}  // namespace detail

/// `Op` applied element-wise to `Es...` (tensors, scalars, nested nodes), broadcast to `shape()`.
/// Holding operands by value makes `auto e = (a + b) * 2;` safe to keep after `a` and `b` are gone.
template <class Op, class... Es>
struct node : node_methods<node<Op, Es...>> {
    using nabla_expression_tag = void;
    using op_type = Op;
    using value_type = result_type_t<Op, Es...>;
    using compute_type = compute_type_t<Op, Es...>;

    node(Op o, std::tuple<Es...> a, nabla::shape s) : shape_(std::move(s)), op(std::move(o)), args(std::move(a)) {}
    /// Builds the operands in place from `as...` (one handle copy per tensor operand, no tuple moves).
    template <class... As>
    node(Op o, const nabla::shape& s, std::in_place_t, As&&... as)
        : shape_(s), op(std::move(o)), args(std::forward<As>(as)...) {}
    /// Checks that `as...` broadcast together and builds the shape and the operands in place. The
    /// shape is written once, straight from the operands' own: a shape copied out of a temporary
    /// that was just written stalls the CPU (a 64-byte load cannot take its data from the
    /// temporary's smaller stores still in flight), which cost ~10 ns per node at small sizes.
    template <class... As>
    node(Op o, detail::broadcast_operands_t, As&&... as)
        : shape_(detail::broadcast_all(as...)), op(std::move(o)), args(std::forward<As>(as)...) {}

    const nabla::shape& shape() const noexcept { return shape_; }

    nabla::shape shape_;  // first: it is worked out from the operands before they are moved in
    [[no_unique_address]] Op op;
    std::tuple<Es...> args;
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
