#pragma once
/// \file simd_math.hpp
/// Fast exp, sin and cos on xsimd batches of float and double, in nabla::math.
/// Method (Cephes / Eigen style): Cody-Waite range reduction whose constants have few enough bits
/// that every product n * C_i is exact, then a near-minimax polynomial (Chebyshev fit, mpmath),
/// then a rescale by integer arithmetic on the exponent bits. Only xsimd operations are used, and
/// no step needs a fused multiply-add (xsimd 8.1 has no AVX-512 fma kernel: x*y+z fuses only if
/// the compiler contracts it, as GCC 12 does by default), so SSE2, AVX2 and AVX-512 all meet the
/// accuracy below (max ulp measured against long double, fused and unfused builds).
/// A batch with a lane outside the fast range (rare) takes one branch to a slower exact path.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "../core/config.hpp"
#include "../ops/functions.hpp"
#include "simd.hpp"  // xsimd itself (included there only)

// Not nabla::math itself: an op body's unqualified `exp(x)` must resolve the same way in every
// translation unit, whatever was included before it; the engines reach these through the
// `invoke_op` hooks at the end of this file.
namespace nabla::math::fast {

namespace detail {

template <class T>
struct consts;

template <>
struct consts<float> {
    using int_type = std::int32_t;
    static constexpr int mant_bits = 23;
    static constexpr float shifter = 0x1.8p23f;  // x + shifter rounds x to an integer kept in the low mantissa bits
    // exp
    static constexpr float log2e = 1.44269504088896341f;
    static constexpr float ln2_hi = 0.693145751953125f;  // 16 bits: k * ln2_hi exact for |k| < 2^8
    static constexpr float ln2_lo = 1.428606765330187045e-6f;
    static constexpr float exp_fast = 87.0f;  // |x| <= this: 2^k * p is a normal number
    static constexpr float exp_min = -104.0f, exp_max = 89.0f;  // exp rounds to 0 / inf beyond
    static constexpr int edge_bias = 64;
    static constexpr float edge_up = 0x1p64f, edge_down = 0x1p-64f;
    static constexpr float exp_tail[] = {0.5f, 0.16666576989698775683f, 0.041666554617204574203f,
                                         0.0083631790527225773704f, 0.0013926183587713494542f};
    // sin / cos
    static constexpr float inv_pi = 0.318309886183790671538f;
    static constexpr float pi_1 = 3.14154052734375f;  // 16 bits each: n * pi_i exact for n < 2^8
    static constexpr float pi_2 = 0.00005212612450122833251953125f;
    static constexpr float pi_3 = 1.21542012565534207624e-10f;
    static constexpr float trig_fast = 200.0f;
    static constexpr float cos_one = 0x1p-12f;
    static constexpr float sin_tail[] = {-0.166666666638756931173f, 0.00833333276785620855442f,
                                         -0.000198410863434799046471f, 0.00000275364470828341010716f,
                                         -2.40798090136294762157e-8f};
};

template <>
struct consts<double> {
    using int_type = std::int64_t;
    static constexpr int mant_bits = 52;
    static constexpr double shifter = 0x1.8p52;
    static constexpr double log2e = 1.44269504088896340735992468100189214;
    static constexpr double ln2_hi = 0.6931471805598903301870450377464294433594;  // 42 bits, |k| < 2^11
    static constexpr double ln2_lo = 5.497923018708371155242020688705936509646e-14;
    static constexpr double exp_fast = 708.0;
    static constexpr double exp_min = -746.0, exp_max = 710.0;
    static constexpr int edge_bias = 600;
    static constexpr double edge_up = 0x1p600, edge_down = 0x1p-600;
    static constexpr double exp_tail[] = {0.50000000000000010221, 0.16666666666666667453, 0.041666666666624127873,
                                          0.0083333333333300618325, 0.0013888888917213716901, 0.00019841269863053616878,
                                          0.000024801521295954375131, 2.7557268459997064772e-6, 2.7620088445409748161e-7,
                                          2.5100385495510319078e-8};
    static constexpr double inv_pi = 0.318309886183790671537767526745028724;
    static constexpr double pi_1 = 3.141592653584666550159454345703125;  // 37 bits each: n < 2^16
    static constexpr double pi_2 = 5.126688303167911578243909342944562013145e-12;
    static constexpr double pi_3 = 2.112599813397485528053216135614976638423e-23;
    static constexpr double trig_fast = 1e5;
    static constexpr double cos_one = 1e-8;
    static constexpr double sin_tail[] = {-0.166666666666666666329, 0.00833333333333331582002,
                                          -0.000198412698412549381861, 0.00000275573192191536234273,
                                          -2.50521076157725828168e-8, 1.60589772331473169276e-10,
                                          -7.64396776493426830919e-13, 2.73141320376900011592e-15};
};

/// c[0] + c[1] x + ... by Horner's rule.
template <class B, class T, std::size_t N>
inline B horner(const B& x, const T (&c)[N]) noexcept {
    B p(c[N - 1]);
    for (std::size_t i = N - 1; i-- > 0;) p = xsimd::fma(p, x, B(c[i]));
    return p;
}

/// exp(x) * 2^bias, for x where that is a normal number (|x| <= exp_fast when bias == 0).
template <class T, class A>
inline xsimd::batch<T, A> exp_scaled(const xsimd::batch<T, A>& x, int bias) noexcept {
    using B = xsimd::batch<T, A>;
    using I = xsimd::batch<typename consts<T>::int_type, A>;
    using C = consts<T>;
    const B kb = xsimd::fma(x, B(C::log2e), B(C::shifter));  // k = round(x / ln 2), in kb's low bits
    const B k = kb - B(C::shifter);
    B r = xsimd::fnma(k, B(C::ln2_hi), x);  // r = x - k ln2, |r| <= ln2 / 2
    r = xsimd::fnma(k, B(C::ln2_lo), r);
    const B p = xsimd::fma(r * r, horner(r, C::exp_tail), r) + B(T(1));  // exp(r) = 1 + r + r^2 tail(r)
    // shifter << mant_bits wraps to 0, so this is (k + bias) << mant_bits: add it to p's exponent.
    const I e = (xsimd::bitwise_cast<I>(kb) + I(bias)) << C::mant_bits;
    return xsimd::bitwise_cast<B>(xsimd::bitwise_cast<I>(p) + e);
}

/// exp for a batch with a lane outside +-exp_fast: overflow, underflow, subnormal results, inf, nan.
template <class T, class A>
NABLA_NOINLINE xsimd::batch<T, A> exp_edge(const xsimd::batch<T, A>& x) noexcept {
    using B = xsimd::batch<T, A>;
    using C = consts<T>;
    const B xc = xsimd::min(xsimd::max(x, B(C::exp_min)), B(C::exp_max));
    // Scale by 2^(k -+ bias) first (a normal number), then by 2^(+-bias): one rounding, so
    // overflow gives inf, and subnormal results are correctly rounded (not flushed).
    const B up = exp_scaled(xc, -C::edge_bias) * B(C::edge_up);
    const B down = exp_scaled(xc, C::edge_bias) * B(C::edge_down);
    const B y = xsimd::select(xc > B(T(0)), up, down);
    return xsimd::select(xsimd::isnan(x), x, y);
}

/// Batches with a lane beyond trig_fast, inf or nan. xsimd's float sin/cos are accurate (<= 1.6 ulp
/// measured); its double ones are not (25000 ulp near 29 pi/2), so doubles go element by element.
template <bool Cos, class T, class A>
NABLA_NOINLINE xsimd::batch<T, A> sin_cos_slow(const xsimd::batch<T, A>& x) noexcept {
    if constexpr (std::is_same_v<T, float>) {
        return Cos ? xsimd::cos(x) : xsimd::sin(x);
    } else {
        T v[xsimd::batch<T, A>::size];
        x.store_unaligned(v);
        for (T& e : v) e = Cos ? std::cos(e) : std::sin(e);
        return xsimd::batch<T, A>::load_unaligned(v);
    }
}

/// sin(x) (Cos = false) or cos(x) (Cos = true). With a = |x|:
///   sin: n = round(a / pi),        r = a - n pi,         sin(a) = (-1)^n sin(r)
///   cos: n = round(a / pi - 1/2),  r = a - (n + 1/2) pi, cos(a) = (-1)^(n+1) sin(r)
/// so |r| <= pi/2 and one odd polynomial r + r^3 tail(r^2) serves both.
template <bool Cos, class T, class A>
inline xsimd::batch<T, A> sin_cos(const xsimd::batch<T, A>& x) noexcept {
    using B = xsimd::batch<T, A>;
    using I = xsimd::batch<typename consts<T>::int_type, A>;
    using C = consts<T>;
    const B a = xsimd::abs(x);
    if (NABLA_UNLIKELY(!xsimd::all(a <= B(C::trig_fast))))  // also nan and inf
        return sin_cos_slow<Cos>(x);
    B nb;
    if constexpr (Cos)
        nb = xsimd::fma(a, B(C::inv_pi), B(T(-0.5))) + B(C::shifter);
    else
        nb = xsimd::fma(a, B(C::inv_pi), B(C::shifter));
    B n = nb - B(C::shifter);
    if constexpr (Cos) n += B(T(0.5));
    B r = xsimd::fnma(n, B(C::pi_1), a);
    r = xsimd::fnma(n, B(C::pi_2), r);
    r = xsimd::fnma(n, B(C::pi_3), r);
    const B r2 = r * r;
    const B s = xsimd::fma(r * r2, horner(r2, C::sin_tail), r);
    // n's parity, shifted into the sign bit, gives (-1)^n.
    const I ni = xsimd::bitwise_cast<I>(nb) << (8 * sizeof(T) - 1);
    if constexpr (Cos)  // below cos_one, cos(a) rounds to 1 (so cos(0) == 1 exactly)
        return xsimd::select(a < B(C::cos_one), B(T(1)),
                             s ^ xsimd::bitwise_cast<B>(ni ^ I(std::numeric_limits<typename C::int_type>::min())));
    else
        return s ^ (xsimd::bitwise_cast<B>(ni) ^ xsimd::bitofsign(x));
}

}  // namespace detail

/// exp, float: <= 1.1 ulp over the whole range (subnormal results computed, not flushed);
/// exact exp(0) = 1, exp(-inf) = 0, exp(+inf) = inf, nan -> nan, overflow -> inf.
template <class A>
inline xsimd::batch<float, A> exp(const xsimd::batch<float, A>& x) noexcept {
    if (NABLA_UNLIKELY(!xsimd::all(xsimd::abs(x) <= xsimd::batch<float, A>(detail::consts<float>::exp_fast))))
        return detail::exp_edge(x);
    return detail::exp_scaled(x, 0);
}

/// exp, double: same method and special values as float; <= 1.1 ulp.
template <class A>
inline xsimd::batch<double, A> exp(const xsimd::batch<double, A>& x) noexcept {
    if (NABLA_UNLIKELY(!xsimd::all(xsimd::abs(x) <= xsimd::batch<double, A>(detail::consts<double>::exp_fast))))
        return detail::exp_edge(x);
    return detail::exp_scaled(x, 0);
}

/// sin, float: fast path for |x| <= 200 (<= 2.3 ulp), other batches use xsimd::sin (<= 1.6 ulp).
/// sin(+-0) = +-0, sin(+-inf) = sin(nan) = nan.
template <class A>
inline xsimd::batch<float, A> sin(const xsimd::batch<float, A>& x) noexcept { return detail::sin_cos<false>(x); }
/// sin, double: fast path for |x| <= 1e5 (<= 2.1 ulp), other batches use std::sin per element.
template <class A>
inline xsimd::batch<double, A> sin(const xsimd::batch<double, A>& x) noexcept { return detail::sin_cos<false>(x); }
/// cos, float: as sin (<= 2.3 ulp); cos(0) = 1 exactly.
template <class A>
inline xsimd::batch<float, A> cos(const xsimd::batch<float, A>& x) noexcept { return detail::sin_cos<true>(x); }
/// cos, double: as sin (<= 2.0 ulp); cos(0) = 1 exactly.
template <class A>
inline xsimd::batch<double, A> cos(const xsimd::batch<double, A>& x) noexcept { return detail::sin_cos<true>(x); }

}  // namespace nabla::math::fast

namespace nabla::ops {

// The engines apply ops through math::invoke, which prefers an `invoke_op` found by argument-
// dependent lookup: for float and double batches, exp, sin and cos take the kernels above
// instead of xsimd's (faster; accuracy as stated above). The functors' scalar bodies and their
// derivative rules are unchanged.
template <class T>
concept fast_math_element = std::is_same_v<T, float> || std::is_same_v<T, double>;

template <fast_math_element T, class A>
NABLA_INLINE xsimd::batch<T, A> invoke_op(const exp_fn&, const xsimd::batch<T, A>& x) noexcept { return math::fast::exp(x); }
template <fast_math_element T, class A>
NABLA_INLINE xsimd::batch<T, A> invoke_op(const sin_fn&, const xsimd::batch<T, A>& x) noexcept { return math::fast::sin(x); }
template <fast_math_element T, class A>
NABLA_INLINE xsimd::batch<T, A> invoke_op(const cos_fn&, const xsimd::batch<T, A>& x) noexcept { return math::fast::cos(x); }

}  // namespace nabla::ops
