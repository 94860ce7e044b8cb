// The seed tutorial (../shared/spec/seed-tutorial.txt: PyTorch's linear-algebra and autograd
// basics) line by line in nabla. Each step prints the C++ line and its result; the results are
// what PyTorch 1.13 prints for the same Python line (test/fixtures/seed-expected.txt).
#include <nabla/nabla.hpp>

#include <iostream>
#include <string_view>

namespace nb = nabla;

// Python control flow: every assignment to a tensor evaluates and records one node.
nb::tensor<float> f(nb::tensor<float> a) {
    nb::tensor<float> b = a * 2;
    while (b.norm() < 1000) b = b * 2;
    nb::tensor<float> c = b.sum() > 0 ? b : nb::tensor<float>(100 * b);
    return c;
}

template <class V>
void show(std::string_view code, const V& value) {
    std::cout << ">>> " << code << '\n' << value << "\n";
}

int main() {
    std::cout << "# Scalars are tensors with one element\n";
    auto x = nb::tensor({3.0});
    auto y = nb::tensor({2.0});
    show("x + y", x + y);
    show("x * y", x * y);
    show("x / y", x / y);
    show("nb::pow(x, y)", nb::pow(x, y));

    std::cout << "\n# Vectors: indexing, length, shape\n";
    auto v = nb::arange(4);
    show("v", v);
    show("v[3]", v[3]);
    show("nb::len(v)", nb::len(v));
    show("v.shape()", v.shape());

    std::cout << "\n# A symmetric matrix equals its transpose\n";
    nb::tensor<int64_t> B{{1, 2, 3}, {2, 0, 5}, {3, 5, 5}};
    show("B", B);
    show("B == B.T()", B == B.T());

    std::cout << "\n# Element-wise binary operations keep the shape\n";
    auto A = nb::arange<float>(20).reshape(5, 4);
    auto C = A.clone();
    show("C", C);
    show("A + C", A + C);
    show("A * C", A * C);

    std::cout << "\n# A scalar broadcasts over a tensor\n";
    int a = 2;
    auto X = nb::arange(24).reshape(2, 3, 4);
    show("a + X", a + X);
    show("a * X", a * X);

    std::cout << "\n# Sums\n";
    auto xf = nb::arange(4, nb::float32);
    show("xf", xf);
    show("xf.sum()", xf.sum());
    auto A3 = nb::arange(20 * 2).reshape(2, 5, 4);
    show("A3", A3);
    show("A3.shape()", A3.shape());
    show("A3.sum()", A3.sum());
    auto A_sum_axis0 = A3.sum(0);
    show("A3.sum(0)", A_sum_axis0);
    show("A3.sum(0).shape()", A_sum_axis0.shape());

    std::cout << "\n# Means\n";
    auto F = nb::arange<float>(20 * 2).reshape(2, 5, 4);
    show("F.mean()", F.mean());
    show("F.sum() / F.numel()", F.sum() / F.numel());
    show("F.mean(0)", F.mean(0));
    show("F.sum(0) / F.shape()[0]", F.sum(0) / F.shape()[0]);

    std::cout << "\n# Keeping the reduced axis lets the sum broadcast back\n";
    auto sum_F = F.sum(1, true);
    show("sum_F", sum_F);
    show("sum_F.shape()", sum_F.shape());
    show("F / sum_F", F / sum_F);
    show("F.cumsum(0)", F.cumsum(0));

    std::cout << "\n# Dot products\n";
    auto ones = nb::ones<float>({4});
    show("nb::dot(xf, ones)", nb::dot(xf, ones));
    show("nb::sum(xf * ones)", nb::sum(xf * ones));

    std::cout << "\n# Matrix-vector and matrix-matrix products\n";
    auto M = nb::arange(20).reshape(5, 4);
    auto w = nb::arange(4);
    show("M.shape()", M.shape());
    show("w.shape()", w.shape());
    show("nb::mv(M, w)", nb::mv(M, w));
    auto N = nb::arange(8).reshape(4, 2);
    show("nb::mm(M, N)", nb::mm(M, N));

    std::cout << "\n# Norms\n";
    auto u = nb::tensor({3.0, -4.0});
    show("nb::norm(u)", nb::norm(u));
    show("nb::abs(u).sum()", nb::abs(u).sum());
    show("nb::norm(nb::ones<float>({4, 9}))", nb::norm(nb::ones<float>({4, 9})));

    std::cout << "\n# Automatic differentiation of y = 2 x.x\n";
    auto x4 = nb::arange(4.0);
    show("x4", x4);
    x4.requires_grad_(true);
    show("x4.grad()", x4.grad());
    auto y2 = 2 * nb::dot(x4, x4);
    show("y2", y2);
    y2.backward();
    show("x4.grad()", x4.grad());
    show("x4.grad() == 4 * x4", x4.grad() == 4 * x4);

    std::cout << "\n# Gradients accumulate: clear them first\n";
    x4.grad().zero_();
    x4.sum().backward();
    show("x4.grad()", x4.grad());

    std::cout << "\n# Backward of a vector: sum it first\n";
    x4.grad().zero_();
    (x4 * x4).sum().backward();
    show("x4.grad()", x4.grad());

    std::cout << "\n# Detaching computation\n";
    x4.grad().zero_();
    nb::tensor<float> sq = x4 * x4;
    auto u2 = sq.detach();
    (u2 * x4).sum().backward();
    show("x4.grad() == u2", x4.grad() == u2);
    x4.grad().zero_();
    sq.sum().backward();
    show("x4.grad() == 2 * x4", x4.grad() == 2 * x4);

    std::cout << "\n# Gradients through control flow (nabla draws its own random value)\n";
    nb::manual_seed(0);
    auto a0 = nb::randn<float>({}, nb::requires_grad);
    auto d = f(a0);
    d.backward();
    show("a0", a0);
    show("d", d);
    show("a0.grad()", a0.grad());
    show("a0.grad() == d / a0", a0.grad() == d / a0);
}
