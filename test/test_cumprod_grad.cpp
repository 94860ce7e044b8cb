// cumprod on the tape: its gradient (with and without zeros in the input) against central
// finite differences and against PyTorch 1.13's printed gradients.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include "support.hpp"

namespace nb = nabla;
using nb::tensor;
using nabla_test::str;
using nabla_test::uniform;

TEST_CASE("gradcheck: cumprod along each axis") {
    const tensor a = uniform({2, 3, 4}, 0.5, 1.5, 81);
    CHECK(nb::gradcheck([](auto x) { return x.cumprod(0); }, a));
    CHECK(nb::gradcheck([](auto x) { return x.cumprod(1); }, a));
    CHECK(nb::gradcheck([](auto x) { return x.cumprod(2); }, a));
    CHECK(nb::gradcheck([](auto x) { return nb::cumprod(x * 2 - 1, -1); }, a));
    CHECK(nb::gradcheck([](auto x) { return x.transpose(0, 2).cumprod(0); }, a));
}

TEST_CASE("cumprod's gradient with zeros in the input, as PyTorch") {
    // torch: x = tensor([2., 0., 3., 0., 5.], requires_grad=True); cumprod(x, 0).sum().backward()
    tensor<float> x{2.f, 0.f, 3.f, 0.f, 5.f};
    x.requires_grad_(true);
    const tensor<float> y = nb::cumprod(x, 0);
    CHECK(str(y) == "tensor([2., 0., 0., 0., 0.], grad_fn=<CumprodBackward0>)");
    y.sum().backward();
    CHECK(str(x.grad()) == "tensor([1., 8., 0., 0., 0.])");

    // torch (float64): x = [[0.5, 2, 0], [1.5, -1, 4]]; (cumprod(x, 1) * w).sum().backward()
    tensor<double> a{{0.5, 2.0, 0.0}, {1.5, -1.0, 4.0}};
    a.requires_grad_(true);
    const tensor<double> w{{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
    (nb::cumprod(a, 1) * w).sum().backward();
    CHECK(str(a.grad()) ==
          "tensor([[  5.0000,   1.0000,   3.0000],\n"
          "        [-25.0000,  43.5000,  -9.0000]], dtype=float64)");
}
