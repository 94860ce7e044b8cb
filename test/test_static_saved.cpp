// A sum or mean of op(x) whose derivative reads only op's output (exp, tanh, sigmoid, sqrt) keeps
// op(x)'s values from the forward pass of nb::grad, so that the backward pass does not compute op
// again (log(sum(exp(x))) evaluates exp once). Which ops qualify is read off the type of their
// derivative rule; the gradients must equal the tape's and the analytical ones.
#include <doctest/doctest.h>
#include <nabla/nabla.hpp>

#include "support.hpp"

#include <cmath>
#include <utility>

namespace nb = nabla;

namespace {

using tensor = nb::tensor<double>;
using v0 = nb::var<double, 0>;

// The same f run on the tape (its argument is a concrete tensor).
template <class F>
tensor tape_gradient(const F& f, const tensor& x) {
    return nb::grad([&](const tensor& t) { return f(t); })(x);
}

}  // namespace

TEST_CASE("static saved values: which ops' derivatives read only their output") {
    static_assert(nb::derivative_from_output<decltype(nb::exp(std::declval<const v0&>()))>);
    static_assert(nb::derivative_from_output<decltype(nb::tanh(std::declval<const v0&>()))>);
    static_assert(nb::derivative_from_output<decltype(nb::sigmoid(std::declval<const v0&>()))>);
    static_assert(nb::derivative_from_output<decltype(nb::sqrt(std::declval<const v0&>()))>);
    // derivatives that read x, or read nothing (a constant): nothing to keep
    static_assert(!nb::derivative_from_output<decltype(nb::log(std::declval<const v0&>()))>);
    static_assert(!nb::derivative_from_output<decltype(nb::sin(std::declval<const v0&>()))>);
    static_assert(!nb::derivative_from_output<decltype(nb::abs(std::declval<const v0&>()))>);
    static_assert(!nb::derivative_from_output<decltype(nb::square(std::declval<const v0&>()))>);
    static_assert(!nb::derivative_from_output<decltype(nb::relu(std::declval<const v0&>()))>);
    static_assert(!nb::derivative_from_output<decltype(-std::declval<const v0&>())>);
    static_assert(!nb::derivative_from_output<decltype(std::declval<const v0&>() * 2.0)>);
    static_assert(!nb::derivative_from_output<v0>);
    CHECK(true);
}

TEST_CASE("static saved values: a staged sum keeps exp(x), not log(x), and amax keeps nothing") {
    const tensor x{0.5, -1.0, 2.0, 0.25};
    nb::no_grad_guard off;
    const v0 v(x);
    const auto s = nb::exp(v).sum();
    REQUIRE(s.input_value.defined());
    CHECK(nb::equal(s.input_value, tensor(nb::exp(x))));
    CHECK(s.item() == doctest::Approx(std::exp(0.5) + std::exp(-1.0) + std::exp(2.0) + std::exp(0.25)));
    const auto m = nb::tanh(v).mean();
    CHECK(m.input_value.defined());
    CHECK_FALSE(nb::log(v).sum().input_value.defined());
    CHECK_FALSE(nb::exp(v).amax().input_value.defined());
    CHECK_FALSE(nb::exp(v).prod().input_value.defined());
}

TEST_CASE("static saved values: log_sum_exp's gradient is softmax, as on the tape") {
    const tensor x{0.5, -1.0, 2.0, 0.25};
    const auto f = [](const auto& t) { return nb::log(nb::exp(t).sum()); };
    const auto [value, g] = nb::value_and_grad(f)(x);
    double s = 0;
    for (double e : {0.5, -1.0, 2.0, 0.25}) s += std::exp(e);
    CHECK(value.item() == doctest::Approx(std::log(s)).epsilon(1e-15));
    CHECK(nabla_test::str(g) == "tensor([0.1542, 0.0344, 0.6912, 0.1201], dtype=float64)");
    CHECK(nb::allclose(g, nb::exp(x) / s, 1e-15, 0));
    CHECK(nb::allclose(g, tape_gradient(f, x), 1e-15, 0));
}

TEST_CASE("static saved values: tanh, sigmoid and sqrt; sums along dims, means, keepdim, reuse of x") {
    const tensor x = nabla_test::uniform({3, 4}, 0.1, 2.0, 7);
    const auto f1 = [](const auto& t) { return nb::tanh(t * 2.0).mean() + nb::sqrt(nb::exp(t)).sum(); };
    const auto f2 = [](const auto& t) { return (nb::sigmoid(t).sum(1) * tensor{1.0, -2.0, 3.0}).sum(); };
    const auto f3 = [](const auto& t) { return (nb::exp(t).mean(0, true) * t).sum() + nb::exp(t).sum() * t.sum(); };
    const auto f4 = [](const auto& t) { return nb::sum(nb::sum(nb::sqrt(t), 0, false)); };
    const tensor g1 = nb::grad(f1)(x), g2 = nb::grad(f2)(x), g3 = nb::grad(f3)(x), g4 = nb::grad(f4)(x);
    CHECK(nb::allclose(g1, tape_gradient(f1, x), 1e-14, 0));
    CHECK(nb::allclose(g2, tape_gradient(f2, x), 1e-14, 0));
    CHECK(nb::allclose(g3, tape_gradient(f3, x), 1e-14, 0));
    CHECK(nb::allclose(g4, tape_gradient(f4, x), 1e-14, 0));
    // analytical: d/dx mean(tanh(2x)) = 2 (1 - tanh(2x)^2) / n; d/dx sum(sqrt(e^x)) = sqrt(e^x) / 2
    const tensor a1 = 2.0 * (1.0 - nb::square(nb::tanh(2.0 * x))) / 12.0 + nb::sqrt(nb::exp(x)) / 2.0;
    CHECK(nb::allclose(g1, a1, 1e-14, 1e-15));
    // row i weighs sigmoid's derivative by (1, -2, 3)[i]
    const tensor a2 = nb::sigmoid(x) * (1.0 - nb::sigmoid(x)) * tensor{1.0, -2.0, 3.0}.reshape({3, 1});
    CHECK(nb::allclose(g2, a2, 1e-14, 1e-15));
    CHECK(nb::allclose(g4, 0.5 / nb::sqrt(x), 1e-14, 0));
}

TEST_CASE("static saved values: infinities and zeros pass through as the recomputation would") {
    // exp overflows: the kept value is inf and the gradient of sum(exp(x)) is inf there
    const tensor x{1000.0, 0.0};
    const tensor g = nb::grad([](const auto& t) { return nb::exp(t).sum(); })(x);
    CHECK(std::isinf(g[0].item()));
    CHECK(g[1].item() == 1.0);
    // sqrt at 0: derivative 1 / (2 * 0) = inf, as PyTorch
    const tensor z{0.0, 4.0};
    const tensor gz = nb::grad([](const auto& t) { return nb::sqrt(t).sum(); })(z);
    CHECK(nabla_test::str(gz) == "tensor([   inf, 0.2500], dtype=float64)");
    CHECK(nb::equal(gz, tape_gradient([](const auto& t) { return nb::sqrt(t).sum(); }, z)));
}
