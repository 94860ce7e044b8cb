#pragma once
/// \file simd.hpp
/// The only file that includes xsimd. The rest of eval/ speaks through these few names.
/// xsimd picks the instruction set at compile time from the compiler flags (-march): with
/// AVX-512 a float batch has 16 lanes; with the x86-64 baseline (no -march) it is SSE2, 4 lanes.

#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "../core/config.hpp"
#include "../core/dtype.hpp"
#include "../ops/math.hpp"

namespace nabla {

namespace simd {
/// The instruction set nabla's batches use: xsimd's best for the compiler flags (see config.hpp
/// for the one exception).
#if NABLA_SIMD_CAP_AVX2
using arch = xsimd::fma3<xsimd::avx2>;
#else
using arch = xsimd::default_arch;
#endif
}  // namespace simd

/// The instruction set this translation unit's SIMD code was compiled for ("avx512bw", "avx2", "sse2", ...).
constexpr const char* simd_arch_name() noexcept { return simd::arch::name(); }

namespace simd {

/// True for the element types with SIMD batches (bool is handled by scalar loops).
template <class T>
inline constexpr bool has_batch = std::is_same_v<T, float> || std::is_same_v<T, double> ||
                                  std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>;

template <class T>
using batch = xsimd::batch<T, arch>;

/// Lanes in a batch of T.
template <class T>
inline constexpr std::int64_t width = static_cast<std::int64_t>(batch<T>::size);

template <class T>
NABLA_INLINE batch<T> load(const T* p) noexcept { return batch<T>::load_unaligned(p); }
template <class T>
NABLA_INLINE batch<T> load_aligned(const T* p) noexcept { return batch<T>::load_aligned(p); }
template <class T>
NABLA_INLINE batch<T> splat(T v) noexcept { return batch<T>(v); }
template <class T>
NABLA_INLINE void store(T* p, const batch<T>& b) noexcept { b.store_unaligned(p); }
/// a * b + c, fused where the instruction set has FMA.
template <class T>
NABLA_INLINE batch<T> fma(const batch<T>& a, const batch<T>& b, const batch<T>& c) noexcept { return xsimd::fma(a, b, c); }
template <class T>
NABLA_INLINE void store_aligned(T* p, const batch<T>& b) noexcept { b.store_aligned(p); }
/// Sum of the lanes.
template <class T>
NABLA_INLINE T hsum(const batch<T>& b) noexcept { return xsimd::hadd(b); }

}  // namespace simd
}  // namespace nabla

/// Constants inside derivative rules applied to batches are batches.
template <class T, class A>
struct nabla::math::like_traits<xsimd::batch<T, A>, void> {
    static xsimd::batch<T, A> constant(double v) noexcept { return xsimd::batch<T, A>(static_cast<T>(v)); }
};

// ---- gemm additions (eval/gemm_kernel.hpp) ----------------------------------------------------
// Narrow tails of small matrix products (8 columns of float in an AVX-512 build) run on the
// widest batch that fits instead of on scalars. These wrappers take any batch type V.

namespace nabla::simd {

/// A batch of exactly N lanes of T from an instruction set this build enables, or void when
/// none has one (e.g. 2 floats on x86).
template <class T, std::size_t N>
using sized_batch = xsimd::make_sized_batch_t<T, N>;

/// Lanes in a batch type V.
template <class V>
inline constexpr std::int64_t lanes = static_cast<std::int64_t>(V::size);

template <class V>
NABLA_INLINE V load_as(const typename V::value_type* p) noexcept { return V::load_unaligned(p); }
template <class V>
NABLA_INLINE void store_as(typename V::value_type* p, const V& v) noexcept { v.store_unaligned(p); }
template <class V>
NABLA_INLINE V splat_as(typename V::value_type v) noexcept { return V(v); }
/// a * b + c on any batch type V.
template <class V>
NABLA_INLINE V fma_as(const V& a, const V& b, const V& c) noexcept { return xsimd::fma(a, b, c); }
/// Sum of the lanes of any batch type V.
template <class V>
NABLA_INLINE typename V::value_type hsum_as(const V& v) noexcept { return xsimd::hadd(v); }

}  // namespace nabla::simd
