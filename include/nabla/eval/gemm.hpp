#pragma once
/// \file gemm.hpp
/// Matrix products on raw strided memory: `gemm` (C = A B), `gemv` (y = A x) and `dot`.
/// linalg/ builds mm, mv, matmul and dot on these.
///
/// Operands are a pointer plus strides in elements, one per dimension, any positive values: a
/// row-major matrix has strides (cols, 1), its transpose (1, cols), a slice with gaps something
/// else. No operand is copied to normalise its layout beforehand: the packing routines read any
/// strides. The output must not overlap an input.
///
/// float and double: products small enough for B to stay in L2 run a register-tiled kernel
/// straight from memory; larger ones follow Goto/BLIS, packing blocks of A and B into per-thread
/// buffers (see gemm_kernel.hpp). Either way they round like any blocked product: the order of
/// the k-sums differs from a naive loop. int32_t and int64_t are exact and wrap on overflow, as
/// PyTorch's do (the products and sums are computed in the unsigned type).

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "../core/config.hpp"
#include "gemm_kernel.hpp"
#include "simd.hpp"

namespace nabla::eval {

namespace gemm_detail {

/// C *= beta, with beta == 0 writing zeros (C is not read: NaN in C does not survive).
template <class T>
void scale(std::int64_t m, std::int64_t n, T* c, std::int64_t c_rs, std::int64_t c_cs, T beta) {
    for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t j = 0; j < n; ++j) {
            T& x = c[i * c_rs + j * c_cs];
            if constexpr (std::is_floating_point_v<T>)
                x = beta == T(0) ? T(0) : beta * x;
            else
                x = static_cast<T>(static_cast<std::make_unsigned_t<T>>(beta) * static_cast<std::make_unsigned_t<T>>(x));
        }
}

/// Splits `total` into the fewest blocks of at most `max`, of nearly equal size, rounded up to a
/// multiple of `unit` (no thin last block).
constexpr std::int64_t balanced_block(std::int64_t total, std::int64_t max, std::int64_t unit) {
    const std::int64_t blocks = (total + max - 1) / max;
    const std::int64_t size = (total + blocks - 1) / blocks;
    return std::min(max, (size + unit - 1) / unit * unit);
}

/// The packed product: loops over nc-wide panels of B, kc-deep slices of k and mc-tall blocks of
/// A around the micro-kernel.
template <class T>
void packed_gemm(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t a_rs, std::int64_t a_cs,
                 const T* b, std::int64_t b_rs, std::int64_t b_cs, T* c, std::int64_t c_rs, std::int64_t c_cs, T beta) {
    using bl = blocking<T>;
    constexpr std::int64_t mr = bl::mr, nr = bl::nr;
    const std::int64_t kc = balanced_block(k, bl::kc, 1);
    const std::int64_t mc = balanced_block(m, bl::mc, mr);
    const std::int64_t nc = balanced_block(n, bl::nc, nr);
    T* ap = thread_scratch(0).get<T>(mc * kc);
    T* bp = thread_scratch(1).get<T>(kc * nc);
    for (std::int64_t jc = 0; jc < n; jc += nc) {
        const std::int64_t ncur = std::min(nc, n - jc);
        for (std::int64_t pc = 0; pc < k; pc += kc) {
            const std::int64_t kcur = std::min(kc, k - pc);
            // the first slice of k applies the caller's beta; later ones add to it
            const T bcur = pc == 0 ? beta : T(1);
            pack_b<T, nr>(kcur, ncur, b + pc * b_rs + jc * b_cs, b_rs, b_cs, bp);
            for (std::int64_t ic = 0; ic < m; ic += mc) {
                const std::int64_t mcur = std::min(mc, m - ic);
                pack_a<T, mr>(mcur, kcur, a + ic * a_rs + pc * a_cs, a_rs, a_cs, ap);
                // the B micro-panel stays in L1 while the A block (in L2) streams past it
                for (std::int64_t jr = 0; jr < ncur; jr += nr)
                    for (std::int64_t ir = 0; ir < mcur; ir += mr)
                        micro_kernel<T>(kcur, ap + ir * kcur, bp + jr * kcur, c + (ic + ir) * c_rs + (jc + jr) * c_cs,
                                        c_rs, c_cs, std::min(mr, mcur - ir), std::min(nr, ncur - jr), bcur);
            }
        }
    }
}

/// The integer product: i-k-j order, so the innermost loop runs along rows of B and C (the
/// compiler vectorises it), with k cut into slices whose rows of B stay in L2 across rows of C.
template <class T>
void integer_gemm(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t a_rs, std::int64_t a_cs,
                  const T* b, std::int64_t b_rs, std::int64_t b_cs, T* c, std::int64_t c_rs, std::int64_t c_cs, T beta) {
    using U = std::make_unsigned_t<T>;
    scale(m, n, c, c_rs, c_cs, beta);
    const std::int64_t kc = std::max<std::int64_t>(1, (std::int64_t{1} << 18) / (n * static_cast<std::int64_t>(sizeof(T))));
    for (std::int64_t pc = 0; pc < k; pc += kc) {
        const std::int64_t pend = std::min(k, pc + kc);
        for (std::int64_t i = 0; i < m; ++i) {
            // T and its unsigned twin may alias each other
            U* NABLA_RESTRICT crow = reinterpret_cast<U*>(c + i * c_rs);
            for (std::int64_t p = pc; p < pend; ++p) {
                const U av = static_cast<U>(a[i * a_rs + p * a_cs]);
                const U* NABLA_RESTRICT brow = reinterpret_cast<const U*>(b + p * b_rs);
                if (b_cs == 1 && c_cs == 1)
                    for (std::int64_t j = 0; j < n; ++j) crow[j] += av * brow[j];
                else
                    for (std::int64_t j = 0; j < n; ++j) crow[j * c_cs] += av * brow[j * b_cs];
            }
        }
    }
}

/// y = A x with the rows of A and x contiguous: four rows at a time share each load of x. V is
/// the batch type: rows shorter than a full batch (10 floats in an AVX-512 build) run on a
/// narrower one rather than on scalars.
template <class T, class V = simd::batch<T>>
void gemv_rows(std::int64_t m, std::int64_t k, const T* a, std::int64_t a_rs, const T* x, T* y, std::int64_t y_s) {
    constexpr std::int64_t w = simd::lanes<V>;
    const std::int64_t kv = k / w * w;
    std::int64_t i = 0;
    for (; i + 4 <= m; i += 4) {
        const T* r0 = a + i * a_rs;
        const T* r1 = r0 + a_rs;
        const T* r2 = r1 + a_rs;
        const T* r3 = r2 + a_rs;
        V s0 = simd::splat_as<V>(T(0)), s1 = s0, s2 = s0, s3 = s0;
        for (std::int64_t p = 0; p < kv; p += w) {
            const V xv = simd::load_as<V>(x + p);
            s0 = simd::fma_as(simd::load_as<V>(r0 + p), xv, s0);
            s1 = simd::fma_as(simd::load_as<V>(r1 + p), xv, s1);
            s2 = simd::fma_as(simd::load_as<V>(r2 + p), xv, s2);
            s3 = simd::fma_as(simd::load_as<V>(r3 + p), xv, s3);
        }
        T t0 = simd::hsum_as(s0), t1 = simd::hsum_as(s1), t2 = simd::hsum_as(s2), t3 = simd::hsum_as(s3);
        for (std::int64_t p = kv; p < k; ++p) {
            t0 += r0[p] * x[p];
            t1 += r1[p] * x[p];
            t2 += r2[p] * x[p];
            t3 += r3[p] * x[p];
        }
        y[i * y_s] = t0;
        y[(i + 1) * y_s] = t1;
        y[(i + 2) * y_s] = t2;
        y[(i + 3) * y_s] = t3;
    }
    for (; i < m; ++i) {
        const T* r0 = a + i * a_rs;
        V s0 = simd::splat_as<V>(T(0)), s1 = s0;
        std::int64_t p = 0;
        for (; p + 2 * w <= k; p += 2 * w) {
            s0 = simd::fma_as(simd::load_as<V>(r0 + p), simd::load_as<V>(x + p), s0);
            s1 = simd::fma_as(simd::load_as<V>(r0 + p + w), simd::load_as<V>(x + p + w), s1);
        }
        for (; p < kv; p += w) s0 = simd::fma_as(simd::load_as<V>(r0 + p), simd::load_as<V>(x + p), s0);
        T t = simd::hsum_as(s0 + s1);
        for (; p < k; ++p) t += r0[p] * x[p];
        y[i * y_s] = t;
    }
}

/// gemv_columns with y held in registers (w <= m <= V w, V <= 4, or 8 with AVX-512's 32 registers:
/// V batches, the last one ending at row m and overlapping the one before when m is not a
/// multiple of w). A is read in memory order, U columns in flight with an accumulator each, so
/// that no FMA waits for the one before it: with a single chain of FMAs, a 1000 x 10 Aᵀ g took
/// 1.6 µs, four cycles of latency per column.
/// Element i sums the products of columns p = u (mod U) in order, then the U partial sums.
template <class T, int V, class B = simd::batch<T>>
void gemv_columns_in_registers(std::int64_t m, std::int64_t k, const T* a, std::int64_t a_cs, const T* x,
                               std::int64_t x_s, T* y) {
    constexpr std::int64_t w = simd::lanes<B>;
    constexpr int U = V <= 2 ? 4 : 2;
    std::int64_t off[V];
    for (int v = 0; v < V; ++v) off[v] = v * w;
    off[V - 1] = m - w;
    B acc[U][V];
    for (int u = 0; u < U; ++u)
        for (int v = 0; v < V; ++v) acc[u][v] = simd::splat_as<B>(T(0));
    std::int64_t p = 0;
    for (; p + U <= k; p += U)
        for (int u = 0; u < U; ++u) {
            const T* col = a + (p + u) * a_cs;
            const B xv = simd::splat_as<B>(x[(p + u) * x_s]);
            for (int v = 0; v < V; ++v) acc[u][v] = simd::fma_as(simd::load_as<B>(col + off[v]), xv, acc[u][v]);
        }
    for (int u = 0; p < k; ++p, ++u) {
        const T* col = a + p * a_cs;
        const B xv = simd::splat_as<B>(x[p * x_s]);
        for (int v = 0; v < V; ++v) acc[u][v] = simd::fma_as(simd::load_as<B>(col + off[v]), xv, acc[u][v]);
    }
    for (int v = 0; v < V; ++v) {
        B s = acc[0][v];
        for (int u = 1; u < U; ++u) s = s + acc[u][v];
        if (v < V - 1 || off[v] == v * w) {
            simd::store_as(y + off[v], s);
        } else {  // the overlapping last batch: only its rows past the batch before
            alignas(64) T buf[w];
            s.store_aligned(buf);
            for (std::int64_t i = v * w; i < m; ++i) y[i] = buf[i - off[v]];
        }
    }
}

/// Rows of y per block of gemv_columns' streaming path: 8 KiB of y stay in L1 while A streams past.
template <class T>
inline constexpr std::int64_t gemv_y_block = 8192 / static_cast<std::int64_t>(sizeof(T));

/// y = A x with the columns of A and y contiguous (A = Bᵀ for a row-major B: the gradient Bᵀ g of
/// B x). A is read once, in memory order (B's rows, one after the other), as Eigen and BLAS do:
/// a short y (up to 4 batches, 8 with AVX-512; half a batch on a half-width one) stays in
/// registers; a longer one is updated in L1-sized blocks by four columns at a time,
/// y += a_p x_p + a_p+1 x_p+1 + a_p+2 x_p+2 + a_p+3 x_p+3, each element summing its products in
/// column order (its last m mod w rows too: they ride along as a batch ending at row m). (Walking
/// strips of y down all of A instead, as this function did before, read A with a stride of a
/// row: 1.78x Eigen's time on 1024 x 1024 doubles.) k > 0.
template <class T>
void gemv_columns(std::int64_t m, std::int64_t k, const T* a, std::int64_t a_cs, const T* x, std::int64_t x_s, T* y) {
    constexpr std::int64_t w = simd::width<T>;
    using half = simd::sized_batch<T, static_cast<std::size_t>(w / 2)>;
    if constexpr (!std::is_void_v<half>) {  // narrower than a batch: on half batches
        if (m < w && m >= w / 2) return gemv_columns_in_registers<T, 2, half>(m, k, a, a_cs, x, x_s, y);
    }
    if (m < w) {  // narrower still: independent scalar sums, one column at a time
        for (std::int64_t i = 0; i < m; ++i) y[i] = T(0);
        for (std::int64_t p = 0; p < k; ++p) {
            const T xv = x[p * x_s];
            for (std::int64_t i = 0; i < m; ++i) y[i] += a[p * a_cs + i] * xv;
        }
        return;
    }
    // y in registers: V = ceil(m / w) batches, at most 4 (8 with AVX-512's 32 registers)
    constexpr int max_v = sizeof(simd::batch<T>) == 64 ? 8 : 4;
    const std::int64_t v = (m + w - 1) / w;
    if (v <= max_v) {
        switch (v) {
            case 1: return gemv_columns_in_registers<T, 1>(m, k, a, a_cs, x, x_s, y);
            case 2: return gemv_columns_in_registers<T, 2>(m, k, a, a_cs, x, x_s, y);
            case 3: return gemv_columns_in_registers<T, 3>(m, k, a, a_cs, x, x_s, y);
            case 4: return gemv_columns_in_registers<T, 4>(m, k, a, a_cs, x, x_s, y);
            default:
                if constexpr (max_v == 8) {
                    switch (v) {
                        case 5: return gemv_columns_in_registers<T, 5>(m, k, a, a_cs, x, x_s, y);
                        case 6: return gemv_columns_in_registers<T, 6>(m, k, a, a_cs, x, x_s, y);
                        case 7: return gemv_columns_in_registers<T, 7>(m, k, a, a_cs, x, x_s, y);
                        default: return gemv_columns_in_registers<T, 8>(m, k, a, a_cs, x, x_s, y);
                    }
                }
        }
    }
    constexpr int G = 4;  // eight measured the same
    const std::int64_t full = m / w * w;
    simd::batch<T> tail{};  // rows [m - w, m): the last m - full rows of y, kept apart
    for (std::int64_t i0 = 0; i0 < full; i0 += gemv_y_block<T>) {
        const std::int64_t i1 = std::min(full, i0 + gemv_y_block<T>);
        const bool last = i1 == full && full < m;
        // Columns p..p+N-1 into rows [i0, i1); the first group writes y, the others add to it.
        const auto group = [&]<int N, bool First>(std::int64_t p) {
            const T* col[N];
            simd::batch<T> xv[N];
            for (int j = 0; j < N; ++j) {
                col[j] = a + (p + j) * a_cs;
                xv[j] = simd::splat(x[(p + j) * x_s]);
            }
            for (std::int64_t i = i0; i < i1; i += w) {
                simd::batch<T> t = First ? simd::load(col[0] + i) * xv[0] : simd::fma(simd::load(col[0] + i), xv[0], simd::load(y + i));
                for (int j = 1; j < N; ++j) t = simd::fma(simd::load(col[j] + i), xv[j], t);
                simd::store(y + i, t);
            }
            if (last) {
                tail = First ? simd::load(col[0] + m - w) * xv[0] : simd::fma(simd::load(col[0] + m - w), xv[0], tail);
                for (int j = 1; j < N; ++j) tail = simd::fma(simd::load(col[j] + m - w), xv[j], tail);
            }
        };
        std::int64_t p = 0;
        if (k >= G) {
            group.template operator()<G, true>(0);
            p = G;
        } else {
            group.template operator()<1, true>(0);
            p = 1;
        }
        for (; p + G <= k; p += G) group.template operator()<G, false>(p);
        for (; p < k; ++p) group.template operator()<1, false>(p);
    }
    if (full < m) {
        alignas(64) T buf[w];
        simd::store_aligned(buf, tail);
        for (std::int64_t i = full; i < m; ++i) y[i] = buf[i - (m - w)];
    }
}

/// Sum of x[i] * y[i] over contiguous x and y: four accumulators hide the latency of the FMA.
template <class T>
T dot_contiguous(std::int64_t n, const T* x, const T* y) {
    constexpr std::int64_t w = simd::width<T>;
    simd::batch<T> s0 = simd::splat(T(0)), s1 = s0, s2 = s0, s3 = s0;
    std::int64_t i = 0;
    for (; i + 4 * w <= n; i += 4 * w) {
        s0 = simd::fma(simd::load(x + i), simd::load(y + i), s0);
        s1 = simd::fma(simd::load(x + i + w), simd::load(y + i + w), s1);
        s2 = simd::fma(simd::load(x + i + 2 * w), simd::load(y + i + 2 * w), s2);
        s3 = simd::fma(simd::load(x + i + 3 * w), simd::load(y + i + 3 * w), s3);
    }
    for (; i + w <= n; i += w) s0 = simd::fma(simd::load(x + i), simd::load(y + i), s0);
    T t = simd::hsum((s0 + s1) + (s2 + s3));
    for (; i < n; ++i) t += x[i] * y[i];
    return t;
}

}  // namespace gemm_detail

/// y[m] = A[m x k] * x[k], written (not accumulated); k == 0 gives zeros, m == 0 writes nothing.
/// Strides as for gemm; y must not overlap A or x. Rows of A contiguous (row-major) or columns
/// contiguous (transposed) take SIMD paths; other layouts a scalar loop.
///
///     double a[2 * 2] = {1, 2, 3, 4}, x[2] = {1, 1}, y[2];
///     nabla::eval::gemv<double>(2, 2, a, 2, 1, x, 1, y, 1);   // y = {3, 7}
template <class T>
    requires simd::has_batch<T>
void gemv(std::int64_t m, std::int64_t k, const T* a, std::int64_t a_rs, std::int64_t a_cs, const T* x,
          std::int64_t x_s, T* y, std::int64_t y_s) {
    using namespace gemm_detail;
    if (m <= 0) return;
    if constexpr (std::is_floating_point_v<T>) {
        if (k > 0 && a_cs == 1 && (a_rs != 1 || m == 1)) {
            if (x_s != 1) {
                // one strided pass over x is cheaper than strided loads in every row
                T* staged = thread_scratch(2).get<T>(k);
                for (std::int64_t p = 0; p < k; ++p) staged[p] = x[p * x_s];
                x = staged;
            }
            using half = simd::sized_batch<T, static_cast<std::size_t>(simd::width<T> / 2)>;
            if constexpr (!std::is_void_v<half>)
                if (k < simd::width<T> && k >= simd::lanes<half>) return gemv_rows<T, half>(m, k, a, a_rs, x, y, y_s);
            return gemv_rows(m, k, a, a_rs, x, y, y_s);
        }
        if (k > 0 && a_rs == 1) {
            if (y_s == 1) return gemv_columns(m, k, a, a_cs, x, x_s, y);
            T* staged = thread_scratch(2).get<T>(m);
            gemv_columns(m, k, a, a_cs, x, x_s, staged);
            for (std::int64_t i = 0; i < m; ++i) y[i * y_s] = staged[i];
            return;
        }
        for (std::int64_t i = 0; i < m; ++i) {
            T t(0);
            for (std::int64_t p = 0; p < k; ++p) t += a[i * a_rs + p * a_cs] * x[p * x_s];
            y[i * y_s] = t;
        }
    } else {
        using U = std::make_unsigned_t<T>;
        for (std::int64_t i = 0; i < m; ++i) {
            U t(0);
            for (std::int64_t p = 0; p < k; ++p) t += static_cast<U>(a[i * a_rs + p * a_cs]) * static_cast<U>(x[p * x_s]);
            y[i * y_s] = static_cast<T>(t);
        }
    }
}

/// The sum of x[i] * y[i] for i < n (0 when n == 0). Contiguous float/double operands take a
/// SIMD path with several accumulators (so the rounding differs from a sequential sum); integers
/// are exact and wrap.
///
///     float x[3] = {1, 2, 3}, y[3] = {4, 5, 6};
///     float d = nabla::eval::dot<float>(3, x, 1, y, 1);   // 32
template <class T>
    requires simd::has_batch<T>
T dot(std::int64_t n, const T* x, std::int64_t x_s, const T* y, std::int64_t y_s) {
    if (n <= 0) return T(0);
    if constexpr (std::is_floating_point_v<T>) {
        if (x_s == 1 && y_s == 1) return gemm_detail::dot_contiguous(n, x, y);
        // two chains: half the latency of one, and strided loads dominate anyway
        T t0(0), t1(0);
        std::int64_t i = 0;
        for (; i + 2 <= n; i += 2) {
            t0 += x[i * x_s] * y[i * y_s];
            t1 += x[(i + 1) * x_s] * y[(i + 1) * y_s];
        }
        if (i < n) t0 += x[i * x_s] * y[i * y_s];
        return t0 + t1;
    } else {
        using U = std::make_unsigned_t<T>;
        U t(0);
        for (std::int64_t i = 0; i < n; ++i) t += static_cast<U>(x[i * x_s]) * static_cast<U>(y[i * y_s]);
        return static_cast<T>(t);
    }
}

namespace gemm_detail {

/// True when the unpacked kernel beats packing (see blocking::unpacked_b_bytes).
template <class T>
constexpr bool unpacked_fits(std::int64_t m, std::int64_t n, std::int64_t k) {
    return k * n * static_cast<std::int64_t>(sizeof(T)) <= blocking<T>::unpacked_b_bytes || m <= blocking<T>::unpacked_rows;
}

/// Every floating-point case the unpacked fast path in gemm does not take.
template <class T>
NABLA_NOINLINE void general_gemm(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t a_rs,
                                 std::int64_t a_cs, const T* b, std::int64_t b_rs, std::int64_t b_cs, T* c,
                                 std::int64_t c_rs, std::int64_t c_cs, T beta) {
    if (n == 1 && beta == T(0)) return gemv<T>(m, k, a, a_rs, a_cs, b, b_rs, c, c_rs);
    if (c_cs == 1 && k * n * static_cast<std::int64_t>(sizeof(T)) <= blocking<T>::unpacked_b_bytes) {
        // the unpacked kernel loads rows of B: stage B as row-major (it is small here)
        T* staged = thread_scratch(2).get<T>(k * n);
        for (std::int64_t p = 0; p < k; ++p)
            for (std::int64_t j = 0; j < n; ++j) staged[p * n + j] = b[p * b_rs + j * b_cs];
        return small_gemm<T>(m, n, k, a, a_rs, a_cs, staged, n, c, c_rs, beta);
    }
    packed_gemm<T>(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, c_cs, beta);
}

}  // namespace gemm_detail

/// C[m x n] = A[m x k] * B[k x n] + beta * C. With beta == 0 (the default) C is only written,
/// never read. k == 0 gives C = beta * C (zeros by default); m == 0 or n == 0 writes nothing.
///
/// Every stride may be any positive number of elements: (rows, cols) are (k, 1) for a row-major
/// A, (1, m) for the transpose of a row-major k x m matrix. C must not overlap A or B. Blocked
/// float/double products round differently from a naive loop; integer products are exact and wrap.
/// Packing buffers are thread-local and reused: concurrent calls from different threads are safe.
///
///     float a[2 * 3] = {1, 2, 3, 4, 5, 6}, b[3 * 2] = {1, 0, 0, 1, 1, 1}, c[2 * 2];
///     nabla::eval::gemm<float>(2, 2, 3, a, 3, 1, b, 2, 1, c, 2, 1);   // c = {4, 5, 10, 11}
template <class T>
    requires simd::has_batch<T>
void gemm(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t a_rs, std::int64_t a_cs,
          const T* b, std::int64_t b_rs, std::int64_t b_cs, T* c, std::int64_t c_rs, std::int64_t c_cs,
          std::type_identity_t<T> beta = T(0)) {
    using namespace gemm_detail;
    if (m <= 0 || n <= 0) return;
    if (k <= 0) return scale(m, n, c, c_rs, c_cs, beta);
    if (c_rs < c_cs) {
        // C^T = B^T A^T: every kernel runs along rows of C, so make C's contiguous direction a row
        std::swap(m, n);
        std::swap(a, b);
        std::swap(a_rs, b_cs);
        std::swap(a_cs, b_rs);
        std::swap(c_rs, c_cs);
    }
    if constexpr (std::is_floating_point_v<T>) {
        // the common small case first, with nothing between it and the kernel
        if (c_cs == 1 && b_cs == 1 && n > 1 && unpacked_fits<T>(m, n, k))
            return small_gemm<T>(m, n, k, a, a_rs, a_cs, b, b_rs, c, c_rs, beta);
        general_gemm<T>(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, c_cs, beta);
    } else {
        integer_gemm<T>(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, c, c_rs, c_cs, beta);
    }
}

/// Elements without SIMD batches (dual numbers): plain loops, each element of C one dot product.
template <class T>
    requires(!simd::has_batch<T>)
void gemv(std::int64_t m, std::int64_t k, const T* a, std::int64_t a_rs, std::int64_t a_cs, const T* x,
          std::int64_t x_s, T* y, std::int64_t y_s) {
    for (std::int64_t i = 0; i < m; ++i) {
        T t(0);
        for (std::int64_t p = 0; p < k; ++p) t = t + a[i * a_rs + p * a_cs] * x[p * x_s];
        y[i * y_s] = t;
    }
}
template <class T>
    requires(!simd::has_batch<T>)
void gemm(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t a_rs, std::int64_t a_cs,
          const T* b, std::int64_t b_rs, std::int64_t b_cs, T* c, std::int64_t c_rs, std::int64_t c_cs) {
    for (std::int64_t j = 0; j < n; ++j) gemv<T>(m, k, a, a_rs, a_cs, b + j * b_cs, b_rs, c + j * c_cs, c_rs);
}

}  // namespace nabla::eval
