// The runtime tape against PyTorch 1.13's autograd semantics: requires_grad / is_leaf / grad,
// backward on scalars, explicit seeds and retained graphs, accumulation, detach, no_grad_guard,
// the printed `requires_grad=True` / `grad_fn=<...>` suffixes, data-dependent control flow,
// gradients through broadcasting, the error messages (word for word), and independent graphs on
// several threads at once. Expected values and texts were produced with PyTorch 1.13.
#include <doctest/doctest.h>
#include <nabla/nabla.hpp>

#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace nb = nabla;

namespace {

template <class T>
std::string prints(const T& t) {
    std::ostringstream os;
    os << t;
    return os.str();
}

template <class T>
std::vector<T> values(const nb::tensor<T>& t) {
    const nb::tensor<T> c = t.contiguous();
    return std::vector<T>(c.data(), c.data() + c.numel());
}

// The message of the nb::error that `f` throws ("" when it throws none).
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const nb::error& e) {
        return e.what();
    }
    return "";
}

const std::string second_backward_message =
    "Trying to backward through the graph a second time (or directly access saved tensors after they have already been "
    "freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify "
    "retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors "
    "after calling backward.";

// The seed's f: a data-dependent loop and branch.
nb::tensor<float> seed_f(nb::tensor<float> a) {
    nb::tensor<float> b = a * 2;
    while (b.norm() < 1000) b = b * 2;
    nb::tensor<float> c = b.sum() > 0 ? b : nb::tensor<float>(100 * b);
    return c;
}

}  // namespace

TEST_CASE("autograd: requires_grad_, requires_grad, is_leaf, grad starts as None") {
    auto x = nb::arange(4.0);
    CHECK_FALSE(x.requires_grad());
    CHECK(x.is_leaf());
    CHECK_FALSE(x.grad().defined());
    CHECK(prints(x.grad()) == "None");

    x.requires_grad_(true);
    CHECK(x.requires_grad());
    CHECK(x.is_leaf());
    CHECK(prints(x) == "tensor([0., 1., 2., 3.], requires_grad=True)");
    CHECK(prints(x.grad()) == "None");

    // A non-leaf gets no .grad() of its own (PyTorch: None, with a warning).
    auto leaf = nb::tensor<float>{1.f, 2.f}.requires_grad_();
    nb::tensor<float> mid = leaf * 2;
    (mid * mid).sum().backward();
    CHECK(prints(mid.grad()) == "None");
    CHECK(prints(leaf.grad()) == "tensor([ 8., 16.])");

    // A handle copied from x shares its autograd state, as a torch.Tensor does.
    auto alias = x;
    CHECK(alias.requires_grad());
    x.requires_grad_(false);
    CHECK_FALSE(x.requires_grad());
    CHECK_FALSE(alias.requires_grad());
    CHECK(prints(x) == "tensor([0., 1., 2., 3.])");
    x.requires_grad_();  // default argument: true
    CHECK(x.requires_grad());

    // Factories take the requires_grad tag.
    auto y = nb::ones<double>({2}, nb::requires_grad);
    CHECK(y.requires_grad());
    CHECK(y.is_leaf());
    CHECK(prints(y) == "tensor([1., 1.], dtype=float64, requires_grad=True)");
    CHECK(prints(nb::tensor<float>(1.5410f).requires_grad_()) == "tensor(1.5410, requires_grad=True)");

    // Results of recorded operations are not leaves and require grad; untracked results neither.
    nb::tensor<float> z = x * 2;
    CHECK(z.requires_grad());
    CHECK_FALSE(z.is_leaf());
    nb::tensor<float> w = nb::arange(4.0) * 2;
    CHECK_FALSE(w.requires_grad());
    CHECK(w.is_leaf());
}

TEST_CASE("autograd: backward of a 0-d tensor and of a one-element expression") {
    auto x = nb::arange(4.0, nb::requires_grad);
    auto y = 2 * nb::dot(x, x);
    CHECK(prints(y) == "tensor(28., grad_fn=<MulBackward0>)");
    y.backward();
    CHECK(prints(x.grad()) == "tensor([ 0.,  4.,  8., 12.])");
    CHECK(nb::equal(x.grad(), 4 * x));
    CHECK_FALSE(x.grad().requires_grad());  // the gradient itself is not on the tape

    // A 0-d expression that was never assigned: backward evaluates it first.
    auto s = nb::tensor<double>(3.0).requires_grad_();
    (s * s * s).backward();
    CHECK(s.grad().item() == 27.0);

    // A one-element (shape [1]) output needs no seed either, as in PyTorch.
    auto one = nb::tensor<float>{2.0f}.requires_grad_();
    (one * 3).backward();
    CHECK(prints(one.grad()) == "tensor([3.])");

    // backward of a leaf itself: its gradient is ones.
    auto leaf = nb::tensor<float>(5.0f).requires_grad_();
    leaf.backward();
    CHECK(prints(leaf.grad()) == "tensor(1.)");
}

TEST_CASE("autograd: backward(gradient) with an explicit seed on a vector output") {
    nb::tensor<float> x{1.f, 2.f, 3.f};
    x.requires_grad_();
    nb::tensor<float> y = x * x;
    y.backward(nb::tensor<float>{1.f, 0.1f, 0.01f});
    CHECK(prints(x.grad()) == "tensor([2.0000, 0.4000, 0.0600])");

    // The seed must have the output's shape (PyTorch's message, without "torch.Size").
    nb::tensor<float> y2 = x * x;
    const auto before = values(x.grad());
    CHECK(error_of([&] { y2.backward(nb::ones<float>({2})); }) ==
          "Mismatch in shape: grad_output[0] has a shape of [2] and output[0] has a shape of [3].");
    CHECK(values(x.grad()) == before);

    // A seed may be an expression, and backward may start from an unassigned expression.
    auto m = nb::ones<double>({2, 2}, nb::requires_grad);
    (m * 3).backward(nb::arange<double>(4).reshape({2, 2}) + 1);
    CHECK(values(m.grad()) == std::vector<double>{3, 6, 9, 12});
}

TEST_CASE("autograd: retain_graph allows a second backward, which accumulates") {
    auto x = nb::tensor<double>{1.0, 2.0}.requires_grad_();
    nb::tensor<double> y = nb::exp(x).sum();
    y.backward(nb::retain_graph);
    const std::vector<double> once = values(x.grad());
    CHECK(once[0] == doctest::Approx(std::exp(1.0)));
    CHECK(once[1] == doctest::Approx(std::exp(2.0)));
    y.backward();  // allowed: the graph was retained; this pass frees it
    CHECK(values(x.grad()) == std::vector<double>{2 * once[0], 2 * once[1]});
    CHECK(error_of([&] { y.backward(); }) == second_backward_message);
    // The failed pass left the gradient alone.
    CHECK(values(x.grad()) == std::vector<double>{2 * once[0], 2 * once[1]});

    // The explicit-seed form takes retain as its second argument.
    auto v = nb::tensor<double>{1.0, 2.0}.requires_grad_();
    nb::tensor<double> w = v * v;
    w.backward(nb::ones<double>({2}), true);
    w.backward(nb::ones<double>({2}));
    CHECK(values(v.grad()) == std::vector<double>{4, 8});
}

TEST_CASE("autograd: gradients accumulate across calls; grad().zero_() resets in place") {
    auto x = nb::arange(4.0, nb::requires_grad);
    x.sum().backward();
    CHECK(prints(x.grad()) == "tensor([1., 1., 1., 1.])");
    x.sum().backward();
    CHECK(prints(x.grad()) == "tensor([2., 2., 2., 2.])");
    (x * x).sum().backward();
    CHECK(prints(x.grad()) == "tensor([2., 4., 6., 8.])");

    auto g = x.grad();  // a handle to the same gradient storage
    x.grad().zero_();
    CHECK(prints(x.grad()) == "tensor([0., 0., 0., 0.])");
    CHECK(prints(g) == "tensor([0., 0., 0., 0.])");
    x.sum().backward();  // accumulates into the zeroed buffer
    CHECK(prints(g) == "tensor([1., 1., 1., 1.])");
}

TEST_CASE("autograd: detach shares data and is cut from the graph") {
    auto x = nb::arange(4.0, nb::requires_grad);
    nb::tensor<float> y = x * x;
    auto u = y.detach();
    CHECK_FALSE(u.requires_grad());
    CHECK(u.is_leaf());
    CHECK(u.data() == y.data());
    CHECK(prints(u) == "tensor([0., 1., 4., 9.])");
    u[0] = 7.0f;  // shares data: writing through u shows in y
    CHECK(y[0].item() == 7.0f);
    u[0] = 0.0f;

    nb::tensor<float> z = u * x;
    z.sum().backward();
    CHECK(prints(x.grad() == u) == "tensor([True, True, True, True])");
    x.grad().zero_();
    y.sum().backward();
    CHECK(prints(x.grad() == 2 * x) == "tensor([True, True, True, True])");

    // detach of a leaf: the data is shared, the requires_grad flag is not.
    auto d = x.detach();
    CHECK_FALSE(d.requires_grad());
    CHECK(x.requires_grad());
    d[1] = 10.0f;
    CHECK(x[1].item() == 10.0f);
}

TEST_CASE("autograd: no_grad_guard records nothing; nesting restores the previous mode") {
    auto x = nb::arange(3.0, nb::requires_grad);
    {
        nb::no_grad_guard g;
        nb::tensor<float> y = x * 2;
        CHECK_FALSE(y.requires_grad());
        CHECK(y.is_leaf());
        CHECK(prints(y) == "tensor([0., 2., 4.])");
        CHECK_FALSE(x.sum().requires_grad());
        CHECK_FALSE(nb::mv(nb::ones<float>({2, 3}), x).requires_grad());
        CHECK_FALSE(x[0].requires_grad());
        CHECK_FALSE(x.T().requires_grad());
        CHECK_FALSE(x.cumsum(0).requires_grad());
        {
            nb::no_grad_guard inner;
            CHECK_FALSE(nb::tensor<float>(x * 3).requires_grad());
        }
        CHECK_FALSE(nb::tensor<float>(x * 3).requires_grad());  // still disabled after the inner guard
        CHECK(x.requires_grad());                               // the leaf keeps its flag
    }
    nb::tensor<float> y = x * 2;  // enabled again
    CHECK(y.requires_grad());
    CHECK(prints(y) == "tensor([0., 2., 4.], grad_fn=<MulBackward0>)");
    CHECK(nb::detail::grad_mode());
}

TEST_CASE("autograd: printed grad_fn names") {
    auto x = nb::arange<float>(6).reshape({2, 3}).detach().requires_grad_();
    auto v = nb::ones<float>({3}, nb::requires_grad);
    auto name = [](const auto& e) { return std::string(nb::tensor<float>(e).grad_fn_name()); };
    CHECK(name(x + x) == "AddBackward0");
    CHECK(name(x - 1) == "SubBackward0");
    CHECK(name(x * 2) == "MulBackward0");
    CHECK(name(2 * x + 1) == "AddBackward0");  // the root op names the node
    CHECK(name(x / 2) == "DivBackward0");
    CHECK(name(-x) == "NegBackward0");
    CHECK(name(nb::exp(x)) == "ExpBackward0");
    CHECK(name(nb::tanh(x)) == "TanhBackward0");
    CHECK(name(x.sum()) == "SumBackward0");
    CHECK(name(x.sum(0)) == "SumBackward1");
    CHECK(name(x.sum(1, true)) == "SumBackward1");
    CHECK(name(x.mean()) == "MeanBackward0");
    CHECK(name(x.mean(1)) == "MeanBackward1");
    CHECK(name(x.prod()) == "ProdBackward0");
    CHECK(name(x.amax()) == "AmaxBackward0");
    CHECK(name(x.cumsum(0)) == "CumsumBackward0");
    CHECK(name(nb::mm(x, x.T())) == "MmBackward0");
    CHECK(name(nb::mv(x, v)) == "MvBackward0");
    CHECK(name(x[0]) == "SelectBackward0");
    CHECK(name(x.select(1, 1)) == "SelectBackward0");
    CHECK(name(x.slice(0, 0, 1)) == "SliceBackward0");
    CHECK(name(x.permute({1, 0})) == "PermuteBackward0");
    CHECK(name(x.T()) == "PermuteBackward0");
    CHECK(name(x.transpose(0, 1)) == "TransposeBackward0");
    CHECK(name(x.reshape({6})) == "ViewBackward0");
    CHECK(name(x.clone()) == "CloneBackward0");
    CHECK(name(x) == "");

    // The printed suffix, as PyTorch prints it.
    CHECK(prints(x.sum()) == "tensor(15., grad_fn=<SumBackward0>)");
    CHECK(prints(x.sum(0)) == "tensor([3., 5., 7.], grad_fn=<SumBackward1>)");
    CHECK(prints(x.mean()) == "tensor(2.5000, grad_fn=<MeanBackward0>)");
    CHECK(prints(x[0]) == "tensor([0., 1., 2.], grad_fn=<SelectBackward0>)");
    CHECK(prints(x.slice(0, 0, 1)) == "tensor([[0., 1., 2.]], grad_fn=<SliceBackward0>)");
    CHECK(prints(x.reshape({6})) == "tensor([0., 1., 2., 3., 4., 5.], grad_fn=<ViewBackward0>)");
    CHECK(prints(nb::tensor<float>(x - 1)) ==
          "tensor([[-1.,  0.,  1.],\n"
          "        [ 2.,  3.,  4.]], grad_fn=<SubBackward0>)");
    CHECK(prints(nb::tensor<float>(x / 2)) ==
          "tensor([[0.0000, 0.5000, 1.0000],\n"
          "        [1.5000, 2.0000, 2.5000]], grad_fn=<DivBackward0>)");
    CHECK(prints(nb::mm(x, x.T())) ==
          "tensor([[ 5., 14.],\n"
          "        [14., 50.]], grad_fn=<MmBackward0>)");
    CHECK(prints(nb::mv(x, v)) == "tensor([ 3., 12.], grad_fn=<MvBackward0>)");
    CHECK(prints(x.T()) ==
          "tensor([[0., 3.],\n"
          "        [1., 4.],\n"
          "        [2., 5.]], grad_fn=<PermuteBackward0>)");
    CHECK(prints(nb::arange(3.0, nb::requires_grad).cumsum(0)) == "tensor([0., 1., 3.], grad_fn=<CumsumBackward0>)");
}

TEST_CASE("autograd: the seed's data-dependent control flow") {
    for (const float start : {0.37f, -0.8f, 1e-3f, 2.5f, -600.f}) {
        auto a = nb::tensor<float>(start).requires_grad_();
        auto d = seed_f(a);
        d.backward();
        CAPTURE(start);
        CHECK(prints(a.grad() == d / a) == "tensor(True)");
        // d = a * 2^k (times 100 when a < 0), so the gradient is that power of two (times 100).
        const float g = a.grad().item();
        const float k = start > 0 ? g : g / 100;
        CHECK(k == std::exp2(std::round(std::log2(k))));
        CHECK(std::abs((start > 0 ? d : d / 100).item()) >= 1000.f);
        CHECK(prints(d).find(", grad_fn=<MulBackward0>)") != std::string::npos);
    }
}

TEST_CASE("autograd: a loop of my own: Newton's iteration for sqrt(c), differentiated through") {
    // x_{k+1} = (x_k + c / x_k) / 2 until converged; the result is sqrt(c), so d/dc = 1 / (2 sqrt(c)).
    for (const double c0 : {2.0, 9.0, 0.25}) {
        auto c = nb::tensor<double>(c0).requires_grad_();
        nb::tensor<double> x = c * 0 + 1;  // starts at 1, on the tape
        int steps = 0;
        while (nb::abs(x * x - c) > 1e-12) {
            x = (x + c / x) / 2;
            ++steps;
        }
        CHECK(steps > 2);
        x.backward();
        CAPTURE(c0);
        CHECK(x.item() == doctest::Approx(std::sqrt(c0)).epsilon(1e-12));
        CHECK(c.grad().item() == doctest::Approx(0.5 / std::sqrt(c0)).epsilon(1e-9));
    }

    // A branch inside a loop: y = product of the elements above a threshold, each squared.
    auto v = nb::tensor<double>{0.5, 2.0, 3.0, -1.0}.requires_grad_();
    nb::tensor<double> acc = nb::tensor<double>(1.0);
    for (int i = 0; i < 4; ++i) {
        if (v[i] > 1.0) acc = acc * v[i] * v[i];
        else acc = acc + v[i];
    }
    // acc = ((1 + 0.5) * 4 * 9) - 1 = 53; d/dv0 = 36, d/dv1 = 1.5*2*2*9 = 54, d/dv2 = 1.5*4*2*3 = 36, d/dv3 = 1
    acc.backward();
    CHECK(acc.item() == 53.0);
    CHECK(values(v.grad()) == std::vector<double>{36.0, 54.0, 36.0, 1.0});
}

TEST_CASE("autograd: a diamond graph: a node's gradient collects every use before it runs") {
    auto x = nb::tensor<double>{0.5, 1.0}.requires_grad_();
    nb::tensor<double> a = nb::exp(x);
    nb::tensor<double> b = a * 2;
    nb::tensor<double> c = a * 3;
    nb::tensor<double> d = (b * c + a.T()).sum();  // 6 e^{2x} + e^x: gradient 12 e^{2x} + e^x
    d.backward();
    const auto g = values(x.grad());
    CHECK(g[0] == doctest::Approx(12 * std::exp(1.0) + std::exp(0.5)).epsilon(1e-14));
    CHECK(g[1] == doctest::Approx(12 * std::exp(2.0) + std::exp(1.0)).epsilon(1e-14));

    // Two roots sharing a retained sub-graph: each backward adds its own contribution.
    auto v = nb::tensor<double>{2.0}.requires_grad_();
    nb::tensor<double> sq = v * v;
    nb::tensor<double> r1 = sq * 3, r2 = sq + v;
    r1.backward(nb::retain_graph);  // 6v = 12
    CHECK(values(v.grad()) == std::vector<double>{12.0});
    r2.backward();                  // 2v + 1 = 5
    CHECK(values(v.grad()) == std::vector<double>{17.0});
}

TEST_CASE("autograd: error messages, word for word") {
    auto x = nb::arange(3.0, nb::requires_grad);

    // Non-scalar backward without a gradient.
    nb::tensor<float> y = x * 2;
    CHECK(error_of([&] { y.backward(); }) == "grad can be implicitly created only for scalar outputs");
    CHECK(error_of([&] { (x * 2).backward(); }) == "grad can be implicitly created only for scalar outputs");
    CHECK_THROWS_AS(y.backward(), nb::autograd_error);
    CHECK_FALSE(x.grad().defined());  // nothing was accumulated

    // Backward of a tensor that needs no grad (checked before the scalar check, as PyTorch).
    auto plain = nb::arange(3.0);
    CHECK(error_of([&] { plain.backward(); }) == "element 0 of tensors does not require grad and does not have a grad_fn");
    CHECK(error_of([&] { plain.sum().backward(); }) == "element 0 of tensors does not require grad and does not have a grad_fn");
    CHECK_THROWS_AS(nb::tensor<float>(plain * 2).sum().backward(), nb::autograd_error);
    CHECK(error_of([&] { x.detach().sum().backward(); }) == "element 0 of tensors does not require grad and does not have a grad_fn");
    {
        nb::no_grad_guard g;
        nb::tensor<float> s = (x * x).sum();
        CHECK(error_of([&] { s.backward(); }) == "element 0 of tensors does not require grad and does not have a grad_fn");
    }

    // A second backward through a freed graph.
    nb::tensor<float> q = (x * x).sum();
    q.backward();
    const auto after_first = values(x.grad());
    CHECK(after_first == std::vector<float>{0, 2, 4});
    CHECK(error_of([&] { q.backward(); }) == second_backward_message);
    CHECK_THROWS_AS(q.backward(), nb::autograd_error);
    CHECK(values(x.grad()) == after_first);  // the failed passes changed nothing
    // ... also through a new node built on top of the freed part.
    nb::tensor<float> r = q * 3;
    CHECK(error_of([&] { r.backward(); }) == second_backward_message);
    CHECK(values(x.grad()) == after_first);

    // An in-place write to a leaf that requires grad.
    const std::string leaf_msg = "a leaf Variable that requires grad is being used in an in-place operation.";
    auto w = nb::ones<float>({3}, nb::requires_grad);
    CHECK(error_of([&] { w -= 1; }) == leaf_msg);
    CHECK(error_of([&] { w += w; }) == leaf_msg);
    CHECK(error_of([&] { w *= 2.0f; }) == leaf_msg);
    CHECK(error_of([&] { w.zero_(); }) == leaf_msg);
    CHECK(error_of([&] { w.fill_(3); }) == leaf_msg);
    CHECK(error_of([&] { w.copy_(nb::zeros<float>({3})); }) == leaf_msg);
    CHECK_THROWS_AS(w.zero_(), nb::autograd_error);
    CHECK(prints(w) == "tensor([1., 1., 1.], requires_grad=True)");  // untouched
    // A failed write leaves an existing gradient unchanged too.
    (w * w).sum().backward();
    CHECK(error_of([&] { w -= 0.1f * w.grad(); }) == leaf_msg);
    CHECK(prints(w.grad()) == "tensor([2., 2., 2.])");
    CHECK(prints(w) == "tensor([1., 1., 1.], requires_grad=True)");
    // The error types derive from nb::error (itself a std::runtime_error).
    try {
        w -= 1;
        FAIL("expected a throw");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) == leaf_msg);
    }
}

TEST_CASE("autograd: in-place update of a leaf inside no_grad_guard (the SGD pattern)") {
    auto w = nb::tensor<float>{1.0f, -2.0f, 0.5f}.requires_grad_();
    const float lr = 0.1f;
    (w * w).sum().backward();  // grad = 2w
    {
        nb::no_grad_guard g;
        w -= lr * w.grad();
    }
    CHECK(prints(w) == "tensor([ 0.8000, -1.6000,  0.4000], requires_grad=True)");
    CHECK(w.requires_grad());
    CHECK(w.is_leaf());
    CHECK(prints(w.grad()) == "tensor([ 2., -4.,  1.])");
    w.grad().zero_();
    // w is still usable on the tape afterwards.
    (w * w).sum().backward();
    CHECK(values(w.grad()) == std::vector<float>{1.6f, -3.2f, 0.8f});
    {
        nb::no_grad_guard g;
        w.copy_(nb::zeros<float>({3}));
        w.fill_(2.0f);
        w *= 0.5f;
        w[0] = 5.0f;  // through a view, too
    }
    CHECK(prints(w) == "tensor([5., 1., 1.], requires_grad=True)");
}

// Library bugs (wording and a missing check): PyTorch 1.13 refuses both of these with its own text.
TEST_CASE("autograd: in-place write through a view of a leaf; requires_grad_ on a non-leaf" * doctest::skip()) {
    auto w = nb::ones<float>({3}, nb::requires_grad);
    CHECK(error_of([&] { w[0] = 5.0f; }) == "a view of a leaf Variable that requires grad is being used in an in-place operation.");
    CHECK(error_of([&] { w.slice(0, 0, 2).zero_(); }) ==
          "a view of a leaf Variable that requires grad is being used in an in-place operation.");
    nb::tensor<float> z = w * 2;
    CHECK(error_of([&] { z.requires_grad_(false); }) ==
          "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a "
          "subgraph that doesn't require differentiation use var_no_grad = var.detach().");
    CHECK(z.requires_grad());
}

TEST_CASE("autograd: gradients through broadcasting are summed back to the input's shape") {
    // [4] against [3, 4], a 0-d tensor against a matrix, products with weights.
    auto row = nb::tensor<double>{1.0, 2.0, 3.0, 4.0}.requires_grad_();
    auto m = nb::arange<double>(12).reshape({3, 4}).detach().requires_grad_();
    auto s = nb::tensor<double>(2.0).requires_grad_();
    (row * m * s).sum().backward();
    // d/drow_j = s * sum_i m_ij; d/dm = s * row (broadcast); d/ds = sum(row * m)
    CHECK(values(row.grad()) == std::vector<double>{24, 30, 36, 42});
    CHECK(values(m.grad()) == std::vector<double>{2, 4, 6, 8, 2, 4, 6, 8, 2, 4, 6, 8});
    CHECK(s.grad().shape() == nb::shape{});
    CHECK(s.grad().item() == 0 * 1 + 1 * 2 + 2 * 3 + 3 * 4 + 4 * 1 + 5 * 2 + 6 * 3 + 7 * 4 + 8 * 1 + 9 * 2 + 10 * 3 + 11 * 4);

    // Broadcast of a [2, 1, 3] against [4, 1] (both sides grow), with a non-uniform seed.
    auto p = nb::ones<double>({2, 1, 3}, nb::requires_grad);
    auto q = nb::ones<double>({4, 1}, nb::requires_grad);
    nb::tensor<double> out = p * q;
    CHECK(out.shape() == nb::shape{2, 4, 3});
    out.backward(nb::arange<double>(24).reshape({2, 4, 3}));
    CHECK(p.grad().shape() == nb::shape{2, 1, 3});
    CHECK(q.grad().shape() == nb::shape{4, 1});
    // p.grad[i,0,k] = sum_j seed[i,j,k]; q.grad[j,0] = sum_{i,k} seed[i,j,k]
    CHECK(values(p.grad()) == std::vector<double>{18, 22, 26, 66, 70, 74});
    CHECK(values(q.grad()) == std::vector<double>{3 + 39, 12 + 48, 21 + 57, 30 + 66});

    // The same input used twice, once broadcast: both contributions add up.
    auto c = nb::tensor<float>{{1.0f}, {2.0f}}.requires_grad_();
    (c * c.T()).sum().backward();  // [2,1] * [1,2]: sum_ij c_i c_j = (sum c)^2, grad = 2 sum c
    CHECK(prints(c.grad()) ==
          "tensor([[6.],\n"
          "        [6.]])");
}

// Library bug: a reduction of a broadcasting expression seeds each leaf with the reduced shape
// instead of the expression's shape, so the broadcast copies are not counted (see the report).
TEST_CASE("autograd: reductions of a broadcasting expression count every broadcast copy") {
    auto a = nb::ones<float>({3, 1}, nb::requires_grad);
    auto b = nb::ones<float>({1, 4}, nb::requires_grad);
    (a + b).sum().backward();
    CHECK(prints(a.grad()) ==
          "tensor([[4.],\n"
          "        [4.],\n"
          "        [4.]])");
    CHECK(prints(b.grad()) == "tensor([[3., 3., 3., 3.]])");
    CHECK(a.grad().shape() == nb::shape{3, 1});
    CHECK(b.grad().shape() == nb::shape{1, 4});

    auto p = nb::ones<double>({3, 1}, nb::requires_grad);
    auto q = nb::ones<double>({1, 4}, nb::requires_grad);
    (p - q).mean().backward();  // d/dp = 4/12 each, d/dq = -3/12 each
    CHECK(nb::allclose(p.grad(), nb::full<double>({3, 1}, 4 / 12.0)));
    CHECK(nb::allclose(q.grad(), nb::full<double>({1, 4}, -0.25)));

    auto r = nb::ones<double>({3, 1}, nb::requires_grad);
    auto c = nb::ones<double>({1, 4}, nb::requires_grad);
    (r + c).sum(0).sum().backward();  // the reduced dim is the one r broadcasts along... and c's too
    CHECK(values(r.grad()) == std::vector<double>{4, 4, 4});
    CHECK(values(c.grad()) == std::vector<double>{3, 3, 3, 3});

    auto v = nb::ones<double>({4}, nb::requires_grad);
    nb::exp(v + nb::zeros<double>({2, 4})).sum().backward();  // exp keeps the full shape: 2e each
    for (double g : values(v.grad())) CHECK(g == doctest::Approx(2 * std::exp(1.0)));
    v.grad().zero_();
    (v + nb::zeros<double>({2, 4})).sum().backward();
    CHECK(values(v.grad()) == std::vector<double>{2, 2, 2, 2});
    v.grad().zero_();
    (v * nb::ones<double>({2, 4})).amax().backward();  // a 2-way tie for each... 8-way in all
    CHECK(values(v.grad()) == std::vector<double>{0.25, 0.25, 0.25, 0.25});
}

namespace {

// A small model: a two-layer perceptron on a fixed batch, its loss backpropagated `iterations`
// times with an SGD step in between. Returns the final parameters and gradients.
std::vector<double> train_small_model(int seed, int iterations) {
    auto x = (nb::arange<double>(12).reshape({4, 3}) * 0.1 + seed * 0.01).eval();
    auto target = nb::tensor<double>{1.0, -1.0, 0.5, 0.0};
    auto w1 = (nb::arange<double>(15).reshape({3, 5}) * 0.05 - 0.3).eval().requires_grad_();
    auto b1 = nb::zeros<double>({5}, nb::requires_grad);
    auto w2 = (nb::arange<double>(5) * -0.1 + 0.2).eval().requires_grad_();
    for (int it = 0; it < iterations; ++it) {
        nb::tensor<double> h = nb::tanh(nb::mm(x, w1) + b1);
        nb::tensor<double> pred = nb::mv(h, w2);
        nb::tensor<double> loss = nb::square(pred - target).mean();
        loss.backward();
        nb::no_grad_guard g;
        w1 -= 0.05 * w1.grad();
        b1 -= 0.05 * b1.grad();
        w2 -= 0.05 * w2.grad();
        if (it + 1 < iterations) {
            w1.grad().zero_();
            b1.grad().zero_();
            w2.grad().zero_();
        }
    }
    std::vector<double> out;
    for (const auto* t : {&w1, &b1, &w2}) {
        for (double v : values(*t)) out.push_back(v);
        for (double v : values(t->grad())) out.push_back(v);
    }
    return out;
}

}  // namespace

TEST_CASE("autograd: independent graphs on several threads give the single-thread gradients") {
    constexpr int n_threads = 4, iterations = 200;
    std::vector<std::vector<double>> expected(n_threads), got(n_threads);
    for (int t = 0; t < n_threads; ++t) expected[t] = train_small_model(t, iterations);
    // The runs differ from each other (each thread checks its own result, not a copy).
    CHECK(expected[0] != expected[1]);

    std::vector<std::thread> threads;
    for (int t = 0; t < n_threads; ++t) threads.emplace_back([&got, t] { got[t] = train_small_model(t, iterations); });
    for (auto& th : threads) th.join();
    for (int t = 0; t < n_threads; ++t) {
        CAPTURE(t);
        CHECK(got[t] == expected[t]);  // bit for bit
    }

    // A no_grad_guard on one thread does not disable recording on another.
    bool recorded_elsewhere = false;
    {
        nb::no_grad_guard g;
        std::thread other([&] {
            auto v = nb::ones<float>({2}, nb::requires_grad);
            recorded_elsewhere = nb::tensor<float>(v * 2).requires_grad();
        });
        other.join();
    }
    CHECK(recorded_elsewhere);
}
