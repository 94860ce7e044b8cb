// Forward mode: nabla::dual<T, N>. Every function's tangent against central differences in double,
// PyTorch's conventions at kinks and ties, a 3-gradient in one pass, batch duals lane by lane
// against scalar duals, the engines' hook (math::invoke) and nabla::derivative.
#include <doctest/doctest.h>
#include <nabla/nabla.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

namespace nb = nabla;
namespace ops = nabla::ops;

namespace {

using d1 = nb::dual<double>;
using d2 = nb::dual<double, 2>;
using d3 = nb::dual<double, 3>;

// Central difference of a scalar function of a double.
template <class F>
double central(F f, double x) {
    const double h = 1e-6 * std::max(1.0, std::fabs(x));
    return (f(x + h) - f(x - h)) / (2 * h);
}

// `pub` (the public function on a dual) against the op functor's body on doubles.
template <class Op, class Pub>
void check_unary(const char* name, const Op& op, Pub pub, std::initializer_list<double> xs) {
    for (double x : xs) {
        CAPTURE(name);
        CAPTURE(x);
        const d1 y = pub(d1(x, 1.0));
        CHECK(y.value() == doctest::Approx(double(op(x))).epsilon(1e-15));
        CHECK(y.tangent() == doctest::Approx(central([&](double t) { return double(op(t)); }, x)).epsilon(1e-6));
    }
}

// A binary function with two dual operands (a 2-gradient in one pass) and with a scalar on
// either side.
template <class Op, class Pub>
void check_binary(const char* name, const Op& op, Pub pub, std::initializer_list<std::pair<double, double>> ps) {
    for (const auto& xy : ps) {
        const double x = xy.first, y = xy.second;  // not a structured binding: lambdas capture them
        CAPTURE(name);
        CAPTURE(x);
        CAPTURE(y);
        const double v = op(x, y);
        const double dx = central([&](double t) { return double(op(t, y)); }, x);
        const double dy = central([&](double t) { return double(op(x, t)); }, y);
        const d2 r = pub(d2(x, {1, 0}), d2(y, {0, 1}));
        CHECK(r.value() == doctest::Approx(v).epsilon(1e-15));
        CHECK(r.tangent(0) == doctest::Approx(dx).epsilon(1e-6));
        CHECK(r.tangent(1) == doctest::Approx(dy).epsilon(1e-6));
        const d1 left = pub(d1(x, 1.0), y);   // scalar on the right
        CHECK(left.value() == doctest::Approx(v).epsilon(1e-15));
        CHECK(left.tangent() == doctest::Approx(dx).epsilon(1e-6));
        const d1 right = pub(x, d1(y, 1.0));  // scalar on the left
        CHECK(right.value() == doctest::Approx(v).epsilon(1e-15));
        CHECK(right.tangent() == doctest::Approx(dy).epsilon(1e-6));
    }
}

template <class D>
concept has_scalar_tangent = requires(D d) { d.tangent(); };

}  // namespace

TEST_CASE("dual: construction, accessors, constants") {
    const d1 x(2.0, 1.0);
    CHECK(x.value() == 2.0);
    CHECK(x.tangent() == 1.0);
    CHECK(x.tangent(0) == 1.0);

    const d1 c = 3;  // a scalar is a constant: zero tangent
    CHECK(c.value() == 3.0);
    CHECK(c.tangent() == 0.0);
    const d1 zero;
    CHECK(zero.value() == 0.0);
    CHECK(zero.tangent() == 0.0);

    const d3 y(2.0, {0, 1, 0});
    CHECK(y.value() == 2.0);
    CHECK(y.tangents() == std::array<double, 3>{0, 1, 0});
    const auto z = d3::variable(5.0, 2);
    CHECK(z.value() == 5.0);
    CHECK(z.tangents() == std::array<double, 3>{0, 0, 1});
    static_assert(d3::tangent_count == 3);
    static_assert(has_scalar_tangent<d1> && !has_scalar_tangent<d3>, "tangent() without an index exists only for N == 1");

    const auto k = nb::math::constant_like(y, 4.5);  // what derivative rules use for constants
    static_assert(std::is_same_v<std::remove_const_t<decltype(k)>, d3>);
    CHECK(k.value() == 4.5);
    CHECK(k.tangents() == std::array<double, 3>{0, 0, 0});

    d1 m(1.5, 2.0);
    m.value() = 3.0;
    m.tangent() = -1.0;
    CHECK(m.value() == 3.0);
    CHECK(m.tangent() == -1.0);
}

TEST_CASE("dual: misuse throws nabla::index_error with the index and the size") {
    d3 y(1.0, {1, 2, 3});
    CHECK(y.tangent(2) == 3.0);
    CHECK_THROWS_AS((void)y.tangent(3), nb::index_error);
    CHECK_THROWS_WITH((void)y.tangent(3), "nabla::dual::tangent: index 3 is out of bounds for dimension 0 with size 3");
    const d1 x(1.0, 1.0);
    CHECK_THROWS_WITH((void)x.tangent(1), "nabla::dual::tangent: index 1 is out of bounds for dimension 0 with size 1");
    CHECK_THROWS_AS((void)d3::variable(1.0, 3), nb::index_error);
    CHECK_THROWS_AS((void)d3::variable(1.0, 7), nb::error);  // index_error is a nabla::error
    CHECK(y.tangents() == std::array<double, 3>{1, 2, 3});  // a failed access changes nothing
}

TEST_CASE("dual: every unary function's tangent matches central differences") {
    check_unary("abs", ops::abs_fn{}, [](auto x) { return nb::abs(x); }, {-2.5, -0.3, 0.7, 3.0});
    check_unary("exp", ops::exp_fn{}, [](auto x) { return nb::exp(x); }, {-3.0, -0.5, 0.0, 1.2, 4.0});
    check_unary("log", ops::log_fn{}, [](auto x) { return nb::log(x); }, {0.05, 0.5, 1.0, 7.0});
    check_unary("sqrt", ops::sqrt_fn{}, [](auto x) { return nb::sqrt(x); }, {0.01, 0.5, 2.0, 9.0});
    check_unary("sin", ops::sin_fn{}, [](auto x) { return nb::sin(x); }, {-2.0, -0.4, 0.0, 1.0, 3.0});
    check_unary("cos", ops::cos_fn{}, [](auto x) { return nb::cos(x); }, {-2.0, -0.4, 0.0, 1.0, 3.0});
    check_unary("tanh", ops::tanh_fn{}, [](auto x) { return nb::tanh(x); }, {-3.0, -0.5, 0.0, 0.8, 2.0});
    check_unary("sigmoid", ops::sigmoid_fn{}, [](auto x) { return nb::sigmoid(x); }, {-5.0, -1.0, 0.0, 1.5, 4.0});
    check_unary("relu", ops::relu_fn{}, [](auto x) { return nb::relu(x); }, {-2.0, -0.1, 0.1, 3.0});
    check_unary("square", ops::square_fn{}, [](auto x) { return nb::square(x); }, {-3.0, -0.5, 0.0, 2.0});
    check_unary("neg", ops::neg{}, [](auto x) { return -x; }, {-3.0, 0.5, 2.0});
    check_unary("clamp", ops::clamp_fn{{}, -1.0, 1.0}, [](auto x) { return nb::clamp(x, -1.0, 1.0); }, {-2.0, -0.5, 0.3, 1.7});
}

TEST_CASE("dual: every binary function, two duals and a scalar on either side") {
    const auto ps = {std::pair{1.0, 2.0}, std::pair{-3.0, 0.5}, std::pair{2.5, -4.0}};
    check_binary("add", ops::add{}, [](auto a, auto b) { return a + b; }, ps);
    check_binary("sub", ops::sub{}, [](auto a, auto b) { return a - b; }, ps);
    check_binary("mul", ops::mul{}, [](auto a, auto b) { return a * b; }, ps);
    check_binary("div", ops::div{}, [](auto a, auto b) { return a / b; }, ps);
    check_binary("pow", ops::pow_fn{}, [](auto a, auto b) { return nb::pow(a, b); },
                 {std::pair{0.5, 2.0}, std::pair{2.0, -1.5}, std::pair{3.0, 0.7}});
    check_binary("maximum", ops::maximum_fn{}, [](auto a, auto b) { return nb::maximum(a, b); },
                 {std::pair{1.0, 2.0}, std::pair{3.0, -1.0}, std::pair{-0.5, -0.7}});
    check_binary("minimum", ops::minimum_fn{}, [](auto a, auto b) { return nb::minimum(a, b); },
                 {std::pair{1.0, 2.0}, std::pair{3.0, -1.0}, std::pair{-0.5, -0.7}});
}

TEST_CASE("dual: PyTorch's gradient conventions at kinks, ties and bad inputs") {
    // relu and abs: derivative 0 at 0; relu keeps +0 for negative input and NaN for NaN.
    CHECK(nb::relu(d1(0.0, 1.0)).tangent() == 0.0);
    CHECK(nb::relu(d1(-0.0, 1.0)).tangent() == 0.0);
    const d1 r = nb::relu(d1(-4.0, 1.0));
    CHECK(r.value() == 0.0);
    CHECK_FALSE(std::signbit(r.value()));
    CHECK(r.tangent() == 0.0);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(std::isnan(nb::relu(d1(nan, 1.0)).value()));
    CHECK(nb::relu(d1(nan, 1.0)).tangent() == 0.0);
    CHECK(nb::abs(d1(0.0, 1.0)).tangent() == 0.0);
    CHECK(nb::abs(d1(-2.0, 1.0)).tangent() == -1.0);

    // maximum / minimum: a tie splits the derivative in halves; NaN propagates.
    const d2 a(1.0, {1, 0}), b(1.0, {0, 1});
    CHECK(nb::maximum(a, b).tangents() == std::array<double, 2>{0.5, 0.5});
    CHECK(nb::minimum(a, b).tangents() == std::array<double, 2>{0.5, 0.5});
    CHECK(nb::maximum(d1(1.0, 1.0), 1.0).tangent() == 0.5);
    CHECK(nb::minimum(1.0, d1(1.0, 1.0)).tangent() == 0.5);
    CHECK(std::isnan(nb::maximum(d1(nan, 1.0), 2.0).value()));
    CHECK(std::isnan(nb::minimum(2.0, d1(nan, 1.0)).value()));

    // clamp: derivative 1 on the closed interval (bounds included), 0 outside.
    CHECK(nb::clamp(d1(1.0, 1.0), -1.0, 1.0).tangent() == 1.0);
    CHECK(nb::clamp(d1(-1.0, 1.0), -1.0, 1.0).tangent() == 1.0);
    CHECK(nb::clamp(d1(1.5, 1.0), -1.0, 1.0).tangent() == 0.0);
    CHECK(nb::clamp(d1(1.5, 1.0), -1.0, 1.0).value() == 1.0);

    // pow: a negative base by an integer exponent; 0^0; the exponent's rule at a zero base.
    const d1 p = nb::pow(d1(-2.0, 1.0), 3);
    CHECK(p.value() == -8.0);
    CHECK(p.tangent() == doctest::Approx(12.0));
    CHECK(nb::pow(d1(0.0, 1.0), 0.0).value() == 1.0);
    CHECK(nb::pow(d1(0.0, 1.0), 0.0).tangent() == 0.0);
    CHECK(nb::pow(d1(0.0, 1.0), 2.0).tangent() == 0.0);
    CHECK(nb::pow(0.0, d1(2.0, 1.0)).tangent() == 0.0);
    // Base and exponent both duals at a negative base: d/dbase is finite, d/dexponent NaN, as
    // PyTorch's two gradients; the NaN does not leak into the base's direction.
    const d2 q = nb::pow(d2(-2.0, {1, 0}), d2(3.0, {0, 1}));
    CHECK(q.value() == -8.0);
    CHECK(q.tangent(0) == doctest::Approx(12.0));
    CHECK(std::isnan(q.tangent(1)));

    // Poles and domain errors give what PyTorch's backward gives.
    CHECK(nb::sqrt(d1(0.0, 1.0)).tangent() == inf);
    CHECK(nb::log(d1(0.0, 1.0)).value() == -inf);
    CHECK(nb::log(d1(0.0, 1.0)).tangent() == inf);
    CHECK(std::isnan(nb::log(d1(-1.0, 1.0)).value()));
    CHECK(nb::log(d1(-1.0, 1.0)).tangent() == -1.0);
    CHECK(nb::exp(d1(inf, 1.0)).tangent() == inf);
    CHECK(nb::exp(d1(-inf, 1.0)).tangent() == 0.0);
    CHECK((1.0 / d1(0.0, 1.0)).tangent() == -inf);

    // where / select: the chosen side's tangent; the condition has none.
    CHECK(nb::where(true, d1(2.0, 3.0), d1(5.0, 7.0)).tangent() == 3.0);
    CHECK(nb::where(false, d1(2.0, 3.0), d1(5.0, 7.0)).tangent() == 7.0);
    CHECK(nb::where(false, d1(2.0, 3.0), 4.0).value() == 4.0);
    CHECK(nb::where(false, d1(2.0, 3.0), 4.0).tangent() == 0.0);
    const d1 x(-1.5, 1.0);
    CHECK(nb::select(x < 0, -x, x).tangent() == -1.0);  // |x| through where
}

TEST_CASE("dual: operators, scalars on either side, comparisons compare values") {
    d1 x(2.0, 1.0);
    const d1 y = 3 * x * x - x / 4 + 1 - 2.0 / x;  // 3x^2 - x/4 + 1 - 2/x
    CHECK(y.value() == doctest::Approx(3 * 4 - 0.5 + 1 - 1));
    CHECK(y.tangent() == doctest::Approx(6 * 2 - 0.25 + 2.0 / 4));
    CHECK((+x).tangent() == 1.0);
    CHECK((-x).tangent() == -1.0);

    x += 1;    // 3, 1
    x *= x;    // 9, 6
    x -= 0.5;  // 8.5, 6
    x /= 2;    // 4.25, 3
    CHECK(x.value() == 4.25);
    CHECK(x.tangent() == 3.0);

    const d1 a(1.0, 5.0), b(1.0, -3.0), c(2.0, 0.0);
    CHECK(a == b);  // tangents are not compared
    CHECK_FALSE(a != b);
    CHECK(a < c);
    CHECK(a <= b);
    CHECK(c > a);
    CHECK(c >= 2);
    CHECK(2 >= c);
    CHECK(0.5 < a);
    CHECK(a == 1);
    CHECK(1 == a);
    CHECK(nb::isnan(d1(std::numeric_limits<double>::quiet_NaN(), 1.0)));

    // dual<float>: a double scalar does not widen it (a weak scalar, as for tensors).
    const nb::dual<float> f(1.5f, 1.0f);
    const auto g = nb::exp(f) * 2.0 + 1;
    static_assert(std::is_same_v<std::remove_const_t<decltype(g)>, nb::dual<float>>);
    CHECK(g.tangent() == doctest::Approx(2 * std::exp(1.5f)));
}

TEST_CASE("dual<double, 3>: the gradient of a 3-argument function in one pass") {
    // Written in the vocabulary of ops/math.hpp, so the same body runs on doubles and duals.
    auto f = [](auto x, auto y, auto z) {
        using namespace nb::math;
        return x * y * z + sin(x) * exp(y / z) - pow(z, x) + select(x > y, x, y) * tanh(z) + sqrt(z) / log(z + 1);
    };
    const double p[3] = {0.7, -1.2, 2.5};
    const d3 r = f(d3::variable(p[0], 0), d3::variable(p[1], 1), d3::variable(p[2], 2));
    CHECK(r.value() == doctest::Approx(f(p[0], p[1], p[2])).epsilon(1e-15));
    for (int i = 0; i < 3; ++i) {
        CAPTURE(i);
        const double fd = central(
            [&](double t) {
                double q[3] = {p[0], p[1], p[2]};
                q[i] = t;
                return f(q[0], q[1], q[2]);
            },
            p[i]);
        CHECK(r.tangent(std::size_t(i)) == doctest::Approx(fd).epsilon(1e-7));
    }
}

TEST_CASE("dual<batch<double>, 2>: every lane equals the scalar dual") {
    using B = nb::simd::batch<double>;
    constexpr std::size_t W = B::size;
    using DB = nb::dual<B, 2>;
    auto f = [](auto a, auto b) {
        return nb::exp(a) * nb::sin(b) + nb::relu(a - b) / (1 + nb::square(b)) + nb::pow(nb::abs(a) + 0.5, b) -
               nb::maximum(a, b) + nb::sigmoid(a) * nb::tanh(b) + nb::sqrt(nb::abs(b) + 1) * nb::log(nb::abs(a) + 2) +
               nb::clamp(a, -0.5, 0.5) + nb::where(a < b, a, 2.0 * b) + nb::minimum(a, 0.25) - nb::cos(a * b) - a / b;
    };
    // Lanes cover negative and positive values, a tie (maximum splits it) and a = 0 (abs, relu kinks).
    alignas(64) double av[W], bv[W];
    for (std::size_t k = 0; k < W; ++k) {
        av[k] = -1.7 + 0.45 * double(k);
        bv[k] = 0.9 - 0.3 * double(k);
    }
    av[0] = bv[0] = 0.5;
    if constexpr (W > 1) av[1] = 0.0;
    const DB A(B::load_aligned(av), {B(1.0), B(0.0)});
    const DB Bd(B::load_aligned(bv), {B(0.0), B(1.0)});
    const DB R = f(A, Bd);
    alignas(64) double rv[W], t0[W], t1[W];
    R.value().store_aligned(rv);
    R.tangent(0).store_aligned(t0);
    R.tangent(1).store_aligned(t1);
    for (std::size_t k = 0; k < W; ++k) {
        CAPTURE(k);
        const d2 s = f(d2(av[k], {1, 0}), d2(bv[k], {0, 1}));
        CHECK(rv[k] == doctest::Approx(s.value()).epsilon(1e-13));
        CHECK(t0[k] == doctest::Approx(s.tangent(0)).epsilon(1e-13));
        CHECK(t1[k] == doctest::Approx(s.tangent(1)).epsilon(1e-13));
    }
    // A bool condition beside batch duals, and a batch operand beside a dual.
    const DB w = nb::where(true, A, B(3.0) * Bd);
    alignas(64) double wt[W];
    w.tangent(0).store_aligned(wt);
    CHECK(std::all_of(wt, wt + W, [](double v) { return v == 1.0; }));
}

TEST_CASE("math::invoke: with a dual argument an engine uses the op's rule, not its body") {
    // The functor bodies also run on duals (composing the dual operations), but at a kink that
    // differs from the rule: relu's body selects x at 0 (tangent 1), the rule says 0.
    CHECK(ops::relu_fn{}(d1(0.0, 1.0)).tangent() == 1.0);
    CHECK(nb::math::invoke(ops::relu_fn{}, d1(0.0, 1.0)).tangent() == 0.0);
    // maximum's body picks the left side at a tie; the rule splits it.
    const d2 a(1.0, {1, 0}), b(1.0, {0, 1});
    CHECK(ops::maximum_fn{}(a, b).tangents() == std::array<double, 2>{1, 0});
    CHECK(nb::math::invoke(ops::maximum_fn{}, a, b).tangents() == std::array<double, 2>{0.5, 0.5});
    // Stateful ops (clamp's bounds) and condition operands go through the same door.
    CHECK(nb::math::invoke(ops::clamp_fn{{}, -1.0, 1.0}, d1(0.25, 2.0)).tangent() == 2.0);
    CHECK(nb::math::invoke(ops::where_fn{}, false, d1(1.0, 1.0), 4.0).value() == 4.0);
    // sigmoid through the rule y (1 - y).
    const d1 s = nb::math::invoke(ops::sigmoid_fn{}, d1(0.3, 1.0));
    CHECK(s.tangent() == doctest::Approx(s.value() * (1 - s.value())).epsilon(1e-15));
    // Without a dual it is the plain call, on scalars and batches.
    CHECK(nb::math::invoke(ops::exp_fn{}, 1.0) == std::exp(1.0));
    CHECK(nb::math::invoke(ops::lt{}, 1.0, 2.0));
    using B = nb::simd::batch<double>;
    alignas(64) double out[B::size];
    nb::math::invoke(ops::mul{}, B(3.0), B(2.0)).store_aligned(out);
    CHECK(out[0] == 6.0);
    // With batch duals.
    const nb::dual<B> xb(B(0.0), B(1.0));
    nb::math::invoke(ops::relu_fn{}, xb).tangent().store_aligned(out);
    CHECK(out[B::size - 1] == 0.0);
}

TEST_CASE("nb::derivative: scalar functions of a scalar") {
    // The API's example, 2 * dot(x, x), for one element: d/dx = 4x.
    const auto d = nb::derivative([](auto x) { return 2 * x * x; }, 3.0);
    static_assert(std::is_same_v<std::remove_const_t<decltype(d)>, double>);
    CHECK(d == 12.0);
    static_assert(std::is_same_v<decltype(nb::derivative([](auto x) { return x * x; }, 1.0f)), float>);
    static_assert(std::is_same_v<decltype(nb::derivative([](auto x) { return x * x; }, 2)), double>);
    CHECK(nb::derivative([](auto x) { return x * x; }, 2) == 4.0);
    CHECK(nb::derivative([](auto) { return 7.0; }, 2.0) == 0.0);  // a constant

    CHECK(nb::derivative([](auto x) { return x * nb::sin(x); }, 2.0) ==
          doctest::Approx(std::sin(2.0) + 2 * std::cos(2.0)).epsilon(1e-15));
    CHECK(nb::derivative([](auto x) { return nb::sigmoid(x) * nb::tanh(x) + nb::sqrt(x) / nb::log(x + 2); }, 1.3) ==
          doctest::Approx(central(
                              [](double x) {
                                  const double s = 1 / (1 + std::exp(-x));
                                  return s * std::tanh(x) + std::sqrt(x) / std::log(x + 2);
                              },
                              1.3))
              .epsilon(1e-7));

    // The seed's f, with control flow on values: df/da = f(a) / a (f is linear in a on each branch).
    auto f = [](auto a) {
        auto b = a * 2;
        while (nb::abs(b) < 1000) b = b * 2;
        return b > 0 ? b : 100 * b;
    };
    for (double a : {0.37, -0.5, 3.0}) {
        CAPTURE(a);
        const auto y = f(nb::dual<double>(a, 1.0));
        CHECK(nb::derivative(f, a) == doctest::Approx(y.value() / a).epsilon(1e-15));
    }
    CHECK(nb::derivative(f, -0.5) == 2 * 1024 * 100.0);  // b = -1 doubles ten times to -1024
}

TEST_CASE("dual overloads leave the expression functions alone") {
    const nb::tensor<double> t = nb::exp(nb::arange<double>(3)) + nb::pow(nb::arange<double>(3), 2.0);
    CHECK(t[1].item() == doctest::Approx(std::exp(1.0) + 1));
    CHECK(nb::exp(d1(0.0, 1.0)).tangent() == 1.0);
}
