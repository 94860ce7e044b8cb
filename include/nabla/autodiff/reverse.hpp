#pragma once
/// \file reverse.hpp
/// The static reverse pass: from an expression's type, the adjoint expression of each of its
/// leaves, composed from the op functors' derivative rules (`partial<I>`). Leaves are numbered
/// depth first. The adjoint of leaf K is the seed times the partials along the one path from the
/// root to K; it is an ordinary expression, evaluated by the same fused kernels as any other.
/// The tape (tape.hpp) and `grad` (grad.hpp) both run this pass; no derivative is written here.

#include <array>
#include <cstddef>
#include <tuple>
#include <utility>

#include "../eval/evaluator.hpp"
#include "../expr/build.hpp"
#include "../expr/node.hpp"

namespace nabla::autodiff {

namespace detail {

// Which child of a node holds leaf K, and how many leaves come before that child.
template <std::size_t K, class... Es>
constexpr std::pair<std::size_t, std::size_t> locate() {
    constexpr std::array<std::size_t, sizeof...(Es)> counts{eval::leaf_count<Es>...};
    std::size_t before = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (K < before + counts[i]) return {i, before};
        before += counts[i];
    }
    return {counts.size(), before};
}

template <class Op, std::size_t I>
constexpr bool differentiable_arg() {
    return Op::differentiable && I >= Op::condition_operands;
}

}  // namespace detail

/// True when a change of leaf K can change the value of E (every op on the path has a
/// derivative with respect to the operand on the path).
template <std::size_t K, class E>
inline constexpr bool differentiable_path = leaf_expression<E>;
template <std::size_t K, class Op, class... Es>
inline constexpr bool differentiable_path<K, node<Op, Es...>> = [] {
    constexpr auto at = detail::locate<K, Es...>();
    using child = std::tuple_element_t<at.first, std::tuple<Es...>>;
    return detail::differentiable_arg<Op, at.first>() && differentiable_path<K - at.second, child>;
}();

template <std::size_t K, class Op, class... Es>
const auto& leaf_at_node(const node<Op, Es...>& n);
template <std::size_t K, class Op, class... Es, class G>
auto leaf_adjoint_node(const node<Op, Es...>& n, const G& adj);

/// The leaf at depth-first position K.
template <std::size_t K, class E>
const auto& leaf_at(const E& e) {
    if constexpr (leaf_expression<E>) {
        static_assert(K == 0);
        return e;
    } else {
        return leaf_at_node<K>(e);
    }
}

/// The contribution to leaf K of an expression whose own adjoint (gradient of the output) is `adj`.
template <std::size_t K, class E, class G>
auto leaf_adjoint(const E& e, const G& adj) {
    if constexpr (leaf_expression<E>) {
        static_assert(K == 0);
        return adj;
    } else {
        return leaf_adjoint_node<K>(e, adj);
    }
}

template <std::size_t K, class Op, class... Es>
const auto& leaf_at_node(const node<Op, Es...>& n) {
    constexpr auto at = detail::locate<K, Es...>();
    return leaf_at<K - at.second>(std::get<at.first>(n.args));
}

template <std::size_t K, class Op, class... Es, class G>
auto leaf_adjoint_node(const node<Op, Es...>& n, const G& adj) {
    constexpr auto at = detail::locate<K, Es...>();
    // d(output)/d(child) by the op's rule, with y = the node itself (recomputed in the loop).
    auto child_adj = std::apply([&](const auto&... a) { return adj * n.op.template partial<at.first>(n, a...); }, n.args);
    return leaf_adjoint<K - at.second>(std::get<at.first>(n.args), child_adj);
}

}  // namespace nabla::autodiff
