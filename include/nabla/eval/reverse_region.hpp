#pragma once
/// \file reverse_region.hpp
/// The fused reverse pass over one element-wise expression: ONE loop computes the adjoint of
/// every active leaf. Per element (or SIMD batch) it evaluates the expression tree once, keeping
/// every node's value (in registers), then walks the tree back from the seed with the ops'
/// `partial<I>(y, args...)`, adding each leaf's adjoint into that leaf's sink. A sub-expression
/// is therefore computed once for the value and all derivatives that use it (`exp(x)` in
/// `sum(x * exp(x))`), and a leaf broadcast along the inner loop accumulates in a register.
///
/// A sink is a buffer walked with strides of the loop's shape: 0 along dimensions the leaf is
/// broadcast on, so contributions there add up. Which leaves are active is the caller's choice
/// (a compile-time mask); the others only supply values.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>

#include "../core/config.hpp"
#include "../core/shape.hpp"
#include "../expr/broadcast.hpp"
#include "assign.hpp"
#include "evaluator.hpp"
#include "simd.hpp"

namespace nabla::eval {

/// Where leaf K's adjoint goes: `data` walked with `steps` (the loop's shape); null for none.
template <class T>
struct sink {
    T* data = nullptr;
    strides steps;
};

namespace reverse_detail {

template <class Ev> struct is_node_ev : std::false_type {};
template <class Op, class... Es> struct is_node_ev<evaluator<node<Op, Es...>>> : std::true_type {};

// A node's value and its children's value trees.
template <class Y, class Kids>
struct vtree {
    Y y;
    Kids kids;
};

template <class E> struct leaves_of { static constexpr std::size_t value = leaf_count<E>; };

// Number of leaves before child I of node<Op, Es...>.
template <std::size_t I, class... Es>
constexpr std::size_t offset() {
    constexpr std::size_t counts[] = {leaf_count<Es>..., 0};
    std::size_t o = 0;
    for (std::size_t k = 0; k < I; ++k) o += counts[k];
    return o;
}

// True when some leaf in [K0, K0 + count) of the mask is active.
template <auto Mask, std::size_t K0, std::size_t Count>
constexpr bool any_active() {
    for (std::size_t k = K0; k < K0 + Count; ++k)
        if (Mask[k]) return true;
    return false;
}

// Child I's value as node evaluator Ev's op takes it (batches are already in the op's type).
template <std::size_t I, class Ev, class X>
NABLA_INLINE auto arg(const X& x) {
    if constexpr (std::is_arithmetic_v<X> || is_dual_element<X>) return Ev::template argument<I>(x);
    else return x;
}

template <access A, bool Simd, class V, class Ev>
NABLA_INLINE auto forward(const Ev& ev, std::int64_t i, std::int64_t n);

// A node's value tree: its children's, then its own value from theirs. Helpers, not lambdas, all
// always inlined: the whole tree inlines into the loop whatever the size of the function that
// holds the loop. (With std::apply and a lambda here, a large caller — grad's root differentiated
// in place — left the lambda out of line: one call per batch, and log(sigma) of a broadcast
// sigma no longer hoisted out of the loop: normal_log_pdf's gradient at 16384 went 21 -> 55 us.)
template <access A, bool Simd, class V, class Ev, std::size_t... I>
NABLA_INLINE auto forward_node(const Ev& ev, std::int64_t i, std::int64_t n, std::index_sequence<I...>) {
    using Kids = std::tuple<decltype(forward<A, Simd, V>(std::get<I>(ev.children()), i, n))...>;
    Kids kids{forward<A, Simd, V>(std::get<I>(ev.children()), i, n)...};
    if constexpr (Simd) {
        const V y(math::invoke(ev.op(), std::get<I>(kids).y...));
        return vtree<V, Kids>{y, std::move(kids)};
    } else {
        const auto y = static_cast<typename Ev::compute_type>(math::invoke(ev.op(), arg<I, Ev>(std::get<I>(kids).y)...));
        return vtree<std::remove_const_t<decltype(y)>, Kids>{y, std::move(kids)};
    }
}

// Forward: the value tree of an evaluator at element/batch i (Simd: batches of V).
template <access A, bool Simd, class V, class Ev>
NABLA_INLINE auto forward(const Ev& ev, std::int64_t i, std::int64_t n) {
    if constexpr (is_node_ev<Ev>::value) {
        return forward_node<A, Simd, V>(ev, i, n, std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<decltype(ev.children())>>>{});
    } else {
        if constexpr (!Simd) return vtree<typename Ev::value_type, std::tuple<>>{ev.template get<A>(i), {}};
        else if (n < static_cast<std::int64_t>(V::size)) return vtree<V, std::tuple<>>{ev.template load_tail<A, V>(i, n), {}};
        else return vtree<V, std::tuple<>>{ev.template load<A, V>(i), {}};
    }
}

// The op's derivative rule (an instance call: some ops, clamp's bounds, carry parameters).
template <std::size_t I, class Ev, class Op, class Y, class... X>
NABLA_INLINE auto partial_of(const Op& op, const Y& y, const X&... x) {
    return [&]<std::size_t... J>(std::index_sequence<J...>) {
        return op.template partial<I>(y, arg<J, Ev>(x)...);
    }(std::index_sequence_for<X...>{});
}

// The partial derivative of node `ev` by child I, from its value tree (a helper, not std::apply
// and a lambda: see forward_node).
template <std::size_t I, class Ev, class VT, std::size_t... J>
NABLA_INLINE auto partial_at(const Ev& ev, const VT& vt, std::index_sequence<J...>) {
    return partial_of<I, Ev>(ev.op(), vt.y, std::get<J>(vt.kids).y...);
}

// Backward: adds the adjoint `adj` of the node `ev` (value tree `vt`) into the sinks of its
// active leaves, K0 being the index of its first leaf.
template <auto Mask, std::size_t K0, class E, class Ev, class VT, class Adj, class Add>
NABLA_INLINE void backward(const Ev& ev, const VT& vt, const Adj& adj, Add& add) {
    if constexpr (is_node_ev<Ev>::value) {
        using Op = std::remove_cvref_t<decltype(ev.op())>;
        [&]<class... Es, std::size_t... I>(const node<Op, Es...>*, std::index_sequence<I...>) {
            (
                [&] {
                    using C = std::tuple_element_t<I, std::tuple<Es...>>;
                    if constexpr (Op::differentiable && I >= Op::condition_operands &&
                                  any_active<Mask, K0 + offset<I, Es...>(), leaf_count<C>>()) {
                        const auto partial = partial_at<I>(ev, vt, std::make_index_sequence<sizeof...(Es)>{});
                        const auto child_adj = decltype(vt.y)(adj * partial);
                        backward<Mask, K0 + offset<I, Es...>(), C>(std::get<I>(ev.children()), std::get<I>(vt.kids), child_adj, add);
                    }
                }(),
                ...);
        }(static_cast<const E*>(nullptr), std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<decltype(ev.children())>>>{});
    } else if constexpr (leaf_count<E> == 1) {
        if constexpr (Mask[K0]) add.template operator()<K0>(adj);
    }
}

}  // namespace reverse_detail

namespace reverse_detail {

// One batch (Full: W elements) or the last, partial one (m < W elements, through buffers) of
// the flat case: the value tree, then every active leaf's adjoint added into its output.
template <auto Mask, bool Full, class V, class E, class Ev, class T, std::size_t LE>
NABLA_INLINE void reverse_flat_step(const Ev& ev, const T* gp, const V& gs, std::int64_t i, std::int64_t m,
                                    const std::array<T*, LE>& out) {
    constexpr access A = access::contiguous;
    constexpr std::int64_t W = V::size;
    const auto vt = forward<A, true, V>(ev, i, Full ? W : m);
    V g = gs;
    if (gp) {
        if constexpr (Full) {
            g = simd::load(gp + i);
        } else {
            alignas(64) T buf[W] = {};
            std::copy_n(gp + i, m, buf);
            g = simd::load_aligned(buf);
        }
    }
    auto add = [&]<std::size_t K>(const V& a) {
        if (!out[K]) return;  // a leaf that does not require grad (tape)
        if constexpr (Full) {
            simd::store(out[K] + i, V(simd::load(out[K] + i) + a));
        } else {
            alignas(64) T buf[W];
            simd::store_aligned(buf, a);
            for (std::int64_t j = 0; j < m; ++j) out[K][i + j] += buf[j];
        }
    };
    backward<Mask, 0, E>(ev, vt, g, add);
}

template <auto Mask, class V, class E, class Ev, class T, std::size_t LE>
NABLA_NOINLINE void reverse_flat_tail(const Ev& ev, const T* gp, const V& gs, std::int64_t i, std::int64_t m,
                                      const std::array<T*, LE>& out) {
    reverse_flat_step<Mask, false, V, E>(ev, gp, gs, i, m, out);
}

// The common case: every leaf and every sink contiguous with the loop's shape, and the seed
// either the same (a tensor `gp`) or one value `g0` for all elements (the seed of a full
// reduction). One flat loop, no strides; out of line so the body inlines fully, the last
// partial batch out of line too (one copy of the body in the hot function).
template <auto Mask, class T, class E, std::size_t LE>
NABLA_NOINLINE void reverse_flat(const E& e, const T* gp, T g0, std::int64_t n, const std::array<T*, LE>& out) {
    const evaluator<E> ev(e, nullptr, 1);
    if constexpr (simd_able<E, T>) {
        using V = simd::batch<T>;
        constexpr std::int64_t W = simd::width<T>;
        const V gs(g0);
        std::int64_t i = 0;
        for (; i + W <= n; i += W) reverse_flat_step<Mask, true, V, E>(ev, gp, gs, i, W, out);
        if (i < n) reverse_flat_tail<Mask, V, E>(ev, gp, gs, i, n - i, out);
    } else {
        for (std::int64_t i = 0; i < n; ++i) {
            const auto vt = forward<access::contiguous, false, T>(ev, i, 1);
            const T g = gp ? gp[i] : g0;
            auto add = [&]<std::size_t K>(const auto& a) {
                if (out[K]) out[K][i] += static_cast<T>(a);
            };
            backward<Mask, 0, E>(ev, vt, g, add);
        }
    }
}

}  // namespace reverse_detail

/// Adds to sink K the adjoint of active leaf K of `e`, for the seed `seed` (the adjoint of e,
/// an expression whose shape broadcasts with e's; `sizes` is the broadcast of both).
/// `Mask[K]`: leaf K may be active (its adjoint is computed); a null sink skips it at run time
/// (the tape knows only then which leaves require grad).
template <auto Mask, class T, class E, class G>
void reverse_region(const E& e, const G& seed, const shape& sizes, const std::array<sink<T>, leaf_count<E>>& sinks) {
    constexpr std::size_t LE = leaf_count<E>, LG = leaf_count<G>, N = LE + LG + LE;
    const std::int64_t total = sizes.numel();
    if (total == 0) return;
    constexpr bool Simd = simd_able<E, T> && simd_able<G, T>;

    // The flat case, checked without building a loop plan.
    if constexpr (std::is_same_v<value_t<G>, T>) {
        bool flat = true;
        for_each_leaf(e, [&](const auto& l) { flat = flat && l.shape() == sizes && l.is_contiguous(); });
        for (std::size_t j = 0; j < LE && flat; ++j)
            if (sinks[j].data) flat = is_contiguous(sizes, sinks[j].steps);
        const std::int64_t gn = shape_of(seed).numel();
        bool same = false;
        if constexpr (leaf_expression<G>) same = seed.shape() == sizes && seed.is_contiguous();
        if (flat && (gn == 1 || same)) {
            std::array<T*, LE> out{};
            for (std::size_t j = 0; j < LE; ++j) out[j] = sinks[j].data;
            const T* gp = nullptr;
            T g0{};
            if (gn == 1) g0 = static_cast<T>(evaluator<G>(seed, nullptr, 1).template get<access::contiguous>(0));
            else if constexpr (leaf_expression<G>) gp = seed.data();
            reverse_detail::reverse_flat<Mask, T>(e, gp, g0, total, out);
            return;
        }
    }

    loop_plan<N> p;
    const int rank = sizes.size();
    std::size_t k = 0;
    auto add_leaf = [&](const auto& l) {
        const strides b = broadcast_strides(l.shape(), l.strides(), sizes);
        for (int d = 0; d < rank; ++d) p.stride[k][d] = b[d];
        ++k;
    };
    for_each_leaf(e, add_leaf);
    for_each_leaf(seed, add_leaf);
    for (std::size_t j = 0; j < LE; ++j, ++k)
        for (int d = 0; d < rank; ++d) p.stride[k][d] = sinks[j].data ? sinks[j].steps[d] : 0;
    collapse(p, sizes);
    for (std::size_t j = 0; j < LE + LG; ++j) p.leaf_strides[j] = p.stride[j].data();

    evaluator<E> ev(e, p.leaf_strides.data(), p.rank);
    evaluator<G> gv(seed, p.leaf_strides.data() + LE, p.rank);
    const int outer = p.rank - 1;
    const std::int64_t inner_n = p.size[outer];
    bool unit = true, unit_or_zero = true;
    for (std::size_t j = 0; j < N; ++j) {
        const std::int64_t s = p.stride[j][outer];
        unit = unit && s == 1;
        unit_or_zero = unit_or_zero && (s == 1 || s == 0);
    }

    std::array<T*, LE> row{};
    auto rows = [&]<access A, bool S>() {
        std::int64_t idx[NABLA_MAX_RANK] = {};
        for (;;) {
            for (std::size_t j = 0; j < LE; ++j) {
                std::int64_t off = 0;
                for (int d = 0; d < outer; ++d) off += idx[d] * p.stride[LE + LG + j][d];
                row[j] = sinks[j].data ? sinks[j].data + off : nullptr;
            }
            ev.set_row(idx, outer);
            gv.set_row(idx, outer);
            if constexpr (S) {
                using V = simd::batch<T>;
                constexpr std::int64_t W = simd::width<T>;
                // Sinks broadcast along the row add up in a register, flushed at the row's end.
                std::array<V, LE> acc;
                acc.fill(V(T(0)));
                for (std::int64_t i = 0; i < inner_n; i += W) {
                    const std::int64_t n = std::min<std::int64_t>(W, inner_n - i);
                    const auto vt = reverse_detail::forward<A, true, V>(ev, i, n);
                    const V g = n < W ? gv.template load_tail<A, V>(i, n) : gv.template load<A, V>(i);
                    auto add = [&]<std::size_t K>(const V& a) {
                        if (!row[K]) return;
                        if (p.stride[LE + LG + K][outer] == 0) {
                            if (n == W) acc[K] += a;
                            else {
                                alignas(64) T buf[W];
                                simd::store_aligned(buf, a);
                                T s = 0;
                                for (std::int64_t j = 0; j < n; ++j) s += buf[j];
                                *row[K] += s;
                            }
                        } else if (n == W) {
                            simd::store(row[K] + i, V(simd::load(row[K] + i) + a));
                        } else {
                            alignas(64) T buf[W];
                            simd::store_aligned(buf, a);
                            for (std::int64_t j = 0; j < n; ++j) row[K][i + j] += buf[j];
                        }
                    };
                    reverse_detail::backward<Mask, 0, E>(ev, vt, g, add);
                }
                for (std::size_t j = 0; j < LE; ++j)
                    if (row[j] && p.stride[LE + LG + j][outer] == 0) *row[j] += simd::hsum(acc[j]);
            } else {
                for (std::int64_t i = 0; i < inner_n; ++i) {
                    const auto vt = reverse_detail::forward<A, false, T>(ev, i, 1);
                    const T g = static_cast<T>(gv.template get<A>(i));
                    auto add = [&]<std::size_t K>(const auto& a) {
                        if (row[K]) row[K][i * p.stride[LE + LG + K][outer]] += static_cast<T>(a);
                    };
                    reverse_detail::backward<Mask, 0, E>(ev, vt, g, add);
                }
            }
            int d = outer - 1;
            for (; d >= 0; --d) {
                if (++idx[d] < p.size[d]) break;
                idx[d] = 0;
            }
            if (d < 0) return;
        }
    };
    if constexpr (Simd) {
        if (unit) return rows.template operator()<access::contiguous, true>();
        if (unit_or_zero) return rows.template operator()<access::broadcast, true>();
    }
    rows.template operator()<access::strided, false>();
}

}  // namespace nabla::eval
