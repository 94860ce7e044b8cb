// nabla::tensor<T> itself: literals (rank 1..4, CTAD), 0-d and undefined tensors, the five element
// types through construction, copy and printing, conversions, handle semantics, and the assignment
// rules of API.md (rebinding vs. writing into existing storage), with every error's type, message
// and the guarantee that a failed write leaves its target unchanged.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include <cstdint>
#include <initializer_list>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace nb = nabla;

namespace {

template <class X>
std::string str(const X& x) {
    std::ostringstream os;
    os << x;
    return os.str();
}

// The elements of t in row-major order.
template <class T>
std::vector<T> values(const nb::tensor<T>& t) {
    const nb::tensor<T> c = t.contiguous();
    return std::vector<T>(c.data(), c.data() + c.numel());
}

}  // namespace

TEST_CASE("literals of rank 1 to 4 deduce float for floating literals and int64 for integers") {
    auto f1 = nb::tensor({3.0});
    static_assert(std::is_same_v<decltype(f1), nb::tensor<float>>);
    CHECK(f1.shape() == nb::shape{1});
    CHECK(str(f1) == "tensor([3.])");

    auto i1 = nb::tensor({1, 2});
    static_assert(std::is_same_v<decltype(i1), nb::tensor<std::int64_t>>);
    CHECK(str(i1) == "tensor([1, 2])");

    auto b1 = nb::tensor({true, false});
    static_assert(std::is_same_v<decltype(b1), nb::tensor<bool>>);
    CHECK(str(b1) == "tensor([ True, False])");

    auto f2 = nb::tensor({{1.0f, 2.0f, 3.0f}, {4.0f, 5.0f, 6.0f}});
    static_assert(std::is_same_v<decltype(f2), nb::tensor<float>>);
    CHECK(f2.shape() == nb::shape{2, 3});
    CHECK(values(f2) == std::vector<float>{1, 2, 3, 4, 5, 6});
    CHECK(str(f2) == "tensor([[1., 2., 3.],\n        [4., 5., 6.]])");

    auto i3 = nb::tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}});
    static_assert(std::is_same_v<decltype(i3), nb::tensor<std::int64_t>>);
    CHECK(i3.shape() == nb::shape{2, 2, 2});
    CHECK(str(i3) == "tensor([[[1, 2],\n         [3, 4]],\n\n        [[5, 6],\n         [7, 8]]])");

    auto f4 = nb::tensor({{{{1., 2.}}, {{3., 4.}}}});
    static_assert(std::is_same_v<decltype(f4), nb::tensor<float>>);
    CHECK(f4.shape() == nb::shape{1, 2, 1, 2});
    CHECK(f4.dim() == 4);
    CHECK(str(f4) == "tensor([[[[1., 2.]],\n\n         [[3., 4.]]]])");

    // The element type may be named; the literal's values convert to it.
    nb::tensor<std::int64_t> m{{1, 2, 3}, {2, 0, 5}, {3, 5, 5}};
    CHECK(m.shape() == nb::shape{3, 3});
    CHECK(values(m) == std::vector<std::int64_t>{1, 2, 3, 2, 0, 5, 3, 5, 5});
    CHECK(str(m) == "tensor([[1, 2, 3],\n        [2, 0, 5],\n        [3, 5, 5]])");
    nb::tensor<float> from_ints{1, 2, 3};
    CHECK(str(from_ints) == "tensor([1., 2., 3.])");
    nb::tensor<double> typed{3.0};
    CHECK(str(typed) == "tensor([3.], dtype=float64)");
    // A fresh literal is contiguous, with row-major strides.
    CHECK(i3.is_contiguous());
    CHECK(i3.strides() == nb::strides{4, 2, 1});
}

TEST_CASE("an empty literal is a 1-d tensor of size 0") {
    nb::tensor<float> e(std::initializer_list<float>{});
    CHECK(e.defined());
    CHECK(e.shape() == nb::shape{0});
    CHECK(e.numel() == 0);
    CHECK(str(e) == "tensor([])");
}

TEST_CASE("ragged literals throw shape_error with PyTorch's message") {
    CHECK_THROWS_WITH_AS(nb::tensor({{1, 2}, {3}}), "expected sequence of length 2 at dim 1 (got 1)", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::tensor({{1.0}, {2.0, 3.0}}), "expected sequence of length 1 at dim 1 (got 2)", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::tensor({{{1, 2}, {3, 4}}, {{1, 2}, {3}}}), "expected sequence of length 2 at dim 2 (got 1)",
                         nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::tensor({{{1, 2}, {3, 4}}, {{1, 2}}}), "expected sequence of length 2 at dim 1 (got 1)",
                         nb::shape_error);
    CHECK_THROWS_WITH_AS((nb::tensor<float>{{{{1.f}, {2.f}}}, {{{3.f}, {4.f, 5.f}}}}),
                         "expected sequence of length 1 at dim 3 (got 2)", nb::shape_error);
    // shape_error is an nb::error is a std::runtime_error.
    CHECK_THROWS_AS(nb::tensor({{1, 2}, {3}}), nb::error);
    CHECK_THROWS_AS(nb::tensor({{1, 2}, {3}}), std::runtime_error);
}

TEST_CASE("a 0-d tensor from a scalar") {
    nb::tensor<float> s(1.5f);
    CHECK(s.defined());
    CHECK(s.dim() == 0);
    CHECK(s.numel() == 1);
    CHECK(s.shape() == nb::shape{});
    CHECK(str(s.shape()) == "[]");
    CHECK(s.item() == 1.5f);
    CHECK(str(s) == "tensor(1.5000)");
    CHECK(str(nb::tensor<std::int64_t>(7)) == "tensor(7)");
    CHECK(str(nb::tensor<double>(2.0)) == "tensor(2., dtype=float64)");
    CHECK(str(nb::tensor<std::int32_t>(-3)) == "tensor(-3, dtype=int32)");
    CHECK(str(nb::tensor<bool>(true)) == "tensor(True)");
    // The scalar constructor is explicit: a float is not silently a tensor.
    static_assert(!std::is_convertible_v<float, nb::tensor<float>>);
}

TEST_CASE("a default-constructed handle is undefined until assigned") {
    nb::tensor<float> u;
    CHECK_FALSE(u.defined());
    CHECK(str(u) == "None");
    CHECK(u.data() == nullptr);
    CHECK_THROWS_WITH_AS(u.item(), "item(): the tensor is undefined", nb::error);
    CHECK_THROWS_WITH_AS(u.clone(), "clone(): the tensor is undefined", nb::error);
    CHECK_THROWS_WITH_AS(u[0], "index(): the tensor is undefined", nb::error);
    CHECK_THROWS_WITH_AS(u.reshape({1}), "reshape(): the tensor is undefined", nb::error);
    CHECK_THROWS_WITH_AS(u.fill_(1.0f), "fill_(): the tensor is undefined", nb::error);
    CHECK_THROWS_WITH_AS(u.copy_(nb::tensor<float>(1.0f)), "copy_(): the tensor is undefined", nb::error);
    CHECK_THROWS_WITH_AS(u.to<double>(), "to(): the tensor is undefined", nb::error);
    CHECK_THROWS_WITH_AS(u.T(), "T(): the tensor is undefined", nb::error);
    CHECK_FALSE(u.defined());
    u = nb::arange<float>(3);
    CHECK(u.defined());
    CHECK(str(u) == "tensor([0., 1., 2.])");
}

TEST_CASE("an undefined operand throws instead of crashing") {
    nb::tensor<float> u;
    auto a = nb::arange<float>(3);
    CHECK_THROWS_AS(a.copy_(u), nb::error);
    CHECK_THROWS_AS(nb::tensor<float>(u * 2), nb::error);
    CHECK(str(a) == "tensor([0., 1., 2.])");
}

TEST_CASE("the five element types through construction, copy and printing") {
    SUBCASE("float") {
        nb::tensor<float> a{1.5f, -2.0f};
        nb::tensor<float> b = a;
        CHECK(b.data() == a.data());
        CHECK(str(b) == "tensor([ 1.5000, -2.0000])");
        CHECK(str(a.clone()) == "tensor([ 1.5000, -2.0000])");
    }
    SUBCASE("double") {
        nb::tensor<double> a{0.1, 2.0};
        nb::tensor<double> b = a;
        CHECK(b.data() == a.data());
        CHECK(values(b) == std::vector<double>{0.1, 2.0});
        CHECK(str(b) == "tensor([0.1000, 2.0000], dtype=float64)");
        CHECK(str(a.clone()) == "tensor([0.1000, 2.0000], dtype=float64)");
    }
    SUBCASE("int32") {
        nb::tensor<std::int32_t> a{{1, -2}, {30, 4}};
        nb::tensor<std::int32_t> b = a;
        CHECK(b.data() == a.data());
        CHECK(values(b) == std::vector<std::int32_t>{1, -2, 30, 4});
        CHECK(str(b) == "tensor([[ 1, -2],\n        [30,  4]], dtype=int32)");
        CHECK(str(a.clone()) == "tensor([[ 1, -2],\n        [30,  4]], dtype=int32)");
    }
    SUBCASE("int64 keeps values beyond 32 bits") {
        nb::tensor<std::int64_t> a{std::int64_t{1} << 40, std::int64_t{-1}};
        nb::tensor<std::int64_t> b = a;
        CHECK(b.data() == a.data());
        CHECK(b[0].item() == (std::int64_t{1} << 40));
        CHECK(str(b) == "tensor([1099511627776,            -1])");
        CHECK(str(a.clone()) == "tensor([1099511627776,            -1])");
    }
    SUBCASE("bool") {
        nb::tensor<bool> a{{true, false}, {false, true}};
        nb::tensor<bool> b = a;
        CHECK(b.data() == a.data());
        CHECK(values(b) == std::vector<bool>{true, false, false, true});
        CHECK(str(b) == "tensor([[ True, False],\n        [False,  True]])");
        CHECK(str(a.clone()) == "tensor([[ True, False],\n        [False,  True]])");
    }
}

TEST_CASE("converting copies: the explicit constructor and to<U>()") {
    static_assert(!std::is_convertible_v<nb::tensor<float>, nb::tensor<double>>, "a conversion must be explicit");
    static_assert(std::is_constructible_v<nb::tensor<double>, nb::tensor<float>>);

    nb::tensor<float> f{{1.5f, -2.25f}, {3.0f, 1e-3f}};
    nb::tensor<double> d(f);
    CHECK(d.shape() == nb::shape{2, 2});
    CHECK(values(d) == std::vector<double>{1.5, -2.25, 3.0, static_cast<double>(1e-3f)});
    CHECK(static_cast<const void*>(d.data()) != static_cast<const void*>(f.data()));

    // Floating to integer truncates toward zero, as PyTorch.
    CHECK(str(f.to<std::int64_t>()) == "tensor([[ 1, -2],\n        [ 3,  0]])");
    CHECK(str(nb::tensor<float>{2.5f, -0.5f}.to<std::int32_t>()) == "tensor([2, 0], dtype=int32)");
    // Nonzero is true.
    CHECK(str(nb::tensor({1, 0, -3}).to<bool>()) == "tensor([ True, False,  True])");
    CHECK(str(nb::tensor({1, 0, -3}).to<double>()) == "tensor([ 1.,  0., -3.], dtype=float64)");
    CHECK(str(nb::tensor({true, false}).to<double>()) == "tensor([1., 0.], dtype=float64)");
    CHECK(str(nb::tensor({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}}).to<double>()) ==
          "tensor([[[1., 2.],\n         [3., 4.]],\n\n        [[5., 6.],\n         [7., 8.]]], dtype=float64)");

    // to<T>() of the same type is still a copy, and a conversion of a strided view walks the view.
    auto same = f.to<float>();
    CHECK(same.data() != f.data());
    same.fill_(0.0f);
    CHECK(values(f) == std::vector<float>{1.5f, -2.25f, 3.0f, 1e-3f});
    CHECK(str(f.T().to<double>()) == "tensor([[ 1.5000e+00,  3.0000e+00],\n        [-2.2500e+00,  1.0000e-03]], dtype=float64)");
    CHECK(str(f) == "tensor([[ 1.5000e+00, -2.2500e+00],\n        [ 3.0000e+00,  1.0000e-03]])");
}

TEST_CASE("a tensor from an expression: implicit for the same element type, explicit otherwise") {
    auto x = nb::arange<float>(3);
    using E = decltype(x * 2);
    static_assert(std::is_convertible_v<E, nb::tensor<float>>);
    static_assert(!std::is_convertible_v<E, nb::tensor<double>>);
    static_assert(std::is_constructible_v<nb::tensor<double>, E>);
    nb::tensor<float> y = x * 2;
    CHECK(str(y) == "tensor([0., 2., 4.])");
    nb::tensor<double> z(x * 2 + 0.5);
    CHECK(str(z) == "tensor([0.5000, 2.5000, 4.5000], dtype=float64)");
    CHECK(str(x) == "tensor([0., 1., 2.])");
}

// Expression nodes hold their tensor operands by value: a handle must stay this small (a pointer
// to the shared layout, and one to the autograd slot), not carry its shape and strides along.
static_assert(sizeof(nb::tensor<float>) == 2 * sizeof(void*));

TEST_CASE("copying a handle shares the data; clone() does not") {
    auto a = nb::arange<float>(4);
    nb::tensor<float> b = a;
    CHECK(b.data() == a.data());
    CHECK(a.use_count() == 2);            // two handles on one layout
    CHECK(a.storage().use_count() == 1);  // ... which holds the storage once
    {
        const nb::tensor<float> v = a[1];  // a view: its own layout on the same storage
        CHECK(a.storage().use_count() == 2);
        CHECK(v.use_count() == 1);
    }
    CHECK(a.storage().use_count() == 1);
    CHECK(nb::tensor<float>().use_count() == 0);
    b[1] = 10.0f;
    CHECK(str(a) == "tensor([ 0., 10.,  2.,  3.])");

    auto c = a.clone();
    CHECK(c.data() != a.data());
    CHECK(c.is_contiguous());
    c[0] = -1.0f;
    CHECK(str(a) == "tensor([ 0., 10.,  2.,  3.])");
    CHECK(str(c) == "tensor([-1., 10.,  2.,  3.])");
}

TEST_CASE("t = expr rebinds the handle; other handles keep the old data") {
    nb::tensor<float> t = nb::arange<float>(4);
    nb::tensor<float> old = t;
    float* const p = t.data();

    t = t * 2;
    CHECK(t.data() != p);
    CHECK(str(t) == "tensor([0., 2., 4., 6.])");
    CHECK(str(old) == "tensor([0., 1., 2., 3.])");

    // Rebinding to a tensor of another shape is fine: the handle simply points elsewhere.
    t = nb::zeros<float>({2, 2});
    CHECK(t.shape() == nb::shape{2, 2});
    CHECK(old.shape() == nb::shape{4});

    // Copy assignment rebinds to the same data.
    t = old;
    CHECK(t.data() == p);
    t[0] = 5.0f;
    CHECK(str(old) == "tensor([5., 1., 2., 3.])");

    // Assigning an expression of another element type converts (implicitly, as a new tensor).
    nb::tensor<double> d = nb::zeros<double>({1});
    d = nb::tensor<double>(old * 1);
    CHECK(str(d) == "tensor([5., 1., 2., 3.], dtype=float64)");
}

TEST_CASE("copy_, fill_, zero_ and compound assignment write into the existing storage") {
    auto a = nb::arange<float>(4);
    nb::tensor<float> h = a;
    float* const p = a.data();

    a.copy_(a * 10);
    CHECK(a.data() == p);
    CHECK(str(h) == "tensor([ 0., 10., 20., 30.])");

    a.fill_(2.5);
    CHECK(str(h) == "tensor([2.5000, 2.5000, 2.5000, 2.5000])");
    a += 1;
    CHECK(a.data() == p);
    CHECK(str(h) == "tensor([3.5000, 3.5000, 3.5000, 3.5000])");
    a *= nb::tensor<float>{1.f, 2.f, 3.f, 4.f};
    a -= 0.5f;
    a /= 2;
    CHECK(str(h) == "tensor([1.5000, 3.2500, 5.0000, 6.7500])");
    a.zero_();
    CHECK(a.data() == p);
    CHECK(str(h) == "tensor([0., 0., 0., 0.])");

    // The methods return the tensor itself, so they chain.
    CHECK(&a.fill_(1) == &a);
    CHECK(str(a.zero_().fill_(7)) == "tensor([7., 7., 7., 7.])");

    // Integer and bool targets convert the value as C++ (and PyTorch) do.
    auto i = nb::zeros<std::int64_t>({2, 3});
    i.fill_(2.7);
    CHECK(str(i) == "tensor([[2, 2, 2],\n        [2, 2, 2]])");
    auto b = nb::zeros<bool>({3});
    b.fill_(1);
    CHECK(str(b) == "tensor([True, True, True])");
    b.zero_();
    CHECK(str(b) == "tensor([False, False, False])");
}

TEST_CASE("copy_ broadcasts and converts the source") {
    auto m = nb::zeros<float>({2, 3});
    m.copy_(nb::tensor({1.f, 2.f, 3.f}));
    CHECK(str(m) == "tensor([[1., 2., 3.],\n        [1., 2., 3.]])");
    m.copy_(nb::tensor<float>{{10.f}, {20.f}});
    CHECK(str(m) == "tensor([[10., 10., 10.],\n        [20., 20., 20.]])");
    m.copy_(nb::tensor<float>(-1.f));
    CHECK(str(m) == "tensor([[-1., -1., -1.],\n        [-1., -1., -1.]])");
    m.copy_(nb::tensor<std::int64_t>{{1, 2, 3}, {4, 5, 6}});
    CHECK(str(m) == "tensor([[1., 2., 3.],\n        [4., 5., 6.]])");
    m.copy_(nb::tensor({true, false, true}));
    CHECK(str(m) == "tensor([[1., 0., 1.],\n        [1., 0., 1.]])");
    auto i = nb::zeros<std::int32_t>({3});
    i.copy_(nb::tensor({1.9f, -1.9f, 0.5f}));
    CHECK(str(i) == "tensor([ 1, -1,  0], dtype=int32)");
    // One element broadcast to every position (a fill in the kernel), converted, into a contiguous
    // target and through a transposed view.
    m.copy_(nb::tensor<std::int64_t>{{7}});
    CHECK(str(m) == "tensor([[7., 7., 7.],\n        [7., 7., 7.]])");
    auto j = nb::zeros<std::int32_t>({3, 2});
    j.T().copy_(nb::tensor<double>(2.7));
    CHECK(str(j) == "tensor([[2, 2],\n        [2, 2],\n        [2, 2]], dtype=int32)");
    j.copy_(nb::tensor<bool>(true));
    CHECK(str(j) == "tensor([[1, 1],\n        [1, 1],\n        [1, 1]], dtype=int32)");
    j.copy_(nb::tensor<double>(-0.5));
    CHECK(str(j) == "tensor([[0, 0],\n        [0, 0],\n        [0, 0]], dtype=int32)");
}

TEST_CASE("copy_ is correct when the source reads the target through another view") {
    auto s = nb::arange<float>(9).reshape({3, 3});
    s.copy_(s.T() * 2);
    CHECK(str(s) == "tensor([[ 0.,  6., 12.],\n        [ 2.,  8., 14.],\n        [ 4., 10., 16.]])");

    // An overlapping shift behaves as if the source had been read first.
    auto x = nb::arange<float>(5);
    x.slice(0, 1, 5).copy_(x.slice(0, 0, 4));
    CHECK(str(x) == "tensor([0., 0., 1., 2., 3.])");
    auto y = nb::arange<float>(5);
    y.slice(0, 0, 4).copy_(y.slice(0, 1, 5) + 0);
    CHECK(str(y) == "tensor([1., 2., 3., 4., 4.])");

    // Same-position reads in place.
    auto z = nb::arange<std::int64_t>(1, 5, 1);
    z.copy_(z * z + z);
    CHECK(str(z) == "tensor([ 2,  6, 12, 20])");
}

TEST_CASE("a failed write throws shape_error and leaves the target unchanged") {
    auto a = nb::arange<float>(3);
    float* const p = a.data();
    CHECK_THROWS_AS(a.copy_(nb::ones<float>({4})), nb::shape_error);
    CHECK_THROWS_AS(a.copy_(nb::ones<float>({2, 3})), nb::shape_error);
    CHECK_THROWS_AS(a += nb::ones<float>({4}), nb::shape_error);
    CHECK_THROWS_WITH_AS(a += nb::ones<float>({4}),
                         "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0",
                         nb::shape_error);
    CHECK_THROWS_AS(a *= nb::ones<float>({2, 1}), nb::shape_error);  // broadcasts, but would grow the target
    CHECK(a.data() == p);
    CHECK(a.shape() == nb::shape{3});
    CHECK(str(a) == "tensor([0., 1., 2.])");

    auto m = nb::zeros<float>({2, 3});
    CHECK_THROWS_AS(m.copy_(nb::ones<float>({2, 2})), nb::shape_error);
    CHECK_THROWS_AS(m.copy_(nb::ones<float>({3, 1})), nb::shape_error);
    CHECK(str(m) == "tensor([[0., 0., 0.],\n        [0., 0., 0.]])");
}

TEST_CASE("a failed copy_ reports PyTorch's copy_ message") {
    // torch.zeros(3).copy_(torch.ones(4)) and friends.
    auto a = nb::arange<float>(3);
    CHECK_THROWS_WITH_AS(a.copy_(nb::ones<float>({4})),
                         "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0",
                         nb::shape_error);
    auto m = nb::zeros<float>({2, 3});
    CHECK_THROWS_WITH_AS(m.copy_(nb::ones<float>({2, 2})),
                         "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1",
                         nb::shape_error);
    CHECK_THROWS_WITH_AS(a.copy_(nb::ones<float>({2, 3})), "output with shape [3] doesn't match the broadcast shape [2, 3]",
                         nb::shape_error);
    CHECK(str(a) == "tensor([0., 1., 2.])");
    CHECK(str(m) == "tensor([[0., 0., 0.],\n        [0., 0., 0.]])");
}

TEST_CASE("copy_ and fill_ reach every element at SIMD edge sizes, contiguous and strided") {
    const std::int64_t w = nb::simd::width<float>;
    for (std::int64_t n : {std::int64_t{0}, std::int64_t{1}, w - 1, w, w + 1, 2 * w + 1, 3 * w + 1}) {
        CAPTURE(n);
        auto src = nb::arange<float>(n);
        auto dst = nb::full<float>({n}, -1.0f);
        dst.copy_(src);
        CHECK(nb::equal(dst, src));
        auto wide = nb::full<float>({2 * n}, -1.0f);
        auto every_other = wide.slice(0, 0, 2 * n, 2);
        every_other.copy_(src);
        const float* q = wide.data();
        bool ok = true;
        for (std::int64_t i = 0; i < 2 * n; ++i) ok = ok && q[i] == (i % 2 ? -1.0f : static_cast<float>(i / 2));
        CHECK(ok);
        every_other.fill_(3.0f);
        ok = true;
        for (std::int64_t i = 0; i < 2 * n; ++i) ok = ok && q[i] == (i % 2 ? -1.0f : 3.0f);
        CHECK(ok);
        auto d = nb::zeros<double>({n});
        d.copy_(src);
        CHECK(nb::equal(d, nb::arange<double>(n)));
    }
}

TEST_CASE("item() and the 0-d conversion to bool") {
    CHECK(nb::tensor<float>(2.5f).item() == 2.5f);
    CHECK(nb::tensor({7}).item() == 7);
    static_assert(std::is_same_v<decltype(nb::tensor({7}).item()), std::int64_t>);
    CHECK(nb::tensor<double>{{4.25}}.item() == 4.25);
    CHECK(nb::arange(4)[3].item() == 3);
    CHECK(nb::tensor({true}).item());

    auto four = nb::zeros<float>({4});
    CHECK_THROWS_WITH_AS(four.item(), "a Tensor with 4 elements cannot be converted to Scalar", nb::error);
    CHECK_THROWS_WITH_AS(nb::zeros<float>({0}).item(), "a Tensor with 0 elements cannot be converted to Scalar", nb::error);

    CHECK(static_cast<bool>(nb::tensor<float>(0.5f)));
    CHECK_FALSE(static_cast<bool>(nb::tensor<std::int64_t>(0)));
    CHECK(static_cast<bool>(nb::tensor({3}) > 2));
    CHECK_THROWS_WITH_AS(static_cast<bool>(four), "Boolean value of Tensor with more than one value is ambiguous", nb::error);
    CHECK(str(four) == "tensor([0., 0., 0., 0.])");
}
