#pragma once
/// \file random.hpp
/// Random factories (randn, rand, randint, normal) drawing from one generator per thread, made
/// reproducible by `manual_seed`. nabla's generator is its own: the values differ from PyTorch's.

#include <cstdint>
#include <cmath>
#include <random>
#include <string>
#include <type_traits>

#include "factories.hpp"

namespace nabla {

namespace detail {
inline std::mt19937_64& generator() {
    thread_local std::mt19937_64 g(5489u);
    return g;
}
// Uniform double in [0, 1) from 53 random bits (independent of the standard library's distributions,
// so a seed gives the same values with every compiler).
inline double uniform01() { return static_cast<double>(generator()() >> 11) * 0x1.0p-53; }
// Standard normal by Box-Muller on uniform01.
inline double standard_normal() {
    const double u1 = 1.0 - uniform01(), u2 = uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}
template <element T, class F>
tensor<T> generate(const shape& s, F&& f) {
    tensor<T> t = empty<T>(s);
    T* p = t.data();
    for (std::int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = static_cast<T>(f());
    return t;
}
}  // namespace detail

/// Seeds this thread's generator: the random factories then repeat their values.
inline void manual_seed(std::uint64_t seed) { detail::generator().seed(seed); }

/// Standard normal values: `nb::randn<float>({}, nb::requires_grad)`.
template <floating_element T = float>
tensor<T> randn(const shape& s) { return detail::generate<T>(s, detail::standard_normal); }
template <floating_element T = float>
tensor<T> randn(const shape& s, requires_grad_t) { return detail::with_grad(randn<T>(s), true); }
/// Uniform values in [0, 1).
template <floating_element T = float>
tensor<T> rand(const shape& s) { return detail::generate<T>(s, detail::uniform01); }
template <floating_element T = float>
tensor<T> rand(const shape& s, requires_grad_t) { return detail::with_grad(rand<T>(s), true); }
/// Normal values with the given mean and standard deviation.
template <floating_element T = float>
tensor<T> normal(double mean, double stddev, const shape& s);
template <floating_element T = float>
tensor<T> normal(double mean, double stddev, const shape& s, requires_grad_t) {
    return detail::with_grad(normal<T>(mean, stddev, s), true);
}
template <floating_element T>
tensor<T> normal(double mean, double stddev, const shape& s) {
    if (!(stddev >= 0)) throw error("normal expects std >= 0.0, but found std " + number_repr(stddev));
    return detail::generate<T>(s, [&] { return mean + stddev * detail::standard_normal(); });
}
/// Integers uniform in [low, high).
template <element T = std::int64_t>
tensor<T> randint(std::int64_t low, std::int64_t high, const shape& s) {
    if (low >= high)
        throw error("random_ expects 'from' to be less than 'to', but got from=" + std::to_string(low) + " >= to=" + std::to_string(high));
    const auto range = static_cast<std::uint64_t>(high - low);
    return detail::generate<T>(s, [&] { return low + static_cast<std::int64_t>(detail::generator()() % range); });
}
template <element T = std::int64_t>
tensor<T> randint(std::int64_t high, const shape& s) { return randint<T>(0, high, s); }

}  // namespace nabla
