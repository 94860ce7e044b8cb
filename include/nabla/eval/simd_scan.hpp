#pragma once
/// \file simd_scan.hpp
/// In-register inclusive scan of a SIMD batch (Hillis-Steele: log2(W) shift-and-combine steps),
/// for the cumsum/cumprod kernels. Uses xsimd through simd.hpp (it includes no header of its own).

#include <cstdint>
#include <type_traits>

#include "simd.hpp"

namespace nabla::simd {

namespace detail {
// Lane i takes lane i - K (lanes below K take lane 0; they are masked off afterwards).
template <unsigned K>
struct shift_source {
    static constexpr unsigned get(unsigned i, unsigned) { return i >= K ? i - K : 0; }
};
// Every lane takes the last lane.
struct last_source {
    static constexpr unsigned get(unsigned, unsigned n) { return n - 1; }
};
// True on lanes K and above.
template <unsigned K>
struct from_lane {
    static constexpr bool get(unsigned i, unsigned) { return i >= K; }
};
template <class T>
using lane_index_t = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;

template <unsigned K, class T, class R>
NABLA_INLINE batch<T> scan_step(const batch<T>& x, const R& r, const batch<T>& identity) {
    if constexpr (K >= batch<T>::size) {
        return x;
    } else {
        using index_batch = xsimd::batch<lane_index_t<T>, arch>;
        constexpr auto source = xsimd::make_batch_constant<index_batch, shift_source<K>>();
        constexpr auto keep = xsimd::make_batch_bool_constant<batch<T>, from_lane<K>>();
        const batch<T> shifted = xsimd::select(keep, xsimd::swizzle(x, source), identity);
        return scan_step<2 * K>(batch<T>(r(x, shifted)), r, identity);
    }
}
}  // namespace detail

/// Inclusive scan of the lanes of x under the associative op r with identity `id`.
template <class T, class R>
NABLA_INLINE batch<T> inclusive_scan(const batch<T>& x, const R& r, T id) {
    return detail::scan_step<1>(x, r, batch<T>(id));
}

/// Every lane set to x's last lane (the carry into the next batch).
template <class T>
NABLA_INLINE batch<T> broadcast_last(const batch<T>& x) {
    using index_batch = xsimd::batch<detail::lane_index_t<T>, arch>;
    return xsimd::swizzle(x, xsimd::make_batch_constant<index_batch, detail::last_source>());
}

}  // namespace nabla::simd
