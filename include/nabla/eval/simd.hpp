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

/// The instruction set this translation unit's SIMD code was compiled for ("avx512bw", "avx2", "sse2", ...).
constexpr const char* simd_arch_name() noexcept { return xsimd::default_arch::name(); }

namespace simd {

/// True for the element types with SIMD batches (bool is handled by scalar loops).
template <class T>
inline constexpr bool has_batch = std::is_same_v<T, float> || std::is_same_v<T, double> ||
                                  std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>;

template <class T>
using batch = xsimd::batch<T>;

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
