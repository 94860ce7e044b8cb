#pragma once
/// \file names.hpp
/// The `grad_fn=<...>` names of recorded nodes: the root op's name + "Backward0", as PyTorch
/// names its nodes ("MulBackward0"), kept in static storage.

#include <array>
#include <cstddef>
#include <string_view>

#include "../core/autograd.hpp"
#include "../expr/node.hpp"

namespace nabla::autodiff {

namespace detail {
template <class Op>
struct node_name {
    static constexpr std::string_view suffix = "Backward0";
    static constexpr std::size_t size = Op::name.size() + suffix.size();
    static constexpr std::array<char, size> chars = [] {
        std::array<char, size> a{};
        std::size_t i = 0;
        for (char c : Op::name) a[i++] = c;
        for (char c : suffix) a[i++] = c;
        return a;
    }();
};
template <class E> struct root_op;
template <class Op, class... Es> struct root_op<node<Op, Es...>> { using type = Op; };
}  // namespace detail

/// "MulBackward0" for an expression whose outermost op is `*`.
template <class E>
std::string_view backward_name() {
    using N = detail::node_name<typename detail::root_op<E>::type>;
    return {N::chars.data(), N::size};
}

/// PyTorch's names of reduction nodes: Backward0 over all dims, Backward1 over some.
inline std::string_view reduction_name(nabla::detail::reduction_kind kind, bool all_dims) {
    using K = nabla::detail::reduction_kind;
    switch (kind) {
        case K::sum: return all_dims ? "SumBackward0" : "SumBackward1";
        case K::mean: return all_dims ? "MeanBackward0" : "MeanBackward1";
        case K::prod: return all_dims ? "ProdBackward0" : "ProdBackward1";
        case K::amax: return "AmaxBackward0";
        case K::amin: return "AminBackward0";
    }
    return "ReductionBackward0";
}

}  // namespace nabla::autodiff
