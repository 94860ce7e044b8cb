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

/// y = A x with the rows of A and x contiguous: four rows at a time share each load of x.
template <class T>
void gemv_rows(std::int64_t m, std::int64_t k, const T* a, std::int64_t a_rs, const T* x, T* y, std::int64_t y_s) {
    constexpr std::int64_t w = simd::width<T>;
    const std::int64_t kv = k / w * w;
    std::int64_t i = 0;
    for (; i + 4 <= m; i += 4) {
        const T* r0 = a + i * a_rs;
        const T* r1 = r0 + a_rs;
        const T* r2 = r1 + a_rs;
        const T* r3 = r2 + a_rs;
        simd::batch<T> s0 = simd::splat(T(0)), s1 = s0, s2 = s0, s3 = s0;
        for (std::int64_t p = 0; p < kv; p += w) {
            const simd::batch<T> xv = simd::load(x + p);
            s0 = simd::fma(simd::load(r0 + p), xv, s0);
            s1 = simd::fma(simd::load(r1 + p), xv, s1);
            s2 = simd::fma(simd::load(r2 + p), xv, s2);
            s3 = simd::fma(simd::load(r3 + p), xv, s3);
        }
        T t0 = simd::hsum(s0), t1 = simd::hsum(s1), t2 = simd::hsum(s2), t3 = simd::hsum(s3);
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
        simd::batch<T> s0 = simd::splat(T(0)), s1 = s0;
        std::int64_t p = 0;
        for (; p + 2 * w <= k; p += 2 * w) {
            s0 = simd::fma(simd::load(r0 + p), simd::load(x + p), s0);
            s1 = simd::fma(simd::load(r0 + p + w), simd::load(x + p + w), s1);
        }
        for (; p < kv; p += w) s0 = simd::fma(simd::load(r0 + p), simd::load(x + p), s0);
        T t = simd::hsum(s0 + s1);
        for (; p < k; ++p) t += r0[p] * x[p];
        y[i * y_s] = t;
    }
}

/// Columns of A read per block by gemv_columns: the block (at most 16 KiB) stays in L1 while
/// every strip of y passes over it.
template <class T>
std::int64_t gemv_block_columns(std::int64_t m) {
    return std::max<std::int64_t>(1, std::int64_t{16384} / (m * static_cast<std::int64_t>(sizeof(T))));
}

/// y = A x with the columns of A and y contiguous (A = Bᵀ for a row-major B: the gradient Bᵀ g of
/// B x). A is read once, in blocks of columns that stay in L1 while the strips of y accumulate
/// over them, and the blocks go from the last column to the first: a product that has just read
/// B forward (B x, in the forward pass whose gradient this is) left its last rows in the caches.
/// When even a few columns do not fit a block, each strip of y stays in registers over all of A
/// instead. The lanes left over after the last full batch run as the last w rows of y, held apart
/// so that the overlap is not added twice. Every element of y sums its products in one order. k > 0.
template <class T>
void gemv_columns(std::int64_t m, std::int64_t k, const T* a, std::int64_t a_cs, const T* x, std::int64_t x_s, T* y) {
    constexpr std::int64_t w = simd::width<T>;
    if (m < w) {  // narrower than a batch: independent scalar sums, one column at a time
        for (std::int64_t i = 0; i < m; ++i) y[i] = T(0);
        for (std::int64_t p = 0; p < k; ++p) {
            const T xv = x[p * x_s];
            for (std::int64_t i = 0; i < m; ++i) y[i] += a[p * a_cs + i] * xv;
        }
        return;
    }
    const std::int64_t block = gemv_block_columns<T>(m);
    const std::int64_t full = m / w * w;  // rows of y in full batches
    const bool blocked = block >= 4;
    alignas(64) T tail[w] = {};           // y[m - w, m) when m is not a multiple of w
    const auto sweep = [&](std::int64_t p_end, std::int64_t p_begin, bool accumulate) {
        std::int64_t i = 0;
        for (; i + 4 * w <= full; i += 4 * w) {
            simd::batch<T> s0 = simd::splat(T(0)), s1 = s0, s2 = s0, s3 = s0;
            if (accumulate) {
                s0 = simd::load(y + i), s1 = simd::load(y + i + w);
                s2 = simd::load(y + i + 2 * w), s3 = simd::load(y + i + 3 * w);
            }
            for (std::int64_t p = p_begin; p < p_end; ++p) {
                const T* col = a + p * a_cs + i;
                const simd::batch<T> xv = simd::splat(x[p * x_s]);
                s0 = simd::fma(simd::load(col), xv, s0);
                s1 = simd::fma(simd::load(col + w), xv, s1);
                s2 = simd::fma(simd::load(col + 2 * w), xv, s2);
                s3 = simd::fma(simd::load(col + 3 * w), xv, s3);
            }
            simd::store(y + i, s0);
            simd::store(y + i + w, s1);
            simd::store(y + i + 2 * w, s2);
            simd::store(y + i + 3 * w, s3);
        }
        for (; i < full; i += w) {
            simd::batch<T> s0 = accumulate ? simd::load(y + i) : simd::splat(T(0));
            for (std::int64_t p = p_begin; p < p_end; ++p) s0 = simd::fma(simd::load(a + p * a_cs + i), simd::splat(x[p * x_s]), s0);
            simd::store(y + i, s0);
        }
        if (full < m) {
            simd::batch<T> s0 = accumulate ? simd::load_aligned(tail) : simd::splat(T(0));
            for (std::int64_t p = p_begin; p < p_end; ++p) s0 = simd::fma(simd::load(a + p * a_cs + m - w), simd::splat(x[p * x_s]), s0);
            simd::store_aligned(tail, s0);
        }
    };
    if (!blocked) {
        sweep(k, 0, false);
    } else {
        for (std::int64_t p_end = k; p_end > 0; p_end -= block)
            sweep(p_end, std::max<std::int64_t>(0, p_end - block), p_end != k);
    }
    for (std::int64_t i = full; i < m; ++i) y[i] = tail[i - (m - w)];
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
