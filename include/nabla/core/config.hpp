#pragma once
/// \file config.hpp
/// The library's only macros: limits and compiler hints, all prefixed NABLA_.

/// Largest rank a tensor may have. Shapes and strides are stored inline (no heap), so this bounds
/// the size of a tensor handle; PyTorch allows more, but ranks above 8 are rare in practice.
#ifndef NABLA_MAX_RANK
#define NABLA_MAX_RANK 8
#endif

/// Placed before a loop: asks the compiler to unroll it twice *after* inlining, so that the loop
/// body is written, and weighed by the inliner, once (define it empty to turn unrolling off).
#if defined(NABLA_UNROLL_2)
#elif defined(__clang__)
#define NABLA_UNROLL_2 _Pragma("clang loop unroll_count(2)")
#elif defined(__GNUC__)
#define NABLA_UNROLL_2 _Pragma("GCC unroll 2")
#else
#define NABLA_UNROLL_2
#endif

/// 1 when compiled under AddressSanitizer (caches that would hide a use after free turn off).
#if defined(__SANITIZE_ADDRESS__)
#define NABLA_SANITIZE_ADDRESS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NABLA_SANITIZE_ADDRESS 1
#endif
#endif
#ifndef NABLA_SANITIZE_ADDRESS
#define NABLA_SANITIZE_ADDRESS 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define NABLA_INLINE inline __attribute__((always_inline))
#define NABLA_NOINLINE __attribute__((noinline))
#define NABLA_RESTRICT __restrict__
#define NABLA_LIKELY(x) __builtin_expect(!!(x), 1)
#define NABLA_UNLIKELY(x) __builtin_expect(!!(x), 0)
/// The value of `x` (a pointer or integer), loaded into a general register on its own: not merged
/// with its neighbours into one vector load (see counted_ref in refcount.hpp).
#define NABLA_SCALAR_LOAD(x) ([](auto v) noexcept { __asm__("" : "+r"(v)); return v; }(x))
#else
#define NABLA_INLINE inline
#define NABLA_NOINLINE
#define NABLA_RESTRICT
#define NABLA_LIKELY(x) (x)
#define NABLA_UNLIKELY(x) (x)
#define NABLA_SCALAR_LOAD(x) (x)
#endif

/// xsimd 8.1's AVX-512BW kernels (integer select, used inside its float log and pow) do not
/// compile without optimisation (GCC then defines the blend intrinsics as casting macros), so
/// unoptimised AVX-512 builds cap nabla's SIMD at AVX2.
#if defined(__AVX512BW__) && !defined(__OPTIMIZE__)
#define NABLA_SIMD_CAP_AVX2 1
#else
#define NABLA_SIMD_CAP_AVX2 0
#endif
