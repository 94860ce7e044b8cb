// nb::grad, nb::value_and_grad and nb::jacobian: reverse mode without a tape. Each function is
// written once, generically, and differentiated by all four engines — the static pass, forward
// mode (nb::jvp on tensors of duals, one unit direction at a time), the tape (the same function
// called with tensors that require grad) — and by central finite differences in double; all
// agree. Also: the fallback to the tape for functions of tensors, exact values of the API's
// examples, staged values computed once, no allocation per element-wise op, and misuse.
#include <doctest/doctest.h>
#include <nabla/nabla.hpp>

#include "support.hpp"

#include <algorithm>
#include <cmath>
#include <vector>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>

namespace nb = nabla;

namespace {

using tensor = nb::tensor<double>;
using nabla_test::str;
using nabla_test::uniform;

// f(xs...) evaluated to a double.
template <class F, class... X>
double value(const F& f, const X&... xs) {
    nb::no_grad_guard off;
    return tensor(f(xs...)).item();
}

// Each argument tagged with its position, so that `pick<I>` can swap argument I for z.
template <std::size_t K>
struct at {
    tensor t;
};
template <class... X, std::size_t... K>
auto index_args_impl(const std::tuple<X...>& xs, std::index_sequence<K...>) {
    return std::tuple{at<K>{std::get<K>(xs)}...};
}
template <class... X>
auto index_args(const std::tuple<X...>& xs) {
    return index_args_impl(xs, std::index_sequence_for<X...>{});
}
template <std::size_t I, std::size_t K, class Z>
auto pick(const at<K>& a, const Z& z) {
    if constexpr (I == K) return z;
    else return a.t;
}

// Gradient of argument I by central differences.
template <std::size_t I, class F, class... X>
tensor numeric(const F& f, std::tuple<X...> xs) {
    tensor x = std::get<I>(xs).clone();
    tensor g = nb::zeros<double>(x.shape());
    const double h = 1e-6;
    for (std::int64_t i = 0; i < x.numel(); ++i) {
        auto plus = xs, minus = xs;
        tensor xp = x.clone(), xm = x.clone();
        xp.data()[i] += h;
        xm.data()[i] -= h;
        std::get<I>(plus) = xp;
        std::get<I>(minus) = xm;
        g.data()[i] = (std::apply([&](const auto&... a) { return value(f, a...); }, plus) -
                       std::apply([&](const auto&... a) { return value(f, a...); }, minus)) / (2 * h);
    }
    return g;
}

template <class G>
auto as_tuple(G g) {
    if constexpr (std::is_same_v<G, tensor>) return std::tuple<tensor>{g};
    else return g;
}

// Gradient of argument I by forward mode: one jvp per element, along the unit vectors.
template <std::size_t I, class F, class... X>
tensor forward(const F& f, std::tuple<X...> xs) {
    const tensor x = std::get<I>(xs).clone();
    tensor g = nb::zeros<double>(x.shape());
    for (std::int64_t i = 0; i < x.numel(); ++i) {
        tensor e = nb::zeros<double>(x.shape());
        e.data()[i] = 1;
        auto f_i = [&](const auto& z) {
            return std::apply([&](const auto&... a) { return f(pick<I>(a, z)...); }, index_args(xs));
        };
        g.data()[i] = nb::jvp(f_i, x, e).second.item();
    }
    return g;
}

// The static pass, forward mode, the tape and finite differences agree on every argument's gradient.
template <class F, class... X>
void agree(const F& f, const X&... xs) {
    const auto fast = as_tuple(nb::grad(f)(xs...));
    std::tuple<X...> on_tape{xs.detach().clone().requires_grad_(true)...};
    {
        tensor out = std::apply(f, on_tape);
        out.backward();
    }
    const auto args = std::tuple<X...>{xs...};
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (
            [&] {
                // the tape leaves .grad() undefined for an argument that only feeds a condition
                const tensor tg = std::get<I>(on_tape).grad();
                const tensor s = std::get<I>(fast), t = tg.defined() ? tg : nb::zeros_like(s), n = numeric<I>(f, args);
                const tensor d = forward<I>(f, args);
                CAPTURE(str(d));
                CHECK(nb::allclose(s, d, 1e-9, 1e-12));
                CAPTURE(I);
                CAPTURE(str(s));
                CAPTURE(str(t));
                CAPTURE(str(n));
                CHECK(s.shape() == std::get<I>(args).shape());
                CHECK(nb::allclose(s, t, 1e-9, 1e-12));
                CHECK(nb::allclose(s, n, 1e-5, 1e-6));
            }(),
            ...);
    }(std::index_sequence_for<X...>{});
}

}  // namespace

TEST_CASE("static grad: the API's examples, exactly") {
    tensor x{1.0, 2.0, 3.0};
    auto f = [](auto v) { return 2 * nb::dot(v, v); };
    CHECK(str(nb::grad(f)(x)) == "tensor([ 4.,  8., 12.], dtype=float64)");
    auto [v, g2] = nb::value_and_grad(f)(x);
    CHECK(str(v) == "tensor(28., dtype=float64)");
    CHECK(nb::equal(g2, 4 * x));
    tensor a{0.5, -1.0, 2.0}, b{1.0, 2.0, 3.0};
    auto h = [](auto p, auto q) { return (p * q + nb::exp(p)).sum(); };
    auto [ga, gb] = nb::grad(h)(a, b);
    CHECK(nb::allclose(ga, b + nb::exp(a)));
    CHECK(nb::equal(gb, a));
    // float arguments give float gradients
    nb::tensor<float> xf{1.f, 2.f};
    CHECK(str(nb::grad(f)(xf)) == "tensor([4., 8.])");
}

TEST_CASE("static grad: element-wise ops, broadcasting and scalars agree with the tape and finite differences") {
    const tensor a = uniform({3, 4}, 0.3, 1.7, 1), b = uniform({4}, 0.4, 1.3, 2), c = uniform({3, 1}, -1.0, 1.0, 3);
    agree([](auto p, auto q, auto r) { return (p * q + r / q - p).sum(); }, a, b, c);
    agree([](auto p, auto q) { return (nb::exp(p) * nb::log(q) + nb::sqrt(p) - nb::sin(q) * nb::cos(p)).sum(); }, a, b);
    agree([](auto p) { return (nb::tanh(p) + nb::sigmoid(-p) + nb::square(p) * 0.5 - 3.0 / p).mean(); }, a);
    agree([](auto p, auto r) { return (nb::relu(r) + nb::abs(r) * p + nb::pow(p, 2.5)).sum(); }, a, c);
    agree([](auto p, auto q) { return (nb::maximum(p, q) + nb::minimum(p, 0.9) + nb::clamp(q, 0.5, 1.0)).sum(); }, a, b);
    agree([](auto p, auto r) { return nb::where(r > 0, p * 2, -p).sum(); }, a, c);
    agree([](auto p, auto q) { return nb::pow(p, q).sum(); }, a, b);
}

TEST_CASE("static grad: reductions with axes, keepdim, mean, prod, amax, cumsum") {
    const tensor a = uniform({3, 4}, 0.3, 1.7, 4), w = uniform({4}, -1.0, 1.0, 5);
    agree([](auto p) { return (p.sum(1) * p.sum(1)).sum(); }, a);
    agree([](auto p) { return nb::square(p - p.mean(0, true)).mean(); }, a);
    agree([](auto p) { return nb::log(nb::exp(p).sum(1)).sum(); }, a);
    agree([](auto p) { return p.prod(1).sum() + p.prod(); }, a);
    agree([](auto p) { return p.amax(1).sum() + nb::amin(p) + p.max(); }, a);
    agree([](auto p, auto q) { return (nb::cumsum(p * q, 1) * q).sum(); }, a, w);
    agree([](auto p) { return nb::sum(p * p, {0, 1}, true).sum(); }, a);
}

TEST_CASE("static grad: dot, mv, mm, matmul, norms and views") {
    const tensor A = uniform({3, 4}, -1.0, 1.0, 6), B = uniform({4, 2}, -1.0, 1.0, 7), x = uniform({4}, -1.0, 1.0, 8);
    const tensor y = uniform({3}, -1.0, 1.0, 9), C = uniform({2, 4, 3}, -1.0, 1.0, 10);
    agree([](auto p, auto q) { return nb::dot(p, q * 2.0) + nb::dot(q, q); }, x, x);
    agree([](auto P, auto v, auto t) { return nb::square(nb::mv(P, v) - t).sum(); }, A, x, y);
    agree([](auto P, auto Q) { return nb::tanh(nb::mm(P, Q)).sum(); }, A, B);
    agree([](auto P, auto Q) { return nb::matmul(Q, P).sum() + nb::matmul(P, Q).sum(); }, A, C);
    agree([](auto v, auto P) { return nb::matmul(v, P.T()).sum() + nb::matmul(P, v).sum() + nb::matmul(v, v).sum(); }, x, A);
    agree([](auto P) { return P.norm() + nb::norm(P, 1) + P.norm(3) + (P.norm(2, 1) * 2).sum(); }, A);
    agree([](auto P) { return P.T()[0].sum() * P[1].sum() + P.select(1, 2).sum() + nb::square(P.slice(1, 1, 4, 2)).sum(); }, A);
    agree([](auto P) { return nb::square(P.reshape({2, 6}).sum(0)).sum() + P.transpose(0, 1).cumsum(0).sum(); }, A);
    agree([](auto P) { return nb::square((P * 2)[0]).sum() + P.t().permute({1, 0}).sum(1).prod(); }, A);
}

TEST_CASE("static grad: a staged value is computed once and branches on values work") {
    tensor x{1.0, -2.0, 3.0};
    // f is called exactly once by grad: the forward values are the staged nodes' own.
    int calls = 0;
    auto f = [&](auto v) {
        ++calls;
        const auto s = v.sum();
        const double sign = s.item() > 0 ? 1.0 : -1.0;  // s is known when it is built
        return (v * s * sign).sum();
    };
    const tensor g = nb::grad(f)(x);
    CHECK(calls == 1);
    CHECK(str(g) == "tensor([4., 4., 4.], dtype=float64)");  // d/dv_i (v_i s) summed = s + sum(v) = 2 s
}

TEST_CASE("static grad: no allocation per element-wise op") {
    const tensor x = uniform({64}, 0.5, 1.5, 11);
    auto short_f = [](auto v) { return (nb::exp(v) * v).sum(); };
    auto long_f = [](auto v) {
        return (nb::exp(v) * v + nb::sin(v) * 2 - nb::sqrt(v) / 3 + nb::tanh(v * v) - nb::log(v + 1) * nb::cos(v) +
                nb::sigmoid(v) - v * v * v + nb::square(v - 0.5) * nb::exp(-v))
            .sum();
    };
    auto count = [&](const auto& f) {
        const std::int64_t before = nb::detail::allocation_counter();
        const tensor g = nb::grad(f)(x);
        return nb::detail::allocation_counter() - before;
    };
    const std::int64_t s = count(short_f), l = count(long_f);
    // the staged sum and the gradient buffer (the seed is one value, not a tensor): the same for
    // 2 ops and for 20
    CHECK(s == 2);
    CHECK(l == s);
}

TEST_CASE("static grad: each kind of result is differentiated first, from a one-value seed") {
    const tensor x = uniform({5}, 0.3, 1.7, 12), A = uniform({2, 3}, -1.0, 1.0, 13);
    agree([](auto p) { return p.mean(); }, x);
    agree([](auto p) { return nb::exp(p).mean(); }, x);  // the kept exp(p) times the seed
    agree([](auto p) { return p.prod(); }, x);
    agree([](auto p) { return p.amax(); }, A);
    agree([](auto p) { return p.norm(); }, A);
    agree([](auto p) { return nb::norm(p, 1); }, x);
    agree([](auto p, auto q) { return nb::dot(p, q); }, x, x);  // a product's rule takes a tensor seed
    agree([](auto p) { return (p.sum() * 2.0).eval(); }, A);
    // the value is the result's own storage, handed over: writing to it changes nothing else
    auto [v, g] = nb::value_and_grad([](auto p) { return (p * p).sum(); })(x);
    CHECK(v.item() == doctest::Approx(nb::tensor<double>((x * x).sum()).item()).epsilon(1e-15));
    CHECK(v.data() != x.data());
    v.fill_(7.0);
    CHECK(nb::equal(g, 2 * x));
    // a mean hands 1 / n to every element; a one-element result of shape [1, 1] (not 0-d) takes
    // the seed as it is: d/dp (sum(p) p) = 2 p
    CHECK(str(nb::grad([](auto p) { return p.mean(); })(A)) ==
          "tensor([[0.1667, 0.1667, 0.1667],\n        [0.1667, 0.1667, 0.1667]], dtype=float64)");
    CHECK(str(nb::grad([](auto p) { return p.sum() * p; })(tensor{{2.0}})) == "tensor([[4.]], dtype=float64)");
}

TEST_CASE("grad falls back to the tape for functions of tensors, with the same gradients") {
    // The tutorial's f: loops on values.
    auto f = [](nb::tensor<float> a) {
        nb::tensor<float> b = a * 2;
        while (b.norm() < 1000) b = b * 2;
        nb::tensor<float> c;
        if (b.sum() > 0) c = b;
        else c = 100 * b;
        return c.sum();
    };
    nb::tensor<float> a{0.3f, -0.1f, 0.4f};
    nb::tensor<float> ta = a.detach().clone().requires_grad_(true);
    nb::tensor<float> d = f(ta);
    d.backward();
    const nb::tensor<float> g = nb::grad(f)(a);
    CHECK(nb::equal(g, ta.grad()));
    CHECK_FALSE(a.requires_grad());  // the caller's tensor is untouched
    // a generic function that returns a concrete tensor also runs on the tape
    auto h = [](auto p) { return nb::tensor<double>((p * p).sum()); };
    tensor x{1.0, 2.0};
    CHECK(str(nb::grad(h)(x)) == "tensor([2., 4.], dtype=float64)");
    auto [v, gx] = nb::value_and_grad(h)(x);
    CHECK(v.item() == 5.0);
    CHECK(nb::equal(gx, 2 * x));
}

TEST_CASE("jacobian of vector-valued functions") {
    const tensor x{0.5, -1.0, 2.0};
    CHECK(str(nb::jacobian([](auto p) { return p * p; })(x)) ==
          "tensor([[ 1., -0.,  0.],\n        [ 0., -2.,  0.],\n        [ 0., -0.,  4.]], dtype=float64)");
    const tensor A = uniform({2, 3}, -1.0, 1.0, 12);
    CHECK(nb::allclose(nb::jacobian([&](auto p) { return nb::mv(A, p); })(x), A));
    const tensor J = nb::jacobian([](auto p) { return nb::exp(p).sum(); })(x);
    CHECK(J.shape() == nb::shape{3});
    CHECK(nb::allclose(J, nb::exp(x)));
}

TEST_CASE("grad misuse: clear errors, nothing written") {
    tensor x{1.0, 2.0};
    // shapes are checked when f builds its graph
    CHECK_THROWS_WITH_AS(nb::grad([](auto p) { return (p + nb::arange<double>(3)).sum(); })(x),
                         "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
                         nb::shape_error);
    // a function of tensors that returns more than one element
    CHECK_THROWS_WITH_AS(nb::grad([](nb::tensor<double> p) { return p * 2; })(x),
                         "grad can be implicitly created only for scalar outputs", nb::autograd_error);
    CHECK_THROWS_AS(nb::grad([](auto P) { return nb::mm(P, P).sum(); })(x), nb::shape_error);
    CHECK(str(x) == "tensor([1., 2.], dtype=float64)");
    // an argument f ignores gets a zero gradient
    auto [g0, g1] = nb::grad([](auto p, auto) { return p.sum(); })(x, x);
    CHECK(str(g1) == "tensor([0., 0.], dtype=float64)");
    CHECK(str(g0) == "tensor([1., 1.], dtype=float64)");
}

TEST_CASE("static grad and tape: a leaf broadcast inside a reduced expression gets every copy's gradient") {
    const tensor x{1.0, 2.0, 3.0, 4.0}, s(0.5), A = uniform({3, 4}, -1.0, 1.0, 13), b{1.0, 2.0, 3.0, 4.0};
    auto [gx, gs] = nb::grad([](auto p, auto q) { return (p + q).sum(); })(x, s);
    CHECK(str(gs) == "tensor(4., dtype=float64)");
    CHECK(str(gx) == "tensor([1., 1., 1., 1.], dtype=float64)");
    auto [gA, gb] = nb::grad([](auto P, auto v) { return (P + v).mean(); })(A, b);
    CHECK(nb::allclose(gb, nb::full<double>({4}, 3.0 / 12)));
    agree([](auto p, auto q) { return (p + q).sum() + (p * q).mean(); }, x, s);
    agree([](auto P, auto v) { return nb::square(P - v).sum(1).sum() + (P + v).amax(); }, A, b);
}

TEST_CASE("static grad: derivatives by double constants stay in double") {
    const tensor x{1.0, 2.0};
    const tensor g = nb::grad([](auto p) { return (p / 1.37).sum(); })(x);
    CHECK(g.data()[0] == 1 / 1.37);
    const tensor t = x.detach().clone().requires_grad_(true);
    tensor((t / 1.37).sum()).backward();
    CHECK(t.grad().data()[1] == 1 / 1.37);
}

TEST_CASE("static grad: cumsum's gradient is a reversed scan, accurate when the weights decay") {
    const std::int64_t n = 4096;
    const tensor x = uniform({n}, -1.0, 1.0, 14);
    const tensor w = nb::exp(nb::arange<double>(n) * -0.05);  // decays to e^-205
    const tensor g = nb::grad([&](auto p) { return (nb::cumsum(p, 0) * w).sum(); })(x);
    // d/dx_i = sum_{j >= i} w_j, summed from the end in double
    double run = 0;
    std::vector<double> expect(n);
    for (std::int64_t i = n - 1; i >= 0; --i) expect[i] = run += w.data()[i];
    double worst = 0;
    for (std::int64_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(g.data()[i] - expect[i]) / expect[i]);
    CHECK(worst < 1e-12);
}

TEST_CASE("static grad: scalar terms of 0-d arguments, checked at run time") {
    const tensor x{1.0, 2.0, 3.0}, sigma(2.0);
    auto f = [](auto p, auto s) { return -0.5 * (p * p).sum() / nb::square(s) - 3 * nb::log(s); };
    auto [gx, gs] = nb::grad(f)(x, sigma);
    CHECK(nb::allclose(gx, -x / 4));
    CHECK(gs.item() == doctest::Approx(14.0 / 8 - 1.5));
    // a term whose size is known only at run time: one element is required, as on the tape
    CHECK_THROWS_WITH_AS(nb::grad([](auto p) { return p * p.sum(); })(x), "grad can be implicitly created only for scalar outputs",
                         nb::autograd_error);
}
