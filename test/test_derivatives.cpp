// The derivative rule of every element-wise op functor, `Op::partial<I>(y, args...)`, checked three
// ways: on plain doubles against central finite differences; on xsimd batches (the same generic
// body) against the scalar rule, lane by lane; and applied to nabla tensors, where it must build an
// expression whose evaluation equals the scalar rule element-wise (through the SIMD body and tail).
#include <doctest/doctest.h>
#include <nabla/nabla.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace nb = nabla;
namespace ops = nabla::ops;

namespace {

// Argument K of Op at a point: leading condition operands (where's) are bool, the rest T.
template <class Op, std::size_t K, class T, std::size_t N>
auto arg(const std::array<double, N>& p) {
    if constexpr (K < Op::condition_operands) return p[K] != 0;
    else return static_cast<T>(p[K]);
}

template <class Op, class T, std::size_t N, std::size_t... K>
T value(const Op& op, const std::array<double, N>& p, std::index_sequence<K...>) {
    return static_cast<T>(op(arg<Op, K, T>(p)...));
}

// The scalar rule dy/d(arg I) at p, in T.
template <std::size_t I, class Op, class T, std::size_t N, std::size_t... K>
T rule(const Op& op, const std::array<double, N>& p, std::index_sequence<K...> ks) {
    const T y = value<Op, T>(op, p, ks);
    return static_cast<T>(op.template partial<I>(y, arg<Op, K, T>(p)...));
}

// 1. Scalar rule against a central difference in double.
template <std::size_t I, class Op, std::size_t N>
void check_fd(const Op& op, const std::vector<std::array<double, N>>& points, const char* name) {
    const auto ks = std::make_index_sequence<N>{};
    for (const auto& p : points) {
        const double h = 1e-6 * std::max(1.0, std::fabs(p[I]));
        auto hi = p, lo = p;
        hi[I] += h;
        lo[I] -= h;
        const double fd = (value<Op, double>(op, hi, ks) - value<Op, double>(op, lo, ks)) / (2 * h);
        const double r = rule<I, Op, double>(op, p, ks);
        const std::string op_name = name;
        CAPTURE(op_name);
        CAPTURE(I);
        CAPTURE(p[0]);
        CAPTURE(p[N - 1]);
        CHECK(r == doctest::Approx(fd).epsilon(1e-6));
    }
}

// The points tiled over n elements (so the SIMD body and tail both see every point).
template <std::size_t N>
std::array<std::vector<double>, N> tiled(const std::vector<std::array<double, N>>& points, std::int64_t n) {
    std::array<std::vector<double>, N> cols;
    for (std::int64_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < N; ++k) cols[k].push_back(points[i % points.size()][k]);
    return cols;
}

template <class T>
bool near(T got, T want) {
    if (std::isnan(want)) return std::isnan(got);
    if (std::isinf(want)) return got == want;
    return std::fabs(double(got) - double(want)) <= 8 * std::numeric_limits<T>::epsilon() * std::max(1.0, std::fabs(double(want)));
}

// 2. The same rule on xsimd batches, lane by lane against the scalar rule.
template <std::size_t I, class T, class Op, std::size_t N, std::size_t... K>
void check_batch(const Op& op, const std::vector<std::array<double, N>>& points, const char* name, std::index_sequence<K...> ks) {
    using B = nb::simd::batch<T>;
    constexpr std::size_t w = B::size;
    const auto cols = tiled(points, std::int64_t(w));
    auto load = [&](std::size_t k) {
        alignas(64) T buf[w];
        for (std::size_t j = 0; j < w; ++j) buf[j] = static_cast<T>(cols[k][j]);
        return B::load_aligned(buf);
    };
    auto batch_arg = [&](auto kc) {
        constexpr std::size_t k = decltype(kc)::value;
        if constexpr (k < Op::condition_operands) return load(k) != B(T(0));
        else return load(k);
    };
    alignas(64) T ybuf[w];
    for (std::size_t j = 0; j < w; ++j) ybuf[j] = value<Op, T>(op, points[j % points.size()], ks);
    const B y = B::load_aligned(ybuf);
    const auto r = op.template partial<I>(y, batch_arg(std::integral_constant<std::size_t, K>{})...);
    alignas(64) T out[w];
    B(r).store_aligned(out);
    int bad = 0;
    for (std::size_t j = 0; j < w; ++j) bad += !near(out[j], rule<I, Op, T>(op, points[j % points.size()], ks));
    CHECK_MESSAGE(bad == 0, std::string(name) << " partial<" << I << "> on batches of " << w);
}

// 3. The rule applied to tensors: an expression; its evaluation must equal the scalar rule.
template <std::size_t I, class T, class Op, std::size_t N, std::size_t... K>
void check_expr(const Op& op, const std::vector<std::array<double, N>>& points, const char* name, std::index_sequence<K...> ks) {
    const std::int64_t n = 3 * nb::simd::width<T> + 1;
    const auto cols = tiled(points, n);
    auto tensor_arg = [&](auto kc) {
        constexpr std::size_t k = decltype(kc)::value;
        using E = std::conditional_t<(k < Op::condition_operands), bool, T>;
        auto t = nb::empty<E>({n});
        for (std::int64_t i = 0; i < n; ++i) t.data()[i] = static_cast<E>(cols[k][i]);
        return t;
    };
    const auto args = std::make_tuple(tensor_arg(std::integral_constant<std::size_t, K>{})...);
    auto y = nb::empty<T>({n});
    for (std::int64_t i = 0; i < n; ++i) y.data()[i] = value<Op, T>(op, points[i % points.size()], ks);
    const auto r = op.template partial<I>(y, std::get<K>(args)...);
    nb::tensor<T> got;
    if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(r)>>) {
        got = nb::full<T>({n}, static_cast<T>(r));  // a constant rule (add, sub, neg) stays a scalar
    } else {
        static_assert(nb::expression<decltype(r)>, "a rule applied to tensors builds an expression");
        // evaluate through the kernel (converting when the rule's expression has another element type)
        nb::tensor<nb::value_t<decltype(r)>> out(r.shape());
        nb::eval::assign(out.target(), r);
        got = nb::tensor<T>(out);
    }
    REQUIRE(got.numel() == n);
    int bad = 0;
    for (std::int64_t i = 0; i < n; ++i) bad += !near(got.data()[i], rule<I, Op, T>(op, points[i % points.size()], ks));
    CHECK_MESSAGE(bad == 0, std::string(name) << " partial<" << I << "> on tensors of " << n);
}

// All three checks for partial I of op at the points.
template <std::size_t I, class Op, std::size_t N>
void check_partial(const Op& op, const std::vector<std::array<double, N>>& points, const char* name) {
    const auto ks = std::make_index_sequence<N>{};
    check_fd<I>(op, points, name);
    check_batch<I, double>(op, points, name, ks);
    check_batch<I, float>(op, points, name, ks);
    check_expr<I, double>(op, points, name, ks);
    check_expr<I, float>(op, points, name, ks);
}

using P1 = std::vector<std::array<double, 1>>;
using P2 = std::vector<std::array<double, 2>>;
using P3 = std::vector<std::array<double, 3>>;
const P2 binary_points{{1.5, -2.25}, {-0.3, 0.7}, {3.0, 4.0}, {-2.5, -0.125}};
const P1 smooth_points{{-3.0}, {-0.4}, {0.8}, {2.5}};
const P1 kink_free_points{{-2.0}, {-0.01}, {0.5}, {3.0}};  // |x| > 1e-3 for abs and relu

}  // namespace

TEST_CASE("derivatives: + - * / and unary minus") {
    check_partial<0>(ops::add{}, binary_points, "add");
    check_partial<1>(ops::add{}, binary_points, "add");
    check_partial<0>(ops::sub{}, binary_points, "sub");
    check_partial<1>(ops::sub{}, binary_points, "sub");
    check_partial<0>(ops::mul{}, binary_points, "mul");
    check_partial<1>(ops::mul{}, binary_points, "mul");
    check_partial<0>(ops::div{}, binary_points, "div");
    check_partial<1>(ops::div{}, binary_points, "div");
    check_partial<0>(ops::neg{}, smooth_points, "neg");
}

TEST_CASE("derivatives: exp log sqrt sin cos tanh sigmoid square") {
    check_partial<0>(ops::exp_fn{}, P1{{-2.0}, {0.5}, {3.0}}, "exp");
    check_partial<0>(ops::log_fn{}, P1{{0.1}, {1.5}, {7.0}}, "log");
    check_partial<0>(ops::sqrt_fn{}, P1{{0.2}, {2.0}, {9.0}}, "sqrt");
    check_partial<0>(ops::sin_fn{}, smooth_points, "sin");
    check_partial<0>(ops::cos_fn{}, smooth_points, "cos");
    check_partial<0>(ops::tanh_fn{}, smooth_points, "tanh");
    check_partial<0>(ops::sigmoid_fn{}, smooth_points, "sigmoid");
    check_partial<0>(ops::square_fn{}, smooth_points, "square");
}

TEST_CASE("derivatives: abs and relu away from the kink") {
    check_partial<0>(ops::abs_fn{}, kink_free_points, "abs");
    check_partial<0>(ops::relu_fn{}, kink_free_points, "relu");
}

TEST_CASE("derivatives: pow with respect to the base and the exponent") {
    const P2 positive_base{{1.5, 2.5}, {0.7, -1.3}, {2.0, 3.0}, {3.0, 0.5}};
    check_partial<0>(ops::pow_fn{}, positive_base, "pow");
    check_partial<1>(ops::pow_fn{}, positive_base, "pow");
    check_fd<0>(ops::pow_fn{}, P2{{-2.0, 3.0}, {-1.5, 2.0}}, "pow, negative base, integer exponent");
}

TEST_CASE("derivatives: maximum and minimum with distinct operands") {
    const P2 distinct{{1.0, 2.0}, {2.0, 1.0}, {-1.5, 0.3}, {0.3, -1.5}};
    check_partial<0>(ops::maximum_fn{}, distinct, "maximum");
    check_partial<1>(ops::maximum_fn{}, distinct, "maximum");
    check_partial<0>(ops::minimum_fn{}, distinct, "minimum");
    check_partial<1>(ops::minimum_fn{}, distinct, "minimum");
}

TEST_CASE("derivatives: clamp inside and outside its bounds") {
    const ops::clamp_fn op{{}, -1.0, 2.0};
    check_partial<0>(op, P1{{-0.5}, {0.3}, {1.9}, {-3.0}, {5.0}}, "clamp");
}

TEST_CASE("derivatives: where, with respect to both branches") {
    const P3 points{{1, 1.5, -2.0}, {0, 1.5, -2.0}, {1, -0.3, 4.0}, {0, -0.3, 4.0}};
    check_partial<1>(ops::where_fn{}, points, "where");
    check_partial<2>(ops::where_fn{}, points, "where");
}

TEST_CASE("derivatives: the conventions at kinks and singular points are PyTorch's") {
    // torch: maximum/minimum split ties; clamp passes the gradient at its bounds; relu'(0) = 0;
    // abs'(0) = 0; d(0^0)/dl = 0; d(2^r)/dr at r = 0 is log 2; d(l^r)/dr is 0 at l = 0, NaN for l < 0;
    // d(1/0) = (inf, -inf); where routes the gradient to the chosen branch only.
    CHECK(ops::maximum_fn::partial<0>(1.0, 1.0, 1.0) == 0.5);
    CHECK(ops::maximum_fn::partial<1>(1.0, 1.0, 1.0) == 0.5);
    CHECK(ops::minimum_fn::partial<0>(1.0, 1.0, 1.0) == 0.5);
    CHECK(ops::minimum_fn::partial<1>(1.0, 1.0, 1.0) == 0.5);
    const ops::clamp_fn clamp{{}, -1.0, 2.0};
    CHECK(clamp.partial<0>(-1.0, -1.0) == 1.0);
    CHECK(clamp.partial<0>(2.0, 2.0) == 1.0);
    CHECK(ops::relu_fn::partial<0>(0.0, 0.0) == 0.0);
    CHECK(ops::abs_fn::partial<0>(0.0, 0.0) == 0.0);
    CHECK(ops::abs_fn::partial<0>(0.0, -0.0) == 0.0);
    CHECK(ops::pow_fn::partial<0>(1.0, 0.0, 0.0) == 0.0);
    CHECK(ops::pow_fn::partial<1>(1.0, 0.0, 0.0) == 0.0);
    CHECK(ops::pow_fn::partial<1>(0.0, 0.0, 2.0) == 0.0);
    CHECK(ops::pow_fn::partial<0>(1.0, 2.0, 0.0) == 0.0);
    CHECK(ops::pow_fn::partial<1>(1.0, 2.0, 0.0) == doctest::Approx(std::log(2.0)));
    CHECK(std::isinf(ops::pow_fn::partial<0>(0.0, 0.0, 0.5)));
    CHECK(std::isnan(ops::pow_fn::partial<1>(-8.0, -2.0, 3.0)));
    CHECK(ops::pow_fn::partial<0>(-8.0, -2.0, 3.0) == 12.0);
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(ops::div::partial<0>(inf, 1.0, 0.0) == inf);
    CHECK(ops::div::partial<1>(inf, 1.0, 0.0) == -inf);
    CHECK(ops::sqrt_fn::partial<0>(0.0, 0.0) == inf);
    CHECK(ops::log_fn::partial<0>(-inf, 0.0) == inf);
    CHECK(ops::where_fn::partial<1>(1.0, true, 1.0, 2.0) == 1.0);
    CHECK(ops::where_fn::partial<2>(1.0, true, 1.0, 2.0) == 0.0);
}

TEST_CASE("derivatives: comparisons and logical ops declare no derivative") {
    static_assert(!ops::lt::differentiable && !ops::eq::differentiable && !ops::logical_and::differentiable &&
                  !ops::logical_not::differentiable);
    static_assert(ops::exp_fn::differentiable && ops::where_fn::differentiable && ops::clamp_fn::differentiable);
    CHECK(ops::where_fn::condition_operands == 1);
}

TEST_CASE("derivatives: a rule on expressions of expressions (the chain of a fused node)") {
    // d/dx exp(sin(x)) = exp(sin(x)) * cos(x), built from the two rules on unevaluated expressions
    const auto x = nb::empty<double>({3 * nb::simd::width<double> + 1});
    for (std::int64_t i = 0; i < x.numel(); ++i) x.data()[i] = -2.0 + 0.13 * double(i);
    const auto s = nb::sin(x);
    const auto y = nb::exp(s);
    const nb::tensor<double> d = ops::exp_fn::partial<0>(y, s) * ops::sin_fn::partial<0>(s, x);
    for (std::int64_t i = 0; i < x.numel(); ++i) {
        const double v = x.data()[i];
        CHECK(d.data()[i] == doctest::Approx(std::exp(std::sin(v)) * std::cos(v)).epsilon(1e-14));
    }
}
