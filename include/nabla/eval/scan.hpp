#pragma once
/// \file scan.hpp
/// Inclusive scans (cumsum, cumprod) along one axis of an expression, fused (no temporary).
/// When the axis is the innermost loop dimension each row is scanned in order; otherwise the
/// kernel combines whole rows (`out[i] = out[i-1] (+) e[i]`) with SIMD across the inner dimension.

#include <cstdint>

#include "../core/config.hpp"
#include "../core/shape.hpp"
#include "../expr/broadcast.hpp"
#include "assign.hpp"
#include "evaluator.hpp"
#include "simd_scan.hpp"

namespace nabla::eval {

/// Writes the inclusive scan of `e` along `axis` into `out` (same shape as e).
template <class A, class R, class E>
void scan(const target<A>& out, const E& e, int axis, const R& r) {
    if (out.sizes.numel() == 0) return;
    constexpr bool Simd = simd_able<E, A> && R::template simd<A>;
    constexpr std::size_t N = leaf_count<E> + 1;
    loop_plan<N> p;
    const int rank = out.sizes.size();
    for (int d = 0; d < rank; ++d) p.stride[0][d] = out.steps[d];
    std::size_t k = 1;
    for_each_leaf(e, [&](const auto& l) {
        const strides b = broadcast_strides(l.shape(), l.strides(), out.sizes);
        for (int d = 0; d < rank; ++d) p.stride[k][d] = b[d];
        ++k;
    });
    const int ax = rank == 0 ? -1 : collapse(p, out.sizes, axis);
    for (std::size_t j = 1; j < N; ++j) p.leaf_strides[j - 1] = p.stride[j].data();

    evaluator<E> ev(e, p.leaf_strides.data(), p.rank);
    const int outer = p.rank - 1;
    const std::int64_t n = p.size[outer], step = p.stride[0][outer], axis_step = ax >= 0 ? p.stride[0][ax] : 0;
    bool unit = step == 1;
    for (std::size_t j = 1; j < N; ++j) unit = unit && p.stride[j][outer] == 1;

    auto rows = [&]<access Acc, bool S>() {
        std::int64_t idx[NABLA_MAX_RANK] = {};
        for (;;) {
            std::int64_t off = 0;
            for (int d = 0; d < outer; ++d) off += idx[d] * p.stride[0][d];
            ev.set_row(idx, outer);
            A* o = out.data + off;
            if (ax == outer || ax < 0) {  // scan along the row
                A run = R::template identity<A>();
                std::int64_t i = 0;
                if constexpr (S && Acc == access::contiguous) {
                    // SIMD prefix: scan each batch in registers, then add the carry of the previous ones.
                    using V = simd::batch<A>;
                    constexpr std::int64_t W = simd::width<A>;
                    V carry(run);
                    for (; i + W <= n; i += W) {
                        const V p = V(r(simd::inclusive_scan(ev.template load<Acc, V>(i), r, R::template identity<A>()), carry));
                        simd::store(o + i, p);
                        carry = simd::broadcast_last(p);
                    }
                    if (i > 0) run = o[i - 1];
                }
                for (; i < n; ++i) o[i * step] = run = r(run, static_cast<A>(ev.template get<Acc>(i)));
            } else if (idx[ax] == 0) {  // first row along the axis: a copy
                for (std::int64_t i = 0; i < n; ++i) o[i * step] = static_cast<A>(ev.template get<Acc>(i));
            } else {  // every other row combines with the previous one
                const A* prev = o - axis_step;
                std::int64_t i = 0;
                if constexpr (S) {
                    using V = simd::batch<A>;
                    constexpr std::int64_t W = simd::width<A>;
                    for (; i + W <= n; i += W) simd::store(o + i, V(r(simd::load(prev + i), ev.template load<Acc, V>(i))));
                }
                for (; i < n; ++i) o[i * step] = r(prev[i * step], static_cast<A>(ev.template get<Acc>(i)));
            }
            int d = outer - 1;
            for (; d >= 0; --d) {
                if (++idx[d] < p.size[d]) break;
                idx[d] = 0;
            }
            if (d < 0) return;
        }
    };
    if (unit) rows.template operator()<access::contiguous, Simd>();
    else rows.template operator()<access::strided, false>();
}

/// The gradient of a cumulative product along contiguous rows of length n (x the input, y its
/// cumprod, g the output's gradient; out receives dx): dx_i = sum_{j >= i} g_j prod_{k <= j, k != i} x_k.
/// Before a row's first zero z, that is (sum_{i <= j < z} g_j y_j) / x_i; at z, y_{z-1} times
/// sum_{j >= z} g_j prod_{z < k <= j} x_k; after z, 0 (every product holds x_z). O(n) per row.
template <class T>
void cumprod_backward_rows(T* out, const T* x, const T* y, const T* g, std::int64_t rows, std::int64_t n) {
    for (std::int64_t r = 0; r < rows; ++r, out += n, x += n, y += n, g += n) {
        std::int64_t z = 0;
        while (z < n && x[z] != T(0)) ++z;
        T tail = 0;
        for (std::int64_t i = z - 1; i >= 0; --i) {
            tail += g[i] * y[i];
            out[i] = tail / x[i];
        }
        if (z == n) continue;
        T q = 1, acc = g[z];
        for (std::int64_t j = z + 1; j < n; ++j) {
            q *= x[j];
            acc += g[j] * q;
        }
        out[z] = (z > 0 ? y[z - 1] : T(1)) * acc;
        for (std::int64_t i = z + 1; i < n; ++i) out[i] = T(0);
    }
}

}  // namespace nabla::eval
