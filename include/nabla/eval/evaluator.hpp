#pragma once
/// \file evaluator.hpp
/// Evaluators: the run-time companions of expression nodes, built just before a loop runs.
/// A leaf's evaluator is a pointer and strides; a node's applies its op functor to its
/// children's values, element by element (`get`) or a SIMD batch at a time (`load`).

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../core/config.hpp"
#include "../expr/node.hpp"
#include "../ops/math.hpp"
#include "simd.hpp"
#include "simd_math.hpp"

namespace nabla::eval {

/// How the innermost loop reads leaves: all unit-stride; unit-stride or broadcast (stride 0); any stride.
enum class access { contiguous, broadcast, strided };

template <class E, class = void>
struct evaluator;

/// Number of memory-reading leaves in an expression (scalars excluded).
template <class E>
inline constexpr std::size_t leaf_count = 0;
template <class E>
    requires leaf_expression<E>
inline constexpr std::size_t leaf_count<E> = 1;
template <class Op, class... Es>
inline constexpr std::size_t leaf_count<node<Op, Es...>> = (std::size_t{0} + ... + leaf_count<Es>);

/// Calls f(leaf) for every memory-reading leaf, depth first, left to right.
template <class E, class F>
void for_each_leaf(const E& e, F&& f) {
    if constexpr (leaf_expression<E>) f(e);
    else if constexpr (detail::is_node<E>::value)
        std::apply([&](const auto&... a) { (for_each_leaf(a, f), ...); }, e.args);
}

/// True when the whole expression can run on SIMD batches of T: every leaf holds T, every node
/// computes and produces T, and every op has a SIMD form for T.
template <class E, class T>
inline constexpr bool simd_able = false;
template <class S, class T>
inline constexpr bool simd_able<scalar<S>, T> = simd::has_batch<T>;
template <class E, class T>
    requires leaf_expression<E>
inline constexpr bool simd_able<E, T> = simd::has_batch<T> && std::is_same_v<value_t<E>, T>;
template <class Op, class... Es, class T>
inline constexpr bool simd_able<node<Op, Es...>, T> =
    simd::has_batch<T> && std::is_same_v<typename node<Op, Es...>::value_type, T> &&
    std::is_same_v<typename node<Op, Es...>::compute_type, T> && Op::template simd<T> && (simd_able<Es, T> && ...);

/// A tensor read through a pointer and per-loop-dimension strides (null strides: contiguous, flat).
template <class E>
    requires leaf_expression<E>
struct evaluator<E> {
    using value_type = value_t<E>;

    evaluator(const E& e, const std::int64_t* const* strides, int rank) noexcept
        : base_(e.data()), strides_(strides ? strides[0] : nullptr), row_(base_),
          inner_(strides_ ? strides_[rank - 1] : 1) {}

    /// Moves to the row at outer index `idx[0..outer)`.
    NABLA_INLINE void set_row(const std::int64_t* idx, int outer) noexcept {
        std::int64_t off = 0;
        for (int d = 0; d < outer; ++d) off += idx[d] * strides_[d];
        row_ = base_ + off;
    }
    template <access A>
    NABLA_INLINE value_type get(std::int64_t i) const noexcept {
        if constexpr (A == access::contiguous) return row_[i];
        else return row_[i * inner_];
    }
    template <access A, class V>
    NABLA_INLINE V load(std::int64_t i) const noexcept {
        if constexpr (A == access::contiguous) return simd::load(row_ + i);
        else return inner_ == 0 ? simd::splat(*row_) : simd::load(row_ + i);
    }
    /// The last, partial batch of a row: `n` < W elements, the other lanes zero. Going through a
    /// buffer keeps the tail on the same SIMD functions as the body (no lane-dependent rounding).
    template <access A, class V>
    NABLA_INLINE V load_tail(std::int64_t i, std::int64_t n) const noexcept {
        if (A != access::contiguous && inner_ == 0) return simd::splat(*row_);
        alignas(64) value_type buf[V::size] = {};
        for (std::int64_t j = 0; j < n; ++j) buf[j] = row_[i + j];
        return simd::load_aligned(buf);
    }

private:
    const value_type* base_;
    const std::int64_t* strides_;
    const value_type* row_;
    std::int64_t inner_;
};

/// A scalar operand: the same value everywhere.
template <class S>
struct evaluator<scalar<S>> {
    using value_type = S;
    evaluator(const scalar<S>& s, const std::int64_t* const*, int) noexcept : v_(s.value) {}
    NABLA_INLINE void set_row(const std::int64_t*, int) noexcept {}
    template <access A>
    NABLA_INLINE S get(std::int64_t) const noexcept { return v_; }
    template <access A, class V>
    NABLA_INLINE V load(std::int64_t) const noexcept { return V(static_cast<typename V::value_type>(v_)); }
    template <access A, class V>
    NABLA_INLINE V load_tail(std::int64_t, std::int64_t) const noexcept { return V(static_cast<typename V::value_type>(v_)); }

private:
    S v_;
};

/// A node: its op applied to its children's values, converted to the op's compute type.
template <class Op, class... Es>
struct evaluator<node<Op, Es...>> {
    using node_type = node<Op, Es...>;
    using value_type = typename node_type::value_type;
    using compute_type = typename node_type::compute_type;

    evaluator(const node_type& n, const std::int64_t* const* strides, int rank)
        : op_(n.op), args_(make_children(n, strides, rank, std::index_sequence_for<Es...>{})) {}

    NABLA_INLINE void set_row(const std::int64_t* idx, int outer) noexcept {
        set_row_impl(idx, outer, std::index_sequence_for<Es...>{});
    }
    template <access A>
    NABLA_INLINE value_type get(std::int64_t i) const {
        return get_impl<A>(i, std::index_sequence_for<Es...>{});
    }
    template <access A, class V>
    NABLA_INLINE V load(std::int64_t i) const {
        return load_impl<A, V>(i, std::index_sequence_for<Es...>{});
    }
    template <access A, class V>
    NABLA_INLINE V load_tail(std::int64_t i, std::int64_t n) const {
        return load_tail_impl<A, V>(i, n, std::index_sequence_for<Es...>{});
    }

    /// The op and the children's evaluators (the fused reverse pass, reverse_region.hpp, walks them).
    const Op& op() const noexcept { return op_; }
    const std::tuple<evaluator<Es>...>& children() const noexcept { return args_; }
    /// Child I's value as the op takes it: conditions as bool, other operands in the compute type.
    template <std::size_t I, class X>
    static NABLA_INLINE auto argument(const X& x) {
        if constexpr (I < Op::condition_operands) return static_cast<bool>(x);
        else return static_cast<compute_type>(x);
    }

private:
    // Leaf strides are handed out depth first: child I starts after the leaves of children 0..I-1.
    template <std::size_t I>
    static constexpr std::size_t leaf_offset() {
        std::size_t off = 0, k = 0;
        ((k++ < I ? off += leaf_count<Es> : off), ...);
        return off;
    }
    template <std::size_t... I>
    static auto make_children(const node_type& n, const std::int64_t* const* strides, int rank, std::index_sequence<I...>) {
        return std::tuple<evaluator<Es>...>(
            evaluator<Es>(std::get<I>(n.args), strides ? strides + leaf_offset<I>() : nullptr, rank)...);
    }
    // Index-sequence helpers rather than std::apply and a lambda: a lambda is an ordinary inlining
    // candidate, which GCC may leave out of line in a large function (see forward_node in
    // reverse_region.hpp); these are always inlined.
    template <access A, std::size_t... I>
    NABLA_INLINE value_type get_impl(std::int64_t i, std::index_sequence<I...>) const {
        return static_cast<value_type>(math::invoke(op_, argument<I>(std::get<I>(args_).template get<A>(i))...));
    }
    template <access A, class V, std::size_t... I>
    NABLA_INLINE V load_impl(std::int64_t i, std::index_sequence<I...>) const {
        return V(math::invoke(op_, std::get<I>(args_).template load<A, V>(i)...));
    }
    template <access A, class V, std::size_t... I>
    NABLA_INLINE V load_tail_impl(std::int64_t i, std::int64_t n, std::index_sequence<I...>) const {
        return V(math::invoke(op_, std::get<I>(args_).template load_tail<A, V>(i, n)...));
    }
    template <std::size_t... I>
    NABLA_INLINE void set_row_impl(const std::int64_t* idx, int outer, std::index_sequence<I...>) noexcept {
        (std::get<I>(args_).set_row(idx, outer), ...);
    }
    [[no_unique_address]] Op op_;
    std::tuple<evaluator<Es>...> args_;
};

}  // namespace nabla::eval
