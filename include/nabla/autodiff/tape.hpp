#pragma once
/// \file tape.hpp
/// The runtime tape, with PyTorch's semantics. Evaluating an expression that reads a tensor
/// requiring grad records ONE node, however long the expression; the node saves the expression
/// (its leaves are tensor handles: no intermediates are kept) and its backward runs the static
/// reverse pass — one fused loop for all inputs that need a gradient (eval/reverse_region.hpp),
/// summing broadcast dimensions back in the same pass. Reductions, scans, products and views record
/// their own nodes. Nodes are owned by the tensors they produced (as in PyTorch), so a graph
/// lives exactly as long as something can still reach it; they are allocated in the recording
/// thread's arena (arena.hpp), so the tape is per thread and flat in memory, and graphs on
/// different threads never meet.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/autograd.hpp"
#include "../eval/reduce.hpp"
#include "../eval/reverse_region.hpp"
#include "../ops/reductions.hpp"
#include "../tensor.hpp"
#include "arena.hpp"
#include "names.hpp"
#include "reverse.hpp"
#include "rules.hpp"

namespace nabla::autodiff {

/// The gradient slot that `t` feeds (allocated, zero, on first use): its `.grad()` if it is a
/// leaf, else the pending gradient of the node that made it.
template <class T>
tensor<T>& grad_slot(const tensor<T>& t) {
    const auto& meta = t.autograd();
    std::shared_ptr<void>& slot = meta->grad_fn ? meta->grad_fn->pending : meta->grad;
    if (!slot) slot = make_on_tape<tensor<T>>(zeros<T>(t.shape()));
    return *static_cast<tensor<T>*>(slot.get());
}

/// Adds `adj` (an expression whose shape broadcasts from t's shape) into the gradient slot that
/// `t` feeds: its `.grad()` if it is a leaf, else the pending gradient of the node that made it.
/// Broadcast dimensions are summed in the same fused pass.
template <class T, class A>
void accumulate(const tensor<T>& t, const A& adj, const shape& region = {}) {
    if (!t.requires_grad()) return;
    tensor<T>& dst = grad_slot(t);
    // The adjoint may be smaller than the leaf (a reduction's seed), or larger (broadcast operands);
    // it stands for every element of the expression it came from (`region`), so a leaf broadcast
    // in that expression sums over all of them even where the adjoint itself is constant.
    const shape s = broadcast_shapes(broadcast_shapes(adj.shape(), region), dst.shape());
    eval::reduce(eval::target<T>{dst.data(), s, broadcast_strides(dst.shape(), dst.strides(), s)}, adj, ops::sum_op{});
}

/// Leaves of E that can take a gradient in the fused kernel: tensors of the region's type T
/// reached through differentiable operands (whether they require grad is known at run time).
template <class E, class T>
constexpr auto tape_leaves() {
    std::array<bool, eval::leaf_count<E>> m{};
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        ((m[K] = differentiable_path<K, E> &&
                 std::is_same_v<std::remove_cvref_t<decltype(leaf_at<K>(std::declval<const E&>()))>, tensor<T>>),
         ...);
    }(std::make_index_sequence<eval::leaf_count<E>>{});
    return m;
}

/// The fused kernel applies when the seed and every differentiable floating leaf hold E's type.
template <class E, class G>
inline constexpr bool tape_fused = [] {
    using T = value_t<E>;
    if (!floating_element<T> || !std::is_same_v<value_t<G>, T>) return false;
    constexpr auto m = tape_leaves<E, T>();
    bool ok = true;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        // (dual-number leaves, e.g. a mask computed from duals, keep the per-leaf loops)
        ((ok = ok && !is_dual_element<value_t<decltype(leaf_at<K>(std::declval<const E&>()))>> &&
               (m[K] || !differentiable_path<K, E> ||
                !floating_element<value_t<decltype(leaf_at<K>(std::declval<const E&>()))>>)),
         ...);
    }(std::make_index_sequence<eval::leaf_count<E>>{});
    return ok;
}();

/// Runs the static reverse pass of `e` for the seed `seed` (shape broadcastable to e's) and
/// accumulates each leaf's contribution: one fused loop for all leaves (eval/reverse_region.hpp)
/// when they share the expression's type, else one fused loop per leaf.
template <class E, class G>
void propagate(const E& e, const G& seed) {
    if constexpr (tape_fused<E, G>) {
        using T = value_t<E>;
        constexpr std::size_t LE = eval::leaf_count<E>;
        constexpr auto mask = tape_leaves<E, T>();
        const shape sizes = broadcast_shapes(e.shape(), shape_of(seed));
        std::array<eval::sink<T>, LE> sinks{};
        bool any = false;
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            (
                [&] {
                    if constexpr (mask[K]) {
                        const auto& leaf = leaf_at<K>(e);
                        if (!leaf.requires_grad()) return;
                        tensor<T>& buf = grad_slot(leaf);
                        sinks[K] = {buf.data(), leaf.shape() == sizes ? buf.strides()
                                                                      : broadcast_strides(leaf.shape(), buf.strides(), sizes)};
                        any = true;
                    }
                }(),
                ...);
        }(std::make_index_sequence<LE>{});
        if (any) eval::reverse_region<mask, T>(e, seed, sizes, sinks);
        return;
    }
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        (
            [&] {
                if constexpr (differentiable_path<K, E> && floating_element<value_t<decltype(leaf_at<K>(e))>>) {
                    const auto& leaf = leaf_at<K>(e);
                    if (leaf.requires_grad()) accumulate(leaf, leaf_adjoint<K>(e, seed), e.shape());
                }
            }(),
            ...);
    }(std::make_index_sequence<eval::leaf_count<E>>{});
}

/// Collects the autograd slots of an expression's leaves.
template <class E>
void leaf_metas(const E& e, std::vector<nabla::detail::autograd_meta*>& out) {
    eval::for_each_leaf(e, [&](const auto& l) {
        if (l.autograd()) out.push_back(l.autograd().get());
    });
}

/// A recorded element-wise expression.
template <class T, class E>
struct expression_node final : nabla::detail::autograd_node {
    explicit expression_node(const E& e) : expr(e) {}
    void backward(const void* g) override { propagate(*expr, *static_cast<const tensor<T>*>(g)); }
    void inputs(std::vector<nabla::detail::autograd_meta*>& out) const override {
        if (expr) leaf_metas(*expr, out);
    }
    void release() override { expr.reset(); }
    std::optional<E> expr;
};

/// A recorded reduction of an expression over some dims.
template <class T, class E, nabla::detail::reduction_kind Kind>
struct reduction_node final : nabla::detail::autograd_node {
    reduction_node(const E& e, const tensor<T>& out, shape keep, std::int64_t count)
        : expr(e), result(out.detach()), keep_shape(std::move(keep)), count(count) {}
    void backward(const void* g) override {
        reduction_rule<Kind>(*expr, result, *static_cast<const tensor<T>*>(g), keep_shape,
                             [&](const auto& seed) { propagate(*expr, seed); });
    }
    void inputs(std::vector<nabla::detail::autograd_meta*>& out) const override {
        if (expr) leaf_metas(*expr, out);
    }
    void release() override { expr.reset(); }
    std::optional<E> expr;
    tensor<T> result;
    shape keep_shape;
    std::int64_t count;
};

/// A recorded cumulative sum: the gradient is the reversed cumulative sum of the output's.
template <class T, class E>
struct scan_node final : nabla::detail::autograd_node {
    scan_node(const E& e, int dim) : expr(e), dim(dim) {}
    void backward(const void* g) override { propagate(*expr, cumsum_rule(*static_cast<const tensor<T>*>(g), dim)); }
    void inputs(std::vector<nabla::detail::autograd_meta*>& out) const override {
        if (expr) leaf_metas(*expr, out);
    }
    void release() override { expr.reset(); }
    std::optional<E> expr;
    int dim;
};

/// A recorded cumulative product: its backward needs the input's value (recomputed from the
/// saved expression) and the output's (saved).
template <class T, class E>
struct cumprod_node final : nabla::detail::autograd_node {
    cumprod_node(const E& e, const tensor<T>& out, int dim) : expr(e), result(out.detach()), dim(dim) {}
    void backward(const void* g) override {
        const tensor<T> x(*expr);
        propagate(*expr, cumprod_rule(x, result, *static_cast<const tensor<T>*>(g), dim));
    }
    void inputs(std::vector<nabla::detail::autograd_meta*>& out) const override {
        if (expr) leaf_metas(*expr, out);
    }
    void release() override {
        expr.reset();
        result = tensor<T>();
    }
    std::optional<E> expr;
    tensor<T> result;
    int dim;
};

/// A recorded view (or copy) of one tensor; backward maps the gradient back to the base's shape.
template <class T, class F>
struct view_node final : nabla::detail::autograd_node {
    view_node(const tensor<T>& b, F f) : base(b), map(std::move(f)) {}
    void backward(const void* g) override { accumulate(*base, map(*static_cast<const tensor<T>*>(g))); }
    void inputs(std::vector<nabla::detail::autograd_meta*>& out) const override {
        if (base && base->autograd()) out.push_back(base->autograd().get());
    }
    void release() override { base.reset(); }
    std::optional<tensor<T>> base;
    F map;
};

template <class T>
void mark_output(tensor<T>& out, std::shared_ptr<nabla::detail::autograd_node> node, std::string_view name) {
    node->sequence = nabla::detail::next_sequence();
    auto meta = make_meta_on_tape();
    meta->requires_grad = true;
    meta->grad_fn = std::move(node);
    meta->grad_fn_name = name;
    out.autograd() = std::move(meta);
}

}  // namespace nabla::autodiff

namespace nabla::detail {

template <class T, class E>
void record_expression(tensor<T>& out, const E& e) {
    autodiff::mark_output(out, autodiff::make_on_tape<autodiff::expression_node<T, E>>(e), autodiff::backward_name<E>());
}

template <class T, class F>
void record_view(tensor<T>& out, const tensor<T>& base, std::string_view name, F backward_map) {
    autodiff::mark_output(out, autodiff::make_on_tape<autodiff::view_node<T, F>>(base, std::move(backward_map)), name);
}

template <reduction_kind Kind, class T, class E>
void record_reduction(tensor<T>& out, const E& e, unsigned mask, bool keepdim) {
    (void)keepdim;
    shape keep;
    std::int64_t count = 1;
    for (int d = 0; d < e.shape().size(); ++d) {
        const bool red = mask & (1u << d);
        keep.push_back(red ? 1 : e.shape()[d]);
        if (red) count *= e.shape()[d];
    }
    const bool all = mask == (e.shape().size() >= 32 ? ~0u : (1u << e.shape().size()) - 1);
    autodiff::mark_output(out, autodiff::make_on_tape<autodiff::reduction_node<T, E, Kind>>(e, out, keep, count),
                          autodiff::reduction_name(Kind, all));
}

template <class T, class E>
void record_scan(tensor<T>& out, const E& e, int dim) {
    autodiff::mark_output(out, autodiff::make_on_tape<autodiff::scan_node<T, E>>(e, dim), "CumsumBackward0");
}

template <class T, class E>
void record_cumprod(tensor<T>& out, const E& e, int dim) {
    autodiff::mark_output(out, autodiff::make_on_tape<autodiff::cumprod_node<T, E>>(e, out, dim), "CumprodBackward0");
}

}  // namespace nabla::detail
