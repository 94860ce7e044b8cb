#pragma once
/// \file assign.hpp
/// The element-wise kernels. `assign(dst, e)` writes expression `e`, broadcast to dst's shape,
/// into dst's memory in one fused loop. The loop is chosen here, once per call, from the
/// expression's type (can it run on SIMD batches?) and the run-time strides:
///  - flat:      destination and every leaf contiguous with the destination's shape -> one SIMD loop;
///  - rows:      after merging dimensions, every innermost stride is 1 (or 0 for broadcast leaves)
///               -> outer loops around a SIMD inner loop;
///  - strided:   anything else -> outer loops around a scalar inner loop.
/// Aliasing between dst and the leaves is the caller's concern (see tensor assignment).

#include <algorithm>
#include <array>
#include <cstdint>

#include "../core/config.hpp"
#include "../core/shape.hpp"
#include "../expr/broadcast.hpp"
#include "evaluator.hpp"

namespace nabla::eval {

/// A destination: where to write, and how.
template <class T>
struct target {
    T* data;
    const shape& sizes;
    const strides& steps;
};

/// Loop dimensions after broadcasting and merging, with the strides of every operand along them
/// (operand 0 is the destination, then the leaves depth first).
template <std::size_t N>
struct loop_plan {
    int rank = 0;
    std::int64_t size[NABLA_MAX_RANK]{};
    std::array<std::array<std::int64_t, NABLA_MAX_RANK>, N> stride{};
    std::array<const std::int64_t*, N> leaf_strides{};
};

/// Merges adjacent dimensions that every operand walks as one, and drops size-1 dimensions,
/// so that a contiguous or row-broadcast operand gets one long inner loop. Dimension `keep`
/// (if any) is never merged or dropped; its position after merging is returned.
template <std::size_t N>
int collapse(loop_plan<N>& p, const shape& sizes, int keep = -1) {
    int r = 0, kept = -1;
    for (int d = 0; d < sizes.size(); ++d) {
        if (sizes[d] == 1 && d != keep) continue;
        bool merge = r > 0 && d != keep && r - 1 != kept;
        for (std::size_t k = 0; merge && k < N; ++k)
            merge = p.stride[k][r - 1] == p.stride[k][d] * sizes[d];
        if (merge) {
            p.size[r - 1] *= sizes[d];
            for (std::size_t k = 0; k < N; ++k) p.stride[k][r - 1] = p.stride[k][d];
        } else {
            if (d == keep) kept = r;
            p.size[r] = sizes[d];
            for (std::size_t k = 0; k < N; ++k) p.stride[k][r] = p.stride[k][d];
            ++r;
        }
    }
    if (r == 0) {  // every extent is 1: one element
        p.size[0] = 1;
        for (std::size_t k = 0; k < N; ++k) p.stride[k][0] = 1;
        r = 1;
    }
    p.rank = r;
    return kept;
}

/// The last, partial batch of a row (`n - i` < W elements), through a buffer. Out of line: it
/// runs at most once per row, and a second copy of the expression inside the hot function would
/// use up GCC's inlining budget there (xsimd's sin and exp helpers then stay calls in the loop).
template <access A, class T, class Ev>
NABLA_NOINLINE void run_tail(T* out, const Ev& ev, std::int64_t i, std::int64_t n) {
    using V = simd::batch<T>;
    alignas(64) T buf[simd::width<T>];
    simd::store(buf, ev.template load_tail<A, V>(i, n - i));
    std::copy_n(buf, n - i, out + i);
}

/// Inner loop over `n` elements of one row.
template <access A, bool Simd, class T, class Ev>
NABLA_INLINE void run_row(T* out, std::int64_t out_step, const Ev& ev, std::int64_t n) {
    if constexpr (Simd && A != access::strided) {
        using V = simd::batch<T>;
        constexpr std::int64_t W = simd::width<T>;
        std::int64_t i = 0;
        // One copy of the body in the source; the compiler unrolls it twice after inlining.
        NABLA_UNROLL_2
        for (; i + W <= n; i += W) simd::store(out + i, ev.template load<A, V>(i));
        if (i < n) run_tail<A>(out, ev, i, n);
    } else {
        if (out_step == 1)
            for (std::int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(ev.template get<A>(i));
        else
            for (std::int64_t i = 0; i < n; ++i) out[i * out_step] = static_cast<T>(ev.template get<A>(i));
    }
}

}  // namespace nabla::eval

namespace nabla::eval {

/// True when every leaf of `e` is contiguous with shape `sizes`.
template <class E>
NABLA_INLINE bool flat_leaves(const shape& sizes, const E& e) noexcept {
    bool flat = true;
    for_each_leaf(e, [&](const auto& l) { flat = flat && l.shape() == sizes && l.is_contiguous(); });
    return flat;
}
/// True when dst and every leaf of `e` are contiguous with dst's shape: `assign_flat` applies.
template <class T, class E>
NABLA_INLINE bool flat_layout(const target<T>& dst, const E& e) noexcept {
    return is_contiguous(dst.sizes, dst.steps) && flat_leaves(dst.sizes, e);
}

/// The flat loop: `n` elements of `e` into contiguous `out` (the caller has checked `flat_layout`).
/// Its own function, kept out of `assign`: inside the one body that also holds the row loops,
/// GCC stops inlining xsimd's out-of-line helpers (sin's range reduction) into the hot loop.
template <class T, class E>
NABLA_NOINLINE void assign_flat(T* out, const E& e, std::int64_t n) {
    const evaluator<E> ev(e, nullptr, 1);
    run_row<access::contiguous, simd_able<E, T>>(out, 1, ev, n);
}

/// Writes `e` (whose shape broadcasts to dst's) into dst, converting to T, in one fused loop.
template <class T, class E>
void assign(const target<T>& dst, const E& e) {
    const std::int64_t n = dst.sizes.numel();
    if (n == 0) return;
    constexpr bool Simd = simd_able<E, T>;

    if constexpr (detail::is_scalar_operand<E>::value) {  // a fill: fill_, zeros, full
        if (is_contiguous(dst.sizes, dst.steps)) {
            std::fill_n(dst.data, n, static_cast<T>(e.value));
            return;
        }
    } else if constexpr (leaf_expression<E>) {  // one element broadcast (a sum's gradient seed): a fill too
        if (e.shape().numel() == 1 && is_contiguous(dst.sizes, dst.steps)) {
            std::fill_n(dst.data, n, static_cast<T>(*e.data()));
            return;
        }
    }
    if (flat_layout(dst, e)) {
        assign_flat(dst.data, e, n);
        return;
    }

    constexpr std::size_t N = leaf_count<E> + 1;
    loop_plan<N> p;
    const int rank = dst.sizes.size();
    for (int d = 0; d < rank; ++d) p.stride[0][d] = dst.steps[d];
    std::size_t k = 1;
    for_each_leaf(e, [&](const auto& l) {
        const strides b = broadcast_strides(l.shape(), l.strides(), dst.sizes);
        for (int d = 0; d < rank; ++d) p.stride[k][d] = b[d];
        ++k;
    });
    collapse(p, dst.sizes);
    for (std::size_t j = 1; j < N; ++j) p.leaf_strides[j - 1] = p.stride[j].data();

    evaluator<E> ev(e, p.leaf_strides.data(), p.rank);
    const int outer = p.rank - 1;
    const std::int64_t inner_n = p.size[outer], out_step = p.stride[0][outer];
    bool unit = out_step == 1, unit_or_zero = out_step == 1;
    for (std::size_t j = 1; j < N; ++j) {
        const std::int64_t s = p.stride[j][outer];
        unit = unit && s == 1;
        unit_or_zero = unit_or_zero && (s == 1 || s == 0);
    }

    auto rows = [&]<access A, bool S>() {
        std::int64_t idx[NABLA_MAX_RANK] = {};
        for (;;) {
            std::int64_t off = 0;
            for (int d = 0; d < outer; ++d) off += idx[d] * p.stride[0][d];
            ev.set_row(idx, outer);
            run_row<A, S>(dst.data + off, out_step, ev, inner_n);
            int d = outer - 1;  // odometer over the outer dimensions
            for (; d >= 0; --d) {
                if (++idx[d] < p.size[d]) break;
                idx[d] = 0;
            }
            if (d < 0) return;
        }
    };
    if (unit) rows.template operator()<access::contiguous, Simd>();
    else if (unit_or_zero) rows.template operator()<access::broadcast, Simd>();
    else rows.template operator()<access::strided, false>();
}

}  // namespace nabla::eval
