#pragma once
/// \file gemm_kernel.hpp
/// The parts of the floating-point matrix product that eval/gemm.hpp assembles, after Goto and
/// van de Geijn ("Anatomy of high-performance matrix multiplication", 2008) and BLIS:
///  - `blocking<T>`: register tile (mr x nr) and cache blocks (mc, kc, nc), from the batch width;
///  - `pack_a`, `pack_b`: copy a block of A or B, whatever its strides, into contiguous aligned
///    micro-panels in the order the micro-kernel reads them, zero-padded to whole tiles;
///  - `micro_kernel`: one mr x nr tile of C from a packed A panel and a packed B panel;
///  - `small_gemm`: products too small to repay packing, register-blocked straight from memory;
///  - `scratch`: the per-thread buffers the packed panels live in.
/// Everything here is an implementation detail of nabla::eval::gemm.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "../core/config.hpp"
#include "simd.hpp"

namespace nabla::eval::gemm_detail {

/// Register and cache blocking for T in this build, derived from the batch width.
///
/// Register tile: the micro-kernel keeps mr x nr of C in registers, loading nr = 2 batches of B
/// per step of k and broadcasting each of mr elements of A against them. AVX-512 has 32 vector
/// registers: 14 x 2 accumulators + 2 for B + 1 broadcast. AVX2 has 16: 6 x 2 + 2 + 1 (BLIS's
/// Haswell shape). SSE2 also has 16 but no FMA, so each product needs a temporary: 4 x 2.
///
/// Cache blocks (Goto): an mc x kc block of A stays in L2 while kc x nr micro-panels of B stream
/// past it; the kc x nc panel of B lives in L3. kc is large because every kc-slice of k costs a
/// pass of loads and stores over C. AVX-512 parts have an L2 of 1 MiB or more (512 KiB on the
/// oldest clients): kc = 2 KiB of k per row and a 336 KiB block of A. AVX2/SSE2 parts may have
/// 256 KiB: kc = 256 and a 160 KiB block. Measured on Zen 4 (1 MiB L2): see bench/README.md.
template <class T>
struct blocking {
    static constexpr std::int64_t w = simd::width<T>;
    static constexpr std::int64_t vector_bytes = w * static_cast<std::int64_t>(sizeof(T));
    static constexpr bool avx512 = vector_bytes >= 64;
    static constexpr std::int64_t nb = 2;
    static constexpr std::int64_t nr = nb * w;
    static constexpr std::int64_t mr = avx512 ? 14 : (vector_bytes == 32 ? 6 : 4);
    static constexpr std::int64_t kc = avx512 ? 2048 / static_cast<std::int64_t>(sizeof(T)) : 256;
    static constexpr std::int64_t a_block_bytes = (avx512 ? 336 : 160) * 1024;
    static constexpr std::int64_t mc = a_block_bytes / (kc * static_cast<std::int64_t>(sizeof(T))) / mr * mr;
    static constexpr std::int64_t nc = 16384 / static_cast<std::int64_t>(sizeof(T)) / nr * nr;

    /// Unpacked path: tile rows (by one or two batches), as many as leave registers for B.
    static constexpr std::int64_t small_rows = avx512 ? 8 : (vector_bytes == 32 ? 6 : 4);
    /// The unpacked path re-reads B (k x n) for every strip of small_rows rows of C: it wins
    /// while B stays in L2 (measured crossover on Zen 4: about 256 KiB for AVX-512, 128 KiB for AVX2).
    static constexpr std::int64_t unpacked_b_bytes = (avx512 ? 256 : (vector_bytes == 32 ? 128 : 64)) * 1024;
    /// ... or when C has so few rows that B is read only a couple of times anyway.
    static constexpr std::int64_t unpacked_rows = 2 * small_rows;

    static_assert(mc >= mr && nc >= nr && kc >= 1, "nabla::eval::gemm: cache blocks smaller than a register tile");
};

/// A 64-byte-aligned scratch buffer owned by one thread, grown on demand and kept for later calls,
/// so that a product allocates only when it is larger than every earlier one on the thread.
class scratch {
public:
    scratch() = default;
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;
    ~scratch() { release(); }

    /// Room for `count` elements of T; the contents are unspecified.
    template <class T>
    T* get(std::int64_t count) {
        const std::size_t bytes = static_cast<std::size_t>(count) * sizeof(T);
        if (bytes > bytes_) {
            release();
            p_ = ::operator new(bytes, std::align_val_t{64});
            bytes_ = bytes;
        }
        return static_cast<T*>(p_);
    }

private:
    void release() noexcept {
        if (p_) ::operator delete(p_, std::align_val_t{64});
        p_ = nullptr;
        bytes_ = 0;
    }
    void* p_ = nullptr;
    std::size_t bytes_ = 0;
};

/// The calling thread's scratch buffers: 0 packed A, 1 packed B, 2 strided operands staged
/// contiguous, 3 the padded last columns of an unpacked product (which may read slot 2).
inline scratch& thread_scratch(int slot) {
    thread_local scratch s[4];
    return s[slot];
}

/// Copies the mc x kc block of A at `a` into micro-panels of MR rows: element (i*MR + r, p) goes
/// to dst[i*MR*kc + p*MR + r], and rows past mc are zeros, so the kernel never tests for edges.
template <class T, std::int64_t MR>
void pack_a(std::int64_t mc, std::int64_t kc, const T* a, std::int64_t rs, std::int64_t cs, T* NABLA_RESTRICT dst) {
    for (std::int64_t i0 = 0; i0 < mc; i0 += MR, dst += MR * kc) {
        const std::int64_t rows = std::min(MR, mc - i0);
        const T* src = a + i0 * rs;
        if (rows == MR && cs == 1) {
            // A row-major: write the panel in order, reading MR rows side by side (each row's
            // cache line serves 16 steps of p)
            const T* row[MR];
            for (std::int64_t r = 0; r < MR; ++r) row[r] = src + r * rs;
            for (std::int64_t p = 0; p < kc; ++p)
#pragma GCC unroll 16
                for (std::int64_t r = 0; r < MR; ++r) dst[p * MR + r] = row[r][p];
        } else if (rows == MR && rs == 1) {
            // A transposed: each step of p is one contiguous run of MR
            for (std::int64_t p = 0; p < kc; ++p)
#pragma GCC unroll 16
                for (std::int64_t r = 0; r < MR; ++r) dst[p * MR + r] = src[p * cs + r];
        } else if (rows == MR) {
            for (std::int64_t p = 0; p < kc; ++p)
#pragma GCC unroll 16
                for (std::int64_t r = 0; r < MR; ++r) dst[p * MR + r] = src[p * cs + r * rs];
        } else {
            for (std::int64_t p = 0; p < kc; ++p) {
                for (std::int64_t r = 0; r < rows; ++r) dst[p * MR + r] = src[p * cs + r * rs];
                for (std::int64_t r = rows; r < MR; ++r) dst[p * MR + r] = T(0);
            }
        }
    }
}

/// Copies the kc x nc block of B at `b` into micro-panels of NR columns: element (p, j*NR + q)
/// goes to dst[j*NR*kc + p*NR + q], and columns past nc are zeros.
template <class T, std::int64_t NR>
void pack_b(std::int64_t kc, std::int64_t nc, const T* b, std::int64_t rs, std::int64_t cs, T* NABLA_RESTRICT dst) {
    constexpr std::int64_t w = simd::width<T>;
    const std::int64_t full = cs == 1 ? nc / NR : 0;
    if (full > 0) {
        // B row-major: read each row of B once, front to back, dealing it out to the panels
        for (std::int64_t p = 0; p < kc; ++p) {
            const T* s = b + p * rs;
            T* d = dst + p * NR;
            for (std::int64_t j = 0; j < full; ++j)
#pragma GCC unroll 4
                for (std::int64_t q = 0; q < NR; q += w)
                    simd::store_aligned(d + j * NR * kc + q, simd::load(s + j * NR + q));
        }
    }
    for (std::int64_t j0 = full * NR; j0 < nc; j0 += NR) {
        const std::int64_t cols = std::min(NR, nc - j0);
        const T* src = b + j0 * cs;
        T* d = dst + j0 * kc;
        if (rs == 1) {
            // B transposed: read each column along its contiguous k
            for (std::int64_t q = 0; q < cols; ++q)
                for (std::int64_t p = 0; p < kc; ++p) d[p * NR + q] = src[q * cs + p];
        } else {
            for (std::int64_t p = 0; p < kc; ++p)
                for (std::int64_t q = 0; q < cols; ++q) d[p * NR + q] = src[p * rs + q * cs];
        }
        if (cols < NR)
            for (std::int64_t p = 0; p < kc; ++p)
                for (std::int64_t q = cols; q < NR; ++q) d[p * NR + q] = T(0);
    }
}

/// One tile of C: C[0:rows, 0:cols] = A_panel * B_panel + beta * C (C is not read when beta == 0),
/// where the panels are packed (MR x kc and kc x NR) and the tile is computed whole in registers.
template <class T>
NABLA_NOINLINE void micro_kernel(std::int64_t kc, const T* NABLA_RESTRICT a, const T* NABLA_RESTRICT b, T* c,
                                 std::int64_t rs, std::int64_t cs, std::int64_t rows, std::int64_t cols, T beta) {
    using bl = blocking<T>;
    constexpr std::int64_t mr = bl::mr, nb = bl::nb, nr = bl::nr, w = bl::w;
    simd::batch<T> acc[mr][nb];
#pragma GCC unroll 16
    for (std::int64_t r = 0; r < mr; ++r)
#pragma GCC unroll 4
        for (std::int64_t q = 0; q < nb; ++q) acc[r][q] = simd::splat(T(0));

#if defined(__GNUC__)
    // C is read (beta != 0) and written only after the loop: start fetching its lines now
    if (cs == 1)
        for (std::int64_t r = 0; r < mr; ++r) {
            __builtin_prefetch(c + r * rs, 1);
            __builtin_prefetch(c + r * rs + nr - 1, 1);
        }
#endif
    for (std::int64_t p = 0; p < kc; ++p, a += mr, b += nr) {
        simd::batch<T> bv[nb];
#pragma GCC unroll 4
        for (std::int64_t q = 0; q < nb; ++q) bv[q] = simd::load_aligned(b + q * w);
#pragma GCC unroll 16
        for (std::int64_t r = 0; r < mr; ++r) {
            const simd::batch<T> av = simd::splat(a[r]);
#pragma GCC unroll 4
            for (std::int64_t q = 0; q < nb; ++q) acc[r][q] = simd::fma(av, bv[q], acc[r][q]);
        }
    }

    if (rows == mr && cols == nr && cs == 1) {
        const simd::batch<T> vbeta = simd::splat(beta);
#pragma GCC unroll 16
        for (std::int64_t r = 0; r < mr; ++r)
#pragma GCC unroll 4
            for (std::int64_t q = 0; q < nb; ++q) {
                T* dst = c + r * rs + q * w;
                simd::store(dst, beta == T(0) ? acc[r][q] : simd::fma(vbeta, simd::load(dst), acc[r][q]));
            }
        return;
    }
    alignas(64) T tile[mr * nr];
#pragma GCC unroll 16
    for (std::int64_t r = 0; r < mr; ++r)
#pragma GCC unroll 4
        for (std::int64_t q = 0; q < nb; ++q) simd::store_aligned(tile + r * nr + q * w, acc[r][q]);
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t q = 0; q < cols; ++q) {
            T& dst = c[r * rs + q * cs];
            dst = beta == T(0) ? tile[r * nr + q] : beta * dst + tile[r * nr + q];
        }
}

/// One step of k of small_tile: acc[r][q] += A[r][p] * B[p][q], with the rows of A addressed as
/// (base of a group of four) + (0, 1, 2 or 3 row strides). x86 addressing scales an index by 1, 2,
/// 4 or 8, so eight rows take four registers rather than eight pointers.
template <class V, int R, int NB>
NABLA_INLINE void small_step(V (&acc)[R][NB], const typename V::value_type* const* ag, std::int64_t rs,
                             std::int64_t rs3, const typename V::value_type* b) {
    constexpr std::int64_t w = simd::lanes<V>;
    V bv[NB];
#pragma GCC unroll 4
    for (int q = 0; q < NB; ++q) bv[q] = simd::load_as<V>(b + q * w);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
        const auto* row = ag[r / 4];
        const V av = simd::splat_as<V>(r % 4 == 0 ? row[0] : r % 4 == 1 ? row[rs] : r % 4 == 2 ? row[2 * rs] : row[rs3]);
#pragma GCC unroll 4
        for (int q = 0; q < NB; ++q) acc[r][q] = simd::fma_as(av, bv[q], acc[r][q]);
    }
}

/// R rows and NB batches (of type V) of C = A * B + beta * C, straight from memory: A with any
/// strides, B and C with unit column stride.
template <class V, int R, int NB>
NABLA_NOINLINE void small_tile(std::int64_t k, const typename V::value_type* a, std::int64_t a_rs, std::int64_t a_cs,
                             const typename V::value_type* b, std::int64_t b_rs, typename V::value_type* c,
                             std::int64_t c_rs, typename V::value_type beta) {
    using T = typename V::value_type;
    constexpr std::int64_t w = simd::lanes<V>;
    constexpr int groups = (R + 3) / 4;
    const T* ag[groups];
#pragma GCC unroll 4
    for (int g = 0; g < groups; ++g) ag[g] = a + 4 * g * a_rs;
    const std::int64_t rs3 = 3 * a_rs;
    V acc[R][NB];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int q = 0; q < NB; ++q) acc[r][q] = simd::splat_as<V>(T(0));
    for (std::int64_t p = 0; p < k; ++p, b += b_rs) {
        small_step<V, R, NB>(acc, ag, a_rs, rs3, b);
#pragma GCC unroll 4
        for (int g = 0; g < groups; ++g) ag[g] += a_cs;
    }
    const V vbeta = simd::splat_as<V>(beta);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int q = 0; q < NB; ++q) {
            T* dst = c + r * c_rs + q * w;
            simd::store_as(dst, beta == T(0) ? acc[r][q] : simd::fma_as(vbeta, simd::load_as<V>(dst), acc[r][q]));
        }
}

/// small_tile<V, r, NB> for r = 1 .. R-1, indexed by r: the tile for the rows left over below
/// the last whole tile of R rows, reached with one indirect call rather than a chain of tests.
template <class V, int NB, int R>
inline constexpr auto small_remainder = []<int... r>(std::integer_sequence<int, r...>) {
    using tile = void (*)(std::int64_t, const typename V::value_type*, std::int64_t, std::int64_t,
                          const typename V::value_type*, std::int64_t, typename V::value_type*, std::int64_t,
                          typename V::value_type);
    return std::array<tile, R>{nullptr, &small_tile<V, r + 1, NB>...};
}(std::make_integer_sequence<int, R - 1>{});

/// All m rows of an (NB * lanes<V>)-column strip of C: whole tiles of R rows, then one tile of
/// the remaining rows.
template <class V, int NB, int R>
NABLA_INLINE void small_strip(std::int64_t m, std::int64_t k, const typename V::value_type* a, std::int64_t a_rs,
                              std::int64_t a_cs, const typename V::value_type* b, std::int64_t b_rs,
                              typename V::value_type* c, std::int64_t c_rs, typename V::value_type beta) {
    std::int64_t i = 0;
    for (; i + R <= m; i += R) small_tile<V, R, NB>(k, a + i * a_rs, a_rs, a_cs, b, b_rs, c + i * c_rs, c_rs, beta);
    if (i < m) small_remainder<V, NB, R>[m - i](k, a + i * a_rs, a_rs, a_cs, b, b_rs, c + i * c_rs, c_rs, beta);
}

/// Copies n elements, 0 < n < 2N, as two overlapping batches of the widest type no wider than n
/// (one scalar at a time below the narrowest batch type).
template <class T, std::int64_t N = blocking<T>::w>
NABLA_INLINE void copy_short(T* dst, const T* src, std::int64_t n) {
    using V = std::conditional_t<N == blocking<T>::w, simd::batch<T>, simd::sized_batch<T, static_cast<std::size_t>(N)>>;
    if constexpr (N >= 2 && !std::is_void_v<V>) {
        if (n >= N) {
            const V head = simd::load_as<V>(src), tail = simd::load_as<V>(src + n - N);
            simd::store_as(dst, head);
            simd::store_as(dst + n - N, tail);
            return;
        }
        copy_short<T, N / 2>(dst, src, n);
    } else {
        for (std::int64_t i = 0; i < n; ++i) dst[i] = src[i];
    }
}

/// The last `cols` columns of C, fewer than the lanes of V: B's columns are copied into a
/// zero-padded strip one batch wide and C's through another, so that they run on batches too.
/// (Scalar code, or a cascade of ever narrower batches, would cost more than the rest of a
/// small product.)
template <class T, class V, int R>
NABLA_NOINLINE void small_padded(std::int64_t m, std::int64_t cols, std::int64_t k, const T* a, std::int64_t a_rs,
                                 std::int64_t a_cs, const T* b, std::int64_t b_rs, T* c, std::int64_t c_rs, T beta) {
    constexpr std::int64_t w = simd::lanes<V>;
    T* bp = thread_scratch(3).get<T>((k + m) * w);
    T* cp = bp + k * w;
    const V zero = simd::splat_as<V>(T(0));
    for (std::int64_t p = 0; p < k; ++p) {
        simd::store_as(bp + p * w, zero);
        copy_short(bp + p * w, b + p * b_rs, cols);
    }
    if (beta != T(0))
        for (std::int64_t i = 0; i < m; ++i) {
            simd::store_as(cp + i * w, zero);
            copy_short(cp + i * w, c + i * c_rs, cols);
        }
    small_strip<V, 1, R>(m, k, a, a_rs, a_cs, bp, w, cp, w, beta);
    for (std::int64_t i = 0; i < m; ++i) copy_short(c + i * c_rs, cp + i * w, cols);
}

/// The last `cols` < N columns of C (b and c point at the first of them): on the batch type of
/// exactly `cols` lanes when there is one, else padded to the narrowest batch type wider than
/// `cols`. N runs down the lane counts this build has batch types for.
template <class T, int R, std::int64_t N = blocking<T>::w>
NABLA_INLINE void small_rest(std::int64_t m, std::int64_t cols, std::int64_t k, const T* a, std::int64_t a_rs,
                             std::int64_t a_cs, const T* b, std::int64_t b_rs, T* c, std::int64_t c_rs, T beta) {
    using V = std::conditional_t<N == blocking<T>::w, simd::batch<T>, simd::sized_batch<T, static_cast<std::size_t>(N)>>;
    constexpr std::int64_t half = N / 2;
    if constexpr (half >= 2 && !std::is_void_v<simd::sized_batch<T, static_cast<std::size_t>(half)>>)
        if (cols <= half) return small_rest<T, R, half>(m, cols, k, a, a_rs, a_cs, b, b_rs, c, c_rs, beta);
    if (cols == N) return small_strip<V, 1, R>(m, k, a, a_rs, a_cs, b, b_rs, c, c_rs, beta);
    small_padded<T, V, R>(m, cols, k, a, a_rs, a_cs, b, b_rs, c, c_rs, beta);
}

/// Columns [j, n) of C, narrower than one full batch.
template <class T>
NABLA_NOINLINE void small_narrow(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t j, const T* a,
                                 std::int64_t a_rs, std::int64_t a_cs, const T* b, std::int64_t b_rs, T* c,
                                 std::int64_t c_rs, T beta) {
    small_rest<T, static_cast<int>(blocking<T>::small_rows)>(m, n - j, k, a, a_rs, a_cs, b + j, b_rs, c + j, c_rs, beta);
}

/// Columns of C in whole batches, then the rest.
template <class T>
NABLA_NOINLINE void small_wide(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t a_rs,
                               std::int64_t a_cs, const T* b, std::int64_t b_rs, T* c, std::int64_t c_rs, T beta) {
    using bl = blocking<T>;
    constexpr int rows = static_cast<int>(bl::small_rows);
    constexpr std::int64_t w = bl::w;
    std::int64_t j = 0;
    for (; j + 2 * w <= n; j += 2 * w)
        small_strip<simd::batch<T>, 2, rows>(m, k, a, a_rs, a_cs, b + j, b_rs, c + j, c_rs, beta);
    for (; j + w <= n; j += w)
        small_strip<simd::batch<T>, 1, rows>(m, k, a, a_rs, a_cs, b + j, b_rs, c + j, c_rs, beta);
    if (j == n) return;
    if (beta == T(0)) {
        // one more whole batch, ending at column n: it recomputes a few columns, and writes
        // them again with the same values, which is cheaper than any narrow tail
        small_strip<simd::batch<T>, 1, rows>(m, k, a, a_rs, a_cs, b + n - w, b_rs, c + n - w, c_rs, beta);
        return;
    }
    small_narrow<T>(m, n, k, j, a, a_rs, a_cs, b, b_rs, c, c_rs, beta);
}

/// C = A * B + beta * C without packing, for B and C with unit column stride (A: any strides).
template <class T>
NABLA_INLINE void small_gemm(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t a_rs,
                             std::int64_t a_cs, const T* b, std::int64_t b_rs, T* c, std::int64_t c_rs, T beta) {
    if (n < blocking<T>::w) return small_narrow<T>(m, n, k, 0, a, a_rs, a_cs, b, b_rs, c, c_rs, beta);
    small_wide<T>(m, n, k, a, a_rs, a_cs, b, b_rs, c, c_rs, beta);
}

}  // namespace nabla::eval::gemm_detail
