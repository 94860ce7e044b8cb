// Forward mode on tensors: tensors of dual numbers, nb::jvp, and nb::hessian (forward over the
// static reverse pass). Expected strings are what torch.autograd.functional prints for the same
// functions and inputs (PyTorch 1.13, float64).
#include <doctest/doctest.h>
#include <nabla/nabla.hpp>

#include "support.hpp"

#include <cstdint>
#include <random>
#include <sstream>
#include <string>

namespace nb = nabla;

namespace {

using tensor = nb::tensor<double>;
using nabla_test::str;
using nabla_test::uniform;



// The Hessian by central differences of the static gradient.
template <class F>
tensor numeric_hessian(const F& f, const tensor& x) {
    const std::int64_t n = x.numel();
    tensor h = nb::empty<double>({n, n});
    const double step = 1e-5;
    for (std::int64_t j = 0; j < n; ++j) {
        tensor xp = x.clone(), xm = x.clone();
        xp.data()[j] += step;
        xm.data()[j] -= step;
        const tensor gp = nb::grad(f)(xp), gm = nb::grad(f)(xm);
        for (std::int64_t i = 0; i < n; ++i) h.data()[i * n + j] = (gp.data()[i] - gm.data()[i]) / (2 * step);
    }
    return h;
}

}  // namespace

TEST_CASE("tensors of dual numbers: element-wise ops, reductions and products carry tangents") {
    using d2 = nb::dual<double, 2>;
    nb::tensor<d2> x = nb::empty<d2>({3});
    for (int i = 0; i < 3; ++i) x.data()[i] = d2(1.0 + i, {i == 0 ? 1.0 : 0.0, i == 1 ? 1.0 : 0.0});
    // s = sum(x * x) + prod(x): ds/dx0 = 2 x0 + x1 x2 = 8, ds/dx1 = 2 x1 + x0 x2 = 7
    const nb::tensor<d2> s = (x * x).sum() + x.prod();
    CHECK(s.item().value() == 20.0);
    CHECK(s.item().tangent(0) == 8.0);
    CHECK(s.item().tangent(1) == 7.0);
    // mm and mv on duals; a plain constant matrix converts
    const tensor A{{1.0, 2.0, 3.0}, {0.0, -1.0, 0.5}};
    const nb::tensor<d2> y = nb::mv(A, x);
    CHECK(y[0].item().value() == 14.0);
    CHECK(y[0].item().tangent(0) == 1.0);
    CHECK(y[1].item().tangent(1) == -1.0);
    const nb::tensor<d2> m = nb::mm(x.reshape({3, 1}), x.reshape({1, 3}));
    CHECK(m.shape() == nb::shape{3, 3});
    CHECK(m[0][1].item().tangent(0) == 2.0);  // d(x0 x1)/dx0 = x1
    CHECK(nb::amax(x).item().value() == 3.0);
    CHECK(nb::mean(x).item().tangent(1) == doctest::Approx(1.0 / 3));
}

TEST_CASE("jvp: the value and the directional derivative, as torch.autograd.functional.jvp") {
    const tensor x{0.5, -1.0, 2.0}, v{1.0, 0.5, -1.0};
    auto [y, dy] = nb::jvp([](auto p) { return nb::exp(p) * p.sum(); }, x, v);
    CHECK(str(y) == "tensor([ 2.4731,  0.5518, 11.0836], dtype=float64)");
    CHECK(str(dy) == "tensor([ 3.2974,  0.4598, -7.3891], dtype=float64)");
    // a scalar function: the directional derivative is grad . v
    auto f = [](auto p) { return (nb::sin(p) * p).sum() + p.norm(); };
    const tensor g = nb::grad(f)(x);
    CHECK(nb::jvp(f, x, v).second.item() == doctest::Approx(nb::dot(g, v).item()).epsilon(1e-12));
    // a strided x and v
    const tensor X = uniform({3, 4}, -1.0, 1.0, 1), V = uniform({4, 3}, -1.0, 1.0, 2);
    auto [yt, dyt] = nb::jvp([](auto p) { return nb::tanh(p); }, X.T(), V);
    CHECK(nb::allclose(dyt, (1 - nb::square(nb::tanh(X.T()))) * V));
}

TEST_CASE("hessian: forward over reverse, as torch.autograd.functional.hessian") {
    const tensor x{0.5, -1.0, 2.0};
    auto g = [](auto p) { return (nb::exp(p) * p).sum() + nb::dot(p, p) * p.sum() + nb::log(nb::exp(p).sum()); };
    CHECK(str(nb::hessian(g)(x)) ==
          "tensor([[ 9.2664, -1.0069,  4.8623],\n"
          "        [-1.0069, -0.5945,  1.9693],\n"
          "        [ 4.8623,  1.9693, 40.7247]], dtype=float64)");
    const tensor A{{1.0, 2.0, 0.5}, {0.3, -1.0, 2.0}};
    auto r = [&](auto w) { return nb::square(nb::mv(A, w) - 1.0).mean() + w.norm(); };
    CHECK(str(nb::hessian(r)(x)) ==
          "tensor([[ 1.5057,  1.7416,  1.0169],\n"
          "        [ 1.7416,  5.3533, -0.8337],\n"
          "        [ 1.0169, -0.8337,  4.3539]], dtype=float64)");
}

TEST_CASE("hessian: more than 8 inputs (several passes), matrices, and agreement with differences of the gradient") {
    const tensor x = uniform({11}, 0.2, 1.2, 3);
    auto f = [](auto p) { return nb::log(nb::exp(p * 2).sum()) + (nb::sigmoid(p) * nb::cumsum(p, 0)).sum() + p.prod(); };
    const tensor h = nb::hessian(f)(x);
    CHECK(h.shape() == nb::shape{11, 11});
    CHECK(nb::allclose(h, numeric_hessian(f, x), 1e-5, 1e-6));
    CHECK(nb::allclose(h, h.T()));
    const tensor W = uniform({3, 4}, -1.0, 1.0, 4), B = uniform({4, 2}, -1.0, 1.0, 5);
    auto m = [&](auto P) { return nb::tanh(nb::mm(P, B)).sum() + nb::square(P.T()[1]).sum() * P.norm(); };
    const tensor hm = nb::hessian(m)(W);
    CHECK(hm.shape() == nb::shape{3, 4, 3, 4});
    CHECK(nb::allclose(hm.reshape({12, 12}), numeric_hessian([&](auto p) { return m(p.reshape({3, 4})); }, W.reshape({12})), 1e-5, 1e-6));
}

TEST_CASE("jvp and hessian misuse") {
    const tensor x{1.0, 2.0};
    CHECK_THROWS_WITH_AS(nb::jvp([](auto p) { return p * 2; }, x, tensor{1.0, 2.0, 3.0}),
                         "jvp: v has a shape of [3] but x has a shape of [2]; they must be the same", nb::shape_error);
    CHECK_THROWS_AS(nb::hessian([](auto p) { return nb::mm(p, p).sum(); })(x), nb::shape_error);
    CHECK(str(x) == "tensor([1., 2.], dtype=float64)");
}
