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
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

#include "../core/config.hpp"
#include "simd.hpp"

namespace nabla::eval::gemm_detail {

/// Register and cache blocking of the packed product for T in this build.
///
/// The micro-kernel keeps an mr x nr tile of C in registers: nr = 2 batches of B are loaded per
/// step of k and each of the mr elements of A is broadcast against them. AVX-512 has 32 vector
/// registers: 14 x 2 accumulators + 2 for B + 1 broadcast. AVX2 has 16: 6 x 2 + 2 + 1 (BLIS's
/// Haswell shape). SSE2 also has 16 but no FMA, so each product needs a temporary: 4 x 2.
///
/// Cache blocks, sized for a 32 KiB L1 and an L2 of at least 512 KiB (true of x86 cores since
/// Skylake-SP and Zen 2): a kc x nr micro-panel of B stays in L1 while the micro-kernel sweeps the
/// mc x kc block of A in L2; the kc x nc panel of B lives in L3.
template <class T>
struct blocking {
    static constexpr std::int64_t w = simd::width<T>;
    static constexpr std::int64_t vector_bytes = w * static_cast<std::int64_t>(sizeof(T));
    static constexpr std::int64_t nb = 2;
    static constexpr std::int64_t nr = nb * w;
    static constexpr std::int64_t mr = vector_bytes >= 64 ? 14 : (vector_bytes == 32 ? 6 : 4);
    static constexpr std::int64_t kc = 256;
    static constexpr std::int64_t mc = (vector_bytes >= 64 ? 24 : 40) * mr;
    static constexpr std::int64_t nc = 4096 / static_cast<std::int64_t>(sizeof(T)) / nr * nr * 4;
    /// Register tile of the unpacked small-size path: rows x one or two batches.
    static constexpr std::int64_t small_rows = vector_bytes >= 64 ? 8 : 4;
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

/// The calling thread's scratch buffers: 0 packed A, 1 packed B, 2 staging for strided operands.
inline scratch& thread_scratch(int slot) {
    thread_local scratch s[3];
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
    for (std::int64_t j0 = 0; j0 < nc; j0 += NR, dst += NR * kc) {
        const std::int64_t cols = std::min(NR, nc - j0);
        const T* src = b + j0 * cs;
        if (cs == 1 && cols == NR) {
            for (std::int64_t p = 0; p < kc; ++p)
                for (std::int64_t q = 0; q < NR; q += w)
                    simd::store_aligned(dst + p * NR + q, simd::load(src + p * rs + q));
        } else if (rs == 1) {
            // B transposed: read each column along its contiguous k
            for (std::int64_t q = 0; q < cols; ++q) {
                const T* s = src + q * cs;
                for (std::int64_t p = 0; p < kc; ++p) dst[p * NR + q] = s[p];
            }
        } else {
            for (std::int64_t p = 0; p < kc; ++p)
                for (std::int64_t q = 0; q < cols; ++q) dst[p * NR + q] = src[p * rs + q * cs];
        }
        if (cols < NR)
            for (std::int64_t p = 0; p < kc; ++p)
                for (std::int64_t q = cols; q < NR; ++q) dst[p * NR + q] = T(0);
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

/// R rows and NB batches (of type V) of C from A (any strides) and B (unit column stride),
/// straight from memory: C = A * B + beta * C.
template <class V, int R, int NB>
NABLA_INLINE void small_tile(std::int64_t k, const typename V::value_type* a, std::int64_t a_rs, std::int64_t a_cs,
                             const typename V::value_type* b, std::int64_t b_rs, typename V::value_type* c,
                             std::int64_t c_rs, std::int64_t c_cs, typename V::value_type beta) {
    using T = typename V::value_type;
    constexpr std::int64_t w = simd::lanes<V>;
    V acc[R][NB];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int q = 0; q < NB; ++q) acc[r][q] = simd::splat_as<V>(T(0));
    for (std::int64_t p = 0; p < k; ++p) {
        V bv[NB];
#pragma GCC unroll 4
        for (int q = 0; q < NB; ++q) bv[q] = simd::load_as<V>(b + p * b_rs + q * w);
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
            const V av = simd::splat_as<V>(a[r * a_rs + p * a_cs]);
#pragma GCC unroll 4
            for (int q = 0; q < NB; ++q) acc[r][q] = simd::fma_as(av, bv[q], acc[r][q]);
        }
    }
    if (c_cs == 1) {
        const V vbeta = simd::splat_as<V>(beta);
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
            for (int q = 0; q < NB; ++q) {
                T* dst = c + r * c_rs + q * w;
                simd::store_as(dst, beta == T(0) ? acc[r][q] : simd::fma_as(vbeta, simd::load_as<V>(dst), acc[r][q]));
            }
        return;
    }
    T tile[NB * w];
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
        for (int q = 0; q < NB; ++q) simd::store_as(tile + q * w, acc[r][q]);
        for (std::int64_t j = 0; j < NB * w; ++j) {
            T& dst = c[r * c_rs + j * c_cs];
            dst = beta == T(0) ? tile[j] : beta * dst + tile[j];
        }
    }
}

/// All m rows of an (NB * lanes<V>)-column strip of C: whole tiles of R rows, then one tile of
/// the remaining rows (R is a template argument, so the remainder picks its instantiation).
template <class V, int NB, int R>
NABLA_INLINE void small_strip(std::int64_t m, std::int64_t k, const typename V::value_type* a, std::int64_t a_rs,
                              std::int64_t a_cs, const typename V::value_type* b, std::int64_t b_rs,
                              typename V::value_type* c, std::int64_t c_rs, std::int64_t c_cs,
                              typename V::value_type beta) {
    std::int64_t i = 0;
    for (; i + R <= m; i += R) small_tile<V, R, NB>(k, a + i * a_rs, a_rs, a_cs, b, b_rs, c + i * c_rs, c_rs, c_cs, beta);
    if constexpr (R > 1)
        if (i < m) small_strip<V, NB, R - 1>(m - i, k, a + i * a_rs, a_rs, a_cs, b, b_rs, c + i * c_rs, c_rs, c_cs, beta);
}

/// Columns [j, n) of C once whole batches no longer fit: one strip of the widest narrower batch
/// type (N lanes) that fits, then narrower ones, then scalars.
template <class T, std::int64_t N, int R>
void small_tail(std::int64_t m, std::int64_t n, std::int64_t k, std::int64_t j, const T* a, std::int64_t a_rs,
                std::int64_t a_cs, const T* b, std::int64_t b_rs, T* c, std::int64_t c_rs, std::int64_t c_cs, T beta) {
    if constexpr (N >= 2 && !std::is_void_v<simd::sized_batch<T, static_cast<std::size_t>(N)>>) {
        using V = simd::sized_batch<T, static_cast<std::size_t>(N)>;
        if (n - j >= N) {
            small_strip<V, 1, R>(m, k, a, a_rs, a_cs, b + j, b_rs, c + j * c_cs, c_rs, c_cs, beta);
            j += N;
        }
        small_tail<T, N / 2, R>(m, n, k, j, a, a_rs, a_cs, b, b_rs, c, c_rs, c_cs, beta);
    } else {
        for (; j < n; ++j)
            for (std::int64_t i = 0; i < m; ++i) {
                T s(0);
                for (std::int64_t p = 0; p < k; ++p) s += a[i * a_rs + p * a_cs] * b[p * b_rs + j];
                T& dst = c[i * c_rs + j * c_cs];
                dst = beta == T(0) ? s : beta * dst + s;
            }
    }
}

/// C = A * B + beta * C without packing, for B with unit column stride (A and C: any strides).
template <class T>
void small_gemm(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t a_rs, std::int64_t a_cs,
                const T* b, std::int64_t b_rs, T* c, std::int64_t c_rs, std::int64_t c_cs, T beta) {
    using bl = blocking<T>;
    constexpr int rows = static_cast<int>(bl::small_rows);
    constexpr std::int64_t w = bl::w;
    std::int64_t j = 0;
    for (; j + 2 * w <= n; j += 2 * w)
        small_strip<simd::batch<T>, 2, rows>(m, k, a, a_rs, a_cs, b + j, b_rs, c + j * c_cs, c_rs, c_cs, beta);
    for (; j + w <= n; j += w)
        small_strip<simd::batch<T>, 1, rows>(m, k, a, a_rs, a_cs, b + j, b_rs, c + j * c_cs, c_rs, c_cs, beta);
    if (j < n) small_tail<T, w / 2, rows>(m, n, k, j, a, a_rs, a_cs, b, b_rs, c, c_rs, c_cs, beta);
}

}  // namespace nabla::eval::gemm_detail
