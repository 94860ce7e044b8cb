#pragma once
/// \file reductions.hpp
/// Reduction functors: the identity, how two partial results combine (on scalars and on SIMD
/// batches), how a batch folds into one value, and the result type. The kernels in
/// eval/reduce.hpp read nothing else.

#include <cstdint>
#include <limits>
#include <string_view>
#include <type_traits>

#include "../core/dtype.hpp"
#include "math.hpp"

namespace nabla::ops {

namespace detail {
// Folds the lanes of a batch (or returns a scalar unchanged) with a binary functor.
template <class F, class V>
auto fold_lanes(const V& v, F f) {
    if constexpr (std::is_arithmetic_v<V>) return v;
    else {
        using T = typename V::value_type;
        alignas(64) T buf[V::size];
        v.store_aligned(buf);
        T r = buf[0];
        for (std::size_t i = 1; i < V::size; ++i) r = f(r, buf[i]);
        return r;
    }
}
}  // namespace detail

/// Sum. Integers and bools sum to int64 (wrapping, as PyTorch); floats stay float, with block
/// partial sums combined in double for accuracy.
struct sum_op {
    static constexpr std::string_view name = "Sum";
    template <element T> using result_t = std::conditional_t<inexact_element<T>, T, std::int64_t>;
    template <class A> using partial_t = std::conditional_t<std::is_same_v<A, float>, double, A>;
    template <element A> static constexpr bool simd = !std::is_same_v<A, bool>;
    template <class A> static constexpr A identity() { return A(0); }
    template <class A> A operator()(const A& a, const A& b) const {
        if constexpr (math::wrapping_integer<A>) return math::wrap_add(a, b);
        else return a + b;
    }
    // Batches fold with xsimd's hadd, found by argument-dependent lookup.
    template <class V> static auto horizontal(const V& v) {
        if constexpr (std::is_arithmetic_v<V>) return v;
        else return hadd(v);
    }
};

/// Product. Integers and bools multiply to int64 (wrapping).
struct prod_op {
    static constexpr std::string_view name = "Prod";
    template <element T> using result_t = std::conditional_t<inexact_element<T>, T, std::int64_t>;
    template <class A> using partial_t = A;
    template <element A> static constexpr bool simd = std::is_floating_point_v<A>;
    template <class A> static constexpr A identity() { return A(1); }
    template <class A> A operator()(const A& a, const A& b) const {
        if constexpr (math::wrapping_integer<A>) return math::wrap_mul(a, b);
        else return a * b;
    }
    template <class V> static auto horizontal(const V& v) { return detail::fold_lanes(v, [](auto a, auto b) { return a * b; }); }
};

/// Maximum; NaN propagates (as PyTorch's max/amax).
struct max_op {
    static constexpr std::string_view name = "Max";
    template <element T> using result_t = T;
    template <class A> using partial_t = A;
    template <element A> static constexpr bool simd = std::is_floating_point_v<A> || std::is_same_v<A, std::int32_t> || std::is_same_v<A, std::int64_t>;
    template <class A> static constexpr A identity() {
        if constexpr (std::is_floating_point_v<A>) return -std::numeric_limits<A>::infinity();
        else if constexpr (is_dual_element<A>) return A(-std::numeric_limits<double>::infinity());
        else return std::numeric_limits<A>::lowest();
    }
    template <class A> A operator()(const A& a, const A& b) const { using namespace math; return select((a > b) | isnan(a), a, b); }
    template <class V> static auto horizontal(const V& v) { return detail::fold_lanes(v, [](auto a, auto b) { return max_op{}(a, b); }); }
};

/// Minimum; NaN propagates.
struct min_op {
    static constexpr std::string_view name = "Min";
    template <element T> using result_t = T;
    template <class A> using partial_t = A;
    template <element A> static constexpr bool simd = max_op::simd<A>;
    template <class A> static constexpr A identity() {
        if constexpr (std::is_floating_point_v<A>) return std::numeric_limits<A>::infinity();
        else if constexpr (is_dual_element<A>) return A(std::numeric_limits<double>::infinity());
        else return std::numeric_limits<A>::max();
    }
    template <class A> A operator()(const A& a, const A& b) const { using namespace math; return select((a < b) | isnan(a), a, b); }
    template <class V> static auto horizontal(const V& v) { return detail::fold_lanes(v, [](auto a, auto b) { return min_op{}(a, b); }); }
};

/// True when every element is nonzero.
struct all_op {
    static constexpr std::string_view name = "All";
    template <element T> using result_t = bool;
    template <class A> using partial_t = A;
    template <element A> static constexpr bool simd = false;
    template <class A> static constexpr A identity() { return true; }
    template <class A> A operator()(const A& a, const A& b) const { return a && b; }
    template <class V> static auto horizontal(const V& v) { return v; }
};

/// True when some element is nonzero.
struct any_op {
    static constexpr std::string_view name = "Any";
    template <element T> using result_t = bool;
    template <class A> using partial_t = A;
    template <element A> static constexpr bool simd = false;
    template <class A> static constexpr A identity() { return false; }
    template <class A> A operator()(const A& a, const A& b) const { return a || b; }
    template <class V> static auto horizontal(const V& v) { return v; }
};

}  // namespace nabla::ops
