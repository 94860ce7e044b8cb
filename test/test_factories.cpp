// Factories: arange, empty/zeros/ones/full and their *_like forms, the random factories under
// manual_seed, from_blob, and the requires_grad tag; every factory's bad input with PyTorch's message.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
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

struct moments {
    double mean = 0, stddev = 0, lo = 0, hi = 0;
};

// Mean, (population) standard deviation, minimum and maximum of t's elements.
template <class T>
moments stats(const nb::tensor<T>& t) {
    const T* p = t.data();
    const std::int64_t n = t.numel();
    moments m;
    m.lo = m.hi = static_cast<double>(p[0]);
    double s = 0, s2 = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const double v = static_cast<double>(p[i]);
        s += v;
        s2 += v * v;
        m.lo = std::min(m.lo, v);
        m.hi = std::max(m.hi, v);
    }
    m.mean = s / static_cast<double>(n);
    m.stddev = std::sqrt(s2 / static_cast<double>(n) - m.mean * m.mean);
    return m;
}

constexpr std::int64_t draws = 100000;

}  // namespace

TEST_CASE("arange(end): integers give int64, floating values give float") {
    auto i = nb::arange(4);
    static_assert(std::is_same_v<decltype(i), nb::tensor<std::int64_t>>);
    CHECK(str(i) == "tensor([0, 1, 2, 3])");
    const std::int64_t n = 5;
    CHECK(str(nb::arange(n)) == "tensor([0, 1, 2, 3, 4])");

    auto f = nb::arange(4.0);
    static_assert(std::is_same_v<decltype(f), nb::tensor<float>>);
    CHECK(str(f) == "tensor([0., 1., 2., 3.])");
    static_assert(std::is_same_v<decltype(nb::arange(2.5f)), nb::tensor<float>>);
    CHECK(str(nb::arange(2.5f)) == "tensor([0., 1., 2.])");

    const char* twenty =
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n"
        "        14., 15., 16., 17., 18., 19.])";
    auto typed = nb::arange<float>(20);
    static_assert(std::is_same_v<decltype(typed), nb::tensor<float>>);
    CHECK(str(typed) == twenty);
    auto tagged = nb::arange(20, nb::float32);
    static_assert(std::is_same_v<decltype(tagged), nb::tensor<float>>);
    CHECK(str(tagged) == twenty);
    CHECK(typed.shape() == nb::shape{20});
    CHECK(typed.is_contiguous());

    CHECK(str(nb::arange(3, nb::float64)) == "tensor([0., 1., 2.], dtype=float64)");
    CHECK(str(nb::arange(3, nb::int32)) == "tensor([0, 1, 2], dtype=int32)");
    CHECK(str(nb::arange(3, nb::int64)) == "tensor([0, 1, 2])");
    CHECK(str(nb::arange<std::int32_t>(std::int64_t{3})) == "tensor([0, 1, 2], dtype=int32)");
    CHECK(str(nb::arange<double>(2.5f)) == "tensor([0., 1., 2.], dtype=float64)");
}

namespace {
// arange<T>(end) where end already has the C++ type T.
template <class T, class A>
void check_typed_arange(A end, const std::string& printed) {
    if constexpr (requires { nb::arange<T>(end); }) {
        auto t = nb::arange<T>(end);
        static_assert(std::is_same_v<decltype(t), nb::tensor<T>>);
        CHECK(str(t) == printed);
    } else {
        FAIL_CHECK("nb::arange<T>(end) with an end of type T does not compile (ambiguous overloads)");
    }
}
}  // namespace

TEST_CASE("arange<T>(end) compiles when end is already a T") {
    // arange<T, A>(A) and arange<A>(A) both match exactly, so the call is ambiguous.
    check_typed_arange<std::int32_t>(std::int32_t{3}, "tensor([0, 1, 2], dtype=int32)");
    check_typed_arange<std::int64_t>(std::int64_t{3}, "tensor([0, 1, 2])");
    check_typed_arange<float>(2.5f, "tensor([0., 1., 2.])");
    check_typed_arange<double>(2.5, "tensor([0., 1., 2.], dtype=float64)");
}

TEST_CASE("arange(start, end) and arange<T>(start, end, step)") {
    auto i = nb::arange(1, 4);
    static_assert(std::is_same_v<decltype(i), nb::tensor<std::int64_t>>);
    CHECK(str(i) == "tensor([1, 2, 3])");
    auto f = nb::arange(0, 2.5);
    static_assert(std::is_same_v<decltype(f), nb::tensor<float>>);
    CHECK(str(f) == "tensor([0., 1., 2.])");
    CHECK(str(nb::arange(0.5, 3)) == "tensor([0.5000, 1.5000, 2.5000])");
    CHECK(str(nb::arange(-3, -1)) == "tensor([-3, -2])");

    CHECK(str(nb::arange<std::int64_t>(0, 10, 3)) == "tensor([0, 3, 6, 9])");
    CHECK(str(nb::arange<std::int64_t>(10, 0, -3)) == "tensor([10,  7,  4,  1])");
    CHECK(str(nb::arange<float>(1.0, 2.0, 0.3)) == "tensor([1.0000, 1.3000, 1.6000, 1.9000])");
    CHECK(str(nb::arange<float>(-1.5, 1.5, 0.5)) == "tensor([-1.5000, -1.0000, -0.5000,  0.0000,  0.5000,  1.0000])");
    CHECK(str(nb::arange<float>(0, 1, 0.1)) ==
          "tensor([0.0000, 0.1000, 0.2000, 0.3000, 0.4000, 0.5000, 0.6000, 0.7000, 0.8000,\n        0.9000])");
    CHECK(str(nb::arange<double>(0, 3, 1)) == "tensor([0., 1., 2.], dtype=float64)");
    CHECK(str(nb::arange<std::int32_t>(5, 0, -2)) == "tensor([5, 3, 1], dtype=int32)");

    // An empty range: no elements, and an empty tensor shows its non-default dtype (as PyTorch).
    auto e = nb::arange(1, 1);
    CHECK(e.shape() == nb::shape{0});
    CHECK(str(e) == "tensor([], dtype=int64)");
    CHECK(str(nb::arange(0.0)) == "tensor([])");
    CHECK(str(nb::arange<float>(3, 3, -1)) == "tensor([])");
}

namespace {
template <class Expected, class A, class B, class C>
void check_arange3(A a, B b, C c, const std::string& printed) {
    if constexpr (requires { nb::arange(a, b, c); }) {
        auto t = nb::arange(a, b, c);
        static_assert(std::is_same_v<decltype(t), nb::tensor<Expected>>);
        CHECK(str(t) == printed);
    } else {
        FAIL_CHECK("nb::arange(start, end, step) without an explicit element type does not compile");
    }
}
}  // namespace

TEST_CASE("arange(start, end, step) deduces its element type like arange(start, end)") {
    // torch.arange(0, 10, 3) is int64; torch.arange(1.0, 2.0, 0.3) is float32.
    check_arange3<std::int64_t>(0, 10, 3, "tensor([0, 3, 6, 9])");
    check_arange3<std::int64_t>(10, 0, -3, "tensor([10,  7,  4,  1])");
    check_arange3<float>(1.0, 2.0, 0.3, "tensor([1.0000, 1.3000, 1.6000, 1.9000])");
    check_arange3<float>(0, 3, 0.5, "tensor([0.0000, 0.5000, 1.0000, 1.5000, 2.0000, 2.5000])");
}

TEST_CASE("arange rejects a zero step, a step of the wrong sign and infinite bounds") {
    CHECK_THROWS_WITH_AS(nb::arange<std::int64_t>(0, 10, 0), "step must be nonzero", nb::error);
    CHECK_THROWS_WITH_AS(nb::arange(-5), "upper bound and larger bound inconsistent with step sign", nb::error);
    CHECK_THROWS_WITH_AS(nb::arange(5, 1), "upper bound and larger bound inconsistent with step sign", nb::error);
    CHECK_THROWS_WITH_AS(nb::arange<float>(1.0, 5.0, -1), "upper bound and larger bound inconsistent with step sign", nb::error);
    CHECK_THROWS_AS(nb::arange<float>(0.0, std::numeric_limits<double>::infinity(), 1), nb::error);
    CHECK_THROWS_AS(nb::arange(std::numeric_limits<double>::quiet_NaN()), nb::error);
}

TEST_CASE("arange's message for a non-finite bound prints the bounds as PyTorch does") {
    const double inf = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH_AS(nb::arange<float>(0, inf, 1), "unsupported range: 0 -> inf", nb::error);
    CHECK_THROWS_WITH_AS(nb::arange<float>(0.5, inf, 1), "unsupported range: 0.5 -> inf", nb::error);
    CHECK_THROWS_WITH_AS(nb::arange<float>(-inf, 2, 1), "unsupported range: -inf -> 2", nb::error);
    CHECK_THROWS_WITH_AS(nb::arange<float>(0, std::numeric_limits<double>::quiet_NaN(), 1), "unsupported range: 0 -> nan",
                         nb::error);
}

TEST_CASE("zeros, ones, full and empty for every element type") {
    CHECK(str(nb::ones<float>({4})) == "tensor([1., 1., 1., 1.])");
    auto m = nb::ones<float>({4, 9});
    CHECK(m.shape() == nb::shape{4, 9});
    CHECK(m.is_contiguous());
    const std::string row = "[1., 1., 1., 1., 1., 1., 1., 1., 1.]";
    CHECK(str(m) == "tensor([" + row + ",\n        " + row + ",\n        " + row + ",\n        " + row + "])");

    CHECK(str(nb::zeros<float>({2, 2})) == "tensor([[0., 0.],\n        [0., 0.]])");
    CHECK(str(nb::zeros<double>({})) == "tensor(0., dtype=float64)");
    CHECK(str(nb::zeros<std::int32_t>({2})) == "tensor([0, 0], dtype=int32)");
    CHECK(str(nb::ones<std::int64_t>({3})) == "tensor([1, 1, 1])");
    CHECK(str(nb::ones<bool>({3})) == "tensor([True, True, True])");
    CHECK(str(nb::zeros<bool>({2})) == "tensor([False, False])");
    CHECK(str(nb::full<float>({2, 2}, 7.f)) == "tensor([[7., 7.],\n        [7., 7.]])");
    CHECK(str(nb::full<std::int64_t>({2, 3}, 7)) == "tensor([[7, 7, 7],\n        [7, 7, 7]])");
    CHECK(str(nb::full<double>({2}, -0.25)) == "tensor([-0.2500, -0.2500], dtype=float64)");
    CHECK(str(nb::full<bool>({1}, true)) == "tensor([True])");

    auto e = nb::empty<float>({2, 3});
    CHECK(e.defined());
    CHECK(e.shape() == nb::shape{2, 3});
    CHECK(e.strides() == nb::strides{3, 1});
    CHECK(e.numel() == 6);
    CHECK(str(nb::empty<float>({0})) == "tensor([])");
    CHECK(str(nb::zeros<float>({2, 0})) == "tensor([], size=(2, 0))");
    CHECK(str(nb::ones<float>({1, 2, 0})) == "tensor([], size=(1, 2, 0))");

    // Each call allocates its own storage.
    auto a = nb::zeros<float>({3}), b = nb::zeros<float>({3});
    CHECK(a.data() != b.data());
    a.fill_(1.f);
    CHECK(str(b) == "tensor([0., 0., 0.])");
}

TEST_CASE("factories reject negative sizes with PyTorch's message") {
    CHECK_THROWS_WITH_AS(nb::zeros<float>({-1, 2}), "Trying to create tensor with negative dimension -1: [-1, 2]", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::ones<float>({2, -3}), "Trying to create tensor with negative dimension -3: [2, -3]", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::empty<double>({-1}), "Trying to create tensor with negative dimension -1: [-1]", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::full<float>({2, -1}, 3.f), "Trying to create tensor with negative dimension -1: [2, -1]",
                         nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::randn<float>({-1}), "Trying to create tensor with negative dimension -1: [-1]", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::rand<float>({2, -1}), "Trying to create tensor with negative dimension -1: [2, -1]", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::randint(0, 3, {-1}), "Trying to create tensor with negative dimension -1: [-1]", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::normal<float>(0., 1., {-2}), "Trying to create tensor with negative dimension -2: [-2]",
                         nb::shape_error);
}

TEST_CASE("*_like factories take the shape and element type of a tensor or an expression") {
    auto i = nb::tensor<std::int32_t>{{1, 2, 3}, {4, 5, 6}};
    auto z = nb::zeros_like(i);
    static_assert(std::is_same_v<decltype(z), nb::tensor<std::int32_t>>);
    CHECK(str(z) == "tensor([[0, 0, 0],\n        [0, 0, 0]], dtype=int32)");
    CHECK(z.data() != i.data());
    CHECK(str(nb::ones_like(i.T())) == "tensor([[1, 1],\n        [1, 1],\n        [1, 1]], dtype=int32)");
    CHECK(str(nb::full_like(i, 2.5)) == "tensor([[2, 2, 2],\n        [2, 2, 2]], dtype=int32)");
    auto e = nb::empty_like(i);
    CHECK(e.shape() == nb::shape{2, 3});
    CHECK(e.data() != i.data());

    // arange(3) / 2 is a float expression.
    auto o = nb::ones_like(nb::arange(3) / 2);
    static_assert(std::is_same_v<decltype(o), nb::tensor<float>>);
    CHECK(str(o) == "tensor([1., 1., 1.])");
    CHECK(str(nb::full_like(nb::tensor<double>(1.0), 4)) == "tensor(4., dtype=float64)");
    CHECK(str(i) == "tensor([[1, 2, 3],\n        [4, 5, 6]], dtype=int32)");
}

TEST_CASE("the requires_grad tag marks the result") {
    CHECK_FALSE(nb::zeros<float>({2}).requires_grad());
    auto z = nb::zeros<float>({2}, nb::requires_grad);
    CHECK(z.requires_grad());
    CHECK(str(z) == "tensor([0., 0.], requires_grad=True)");
    CHECK(nb::ones<double>({1}, nb::requires_grad).requires_grad());
    CHECK(nb::empty<float>({1}, nb::requires_grad).requires_grad());
    auto f = nb::full<float>({2}, 2.5f, nb::requires_grad);
    CHECK(str(f) == "tensor([2.5000, 2.5000], requires_grad=True)");
    auto a = nb::arange(4.0, nb::requires_grad);
    CHECK(a.requires_grad());
    CHECK(str(a) == "tensor([0., 1., 2., 3.], requires_grad=True)");
    auto d = nb::arange(3, nb::float64, nb::requires_grad);
    CHECK(str(d) == "tensor([0., 1., 2.], dtype=float64, requires_grad=True)");
    auto r = nb::randn<float>({}, nb::requires_grad);
    CHECK(r.requires_grad());
    CHECK(r.dim() == 0);
    CHECK(nb::rand<double>({3}, nb::requires_grad).requires_grad());
    // A handle copied from it shares the flag.
    nb::tensor<float> h = z;
    CHECK(h.requires_grad());
}

namespace {
template <class X> constexpr bool zeros_like_tag = requires(X x) { nb::zeros_like(x, nb::requires_grad); };
template <class X> constexpr bool ones_like_tag = requires(X x) { nb::ones_like(x, nb::requires_grad); };
template <class X> constexpr bool empty_like_tag = requires(X x) { nb::empty_like(x, nb::requires_grad); };
template <class X> constexpr bool full_like_tag = requires(X x) { nb::full_like(x, 1.0, nb::requires_grad); };
template <class T> constexpr bool normal_tag = requires { nb::normal<T>(0.0, 1.0, nb::shape{2}, nb::requires_grad); };
template <class T> constexpr bool typed_arange_tag = requires(int v) { nb::arange<T>(v, nb::requires_grad); };
template <class T> constexpr bool arange3_tag = requires(T v) { nb::arange<T>(v, v, v, nb::requires_grad); };
template <class T> constexpr bool arange2_tag = requires(T v) { nb::arange(v, v, nb::requires_grad); };
}  // namespace

TEST_CASE("every floating factory takes the trailing requires_grad tag") {
    // API.md: "every factory returns nb::tensor<T> and takes an optional trailing nb::requires_grad"
    // (torch.zeros_like(x, requires_grad=True), torch.normal(0., 1., (2,), requires_grad=True), ...).
    CHECK(zeros_like_tag<nb::tensor<float>>);
    CHECK(ones_like_tag<nb::tensor<float>>);
    CHECK(empty_like_tag<nb::tensor<float>>);
    CHECK(full_like_tag<nb::tensor<float>>);
    CHECK(normal_tag<float>);
    CHECK(typed_arange_tag<float>);  // nb::arange<float>(20, nb::requires_grad)
    CHECK(arange3_tag<float>);       // nb::arange<float>(0, 1, 0.25, nb::requires_grad)
    CHECK(arange2_tag<double>);      // nb::arange(1.0, 4.0, nb::requires_grad)
}

TEST_CASE("manual_seed makes every random factory repeat its values") {
    nb::manual_seed(42);
    auto n1 = nb::randn<float>({1000});
    auto u1 = nb::rand<double>({7, 3});
    auto i1 = nb::randint(0, 100, {50});
    auto g1 = nb::normal<float>(1.0, 2.0, {20});
    nb::manual_seed(42);
    auto n2 = nb::randn<float>({1000});
    auto u2 = nb::rand<double>({7, 3});
    auto i2 = nb::randint(0, 100, {50});
    auto g2 = nb::normal<float>(1.0, 2.0, {20});
    CHECK(nb::equal(n1, n2));
    CHECK(nb::equal(u1, u2));
    CHECK(nb::equal(i1, i2));
    CHECK(nb::equal(g1, g2));
    CHECK(n1.data() != n2.data());

    // The generator moves on: the next draw differs, and another seed gives other values.
    CHECK_FALSE(nb::equal(nb::randn<float>({1000}), n1));
    nb::manual_seed(43);
    CHECK_FALSE(nb::equal(nb::randn<float>({1000}), n1));
    nb::manual_seed(43);
    CHECK_FALSE(nb::equal(nb::rand<double>({7, 3}), u1));
    nb::manual_seed(43);
    CHECK_FALSE(nb::equal(nb::randint(0, 100, {50}), i1));
}

TEST_CASE("random factories: shapes and element types") {
    nb::manual_seed(1);
    static_assert(std::is_same_v<decltype(nb::randn({2})), nb::tensor<float>>);
    static_assert(std::is_same_v<decltype(nb::rand({2})), nb::tensor<float>>);
    static_assert(std::is_same_v<decltype(nb::randint(3, {2})), nb::tensor<std::int64_t>>);
    static_assert(std::is_same_v<decltype(nb::randint<std::int32_t>(3, {2})), nb::tensor<std::int32_t>>);
    static_assert(std::is_same_v<decltype(nb::normal(0.0, 1.0, {2})), nb::tensor<float>>);
    const std::int64_t n = 3;
    auto a = nb::randn<double>({n, 2});
    CHECK(a.shape() == nb::shape{3, 2});
    CHECK(a.is_contiguous());
    CHECK(nb::randn<float>({}).dim() == 0);
    CHECK(str(nb::randn<float>({0})) == "tensor([])");
    CHECK(nb::rand<float>({2, 0, 3}).numel() == 0);
    CHECK(str(nb::normal<float>(0.0, 0.0, {3})) == "tensor([0., 0., 0.])");
    CHECK(str(nb::normal<float>(1.5, 0.0, {2})) == "tensor([1.5000, 1.5000])");
    CHECK(str(nb::randint(4, 5, {3})) == "tensor([4, 4, 4])");
}

TEST_CASE("randn: 10^5 draws have mean 0 and standard deviation 1") {
    nb::manual_seed(2024);
    const auto m = stats(nb::randn<float>({draws}));
    CHECK(std::abs(m.mean) < 0.02);
    CHECK(std::abs(m.stddev - 1.0) < 0.02);
    CHECK(m.lo < -3.0);
    CHECK(m.hi > 3.0);
    const auto d = stats(nb::randn<double>({100, draws / 100}));
    CHECK(std::abs(d.mean) < 0.02);
    CHECK(std::abs(d.stddev - 1.0) < 0.02);
}

TEST_CASE("rand: 10^5 draws lie in [0, 1) and are uniform") {
    nb::manual_seed(7);
    const auto m = stats(nb::rand<float>({draws}));
    CHECK(m.lo >= 0.0);
    CHECK(m.hi < 1.0);
    CHECK(std::abs(m.mean - 0.5) < 0.01);
    CHECK(std::abs(m.stddev - std::sqrt(1.0 / 12.0)) < 0.01);
    const auto d = stats(nb::rand<double>({draws}));
    CHECK(d.lo >= 0.0);
    CHECK(d.hi < 1.0);
    CHECK(std::abs(d.mean - 0.5) < 0.01);
}

TEST_CASE("randint: draws stay within [low, high) and reach every value") {
    nb::manual_seed(11);
    auto t = nb::randint(-3, 4, {draws});
    const auto m = stats(t);
    CHECK(m.lo == -3.0);
    CHECK(m.hi == 3.0);
    CHECK(std::abs(m.mean) < 0.05);
    std::set<std::int64_t> seen(t.data(), t.data() + t.numel());
    CHECK(seen.size() == 7);

    auto h = nb::randint<std::int32_t>(10, {draws});
    const auto mh = stats(h);
    CHECK(mh.lo == 0.0);
    CHECK(mh.hi == 9.0);
    CHECK(std::abs(mh.mean - 4.5) < 0.05);
    CHECK(std::set<std::int32_t>(h.data(), h.data() + h.numel()).size() == 10);
}

TEST_CASE("normal: 10^5 draws have the requested mean and standard deviation") {
    nb::manual_seed(5);
    const auto m = stats(nb::normal<double>(2.0, 3.0, {draws}));
    CHECK(std::abs(m.mean - 2.0) < 0.05);
    CHECK(std::abs(m.stddev - 3.0) < 0.05);
}

TEST_CASE("random factories reject bad bounds") {
    CHECK_THROWS_WITH_AS(nb::randint(5, 5, {3}), "random_ expects 'from' to be less than 'to', but got from=5 >= to=5", nb::error);
    CHECK_THROWS_WITH_AS(nb::randint(5, 2, {3}), "random_ expects 'from' to be less than 'to', but got from=5 >= to=2", nb::error);
    CHECK_THROWS_WITH_AS(nb::randint(0, {3}), "random_ expects 'from' to be less than 'to', but got from=0 >= to=0", nb::error);
    CHECK_THROWS_WITH_AS(nb::normal<float>(0.0, std::numeric_limits<double>::quiet_NaN(), {2}),
                         "normal expects std >= 0.0, but found std nan", nb::error);
    CHECK_THROWS_AS(nb::normal<float>(0.0, -1.0, {3}), nb::error);
}

TEST_CASE("normal's message prints the negative std as PyTorch does") {
    CHECK_THROWS_WITH_AS(nb::normal<float>(0.0, -1.0, {3}), "normal expects std >= 0.0, but found std -1", nb::error);
    CHECK_THROWS_WITH_AS(nb::normal<float>(0.0, -2.5, {2}), "normal expects std >= 0.0, but found std -2.5", nb::error);
}

TEST_CASE("from_blob views the caller's memory without a copy") {
    float buf[6] = {0, 1, 2, 3, 4, 5};
    auto t = nb::from_blob(buf, {2, 3});
    static_assert(std::is_same_v<decltype(t), nb::tensor<float>>);
    CHECK(t.data() == buf);
    CHECK(t.shape() == nb::shape{2, 3});
    CHECK(t.is_contiguous());
    CHECK(str(t) == "tensor([[0., 1., 2.],\n        [3., 4., 5.]])");

    t[1][2] = 100.0f;  // through the tensor, seen in the array
    CHECK(buf[5] == 100.0f);
    buf[0] = -1.0f;  // through the array, seen in the tensor
    CHECK(t[0][0].item() == -1.0f);
    t.slice(1, 1, 3) = 9.0f;
    CHECK(buf[1] == 9.0f);
    CHECK(buf[4] == 9.0f);
    t *= 2;
    CHECK(buf[3] == 6.0f);
    CHECK(t.T().data() == buf);

    auto c = t.clone();
    CHECK(c.data() != buf);
    c.zero_();
    CHECK(buf[3] == 6.0f);

    std::int64_t ints[4] = {1, 2, 3, 4};
    auto i = nb::from_blob(ints, {4});
    static_assert(std::is_same_v<decltype(i), nb::tensor<std::int64_t>>);
    CHECK(str(i.reshape({2, 2})) == "tensor([[1, 2],\n        [3, 4]])");
    CHECK(i.reshape({2, 2}).data() == ints);

    // Explicit strides: a transposed view of the same memory.
    double d[6] = {0, 1, 2, 3, 4, 5};
    auto tt = nb::from_blob(d, {3, 2}, {1, 3});
    CHECK_FALSE(tt.is_contiguous());
    CHECK(str(tt) == "tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]], dtype=float64)");
    auto cc = tt.contiguous();
    CHECK(cc.is_contiguous());
    CHECK(cc.data() != d);
    CHECK(str(cc) == str(tt));
}

TEST_CASE("from_blob rejects a null pointer, negative sizes and mismatched strides") {
    CHECK_THROWS_WITH_AS(nb::from_blob(static_cast<float*>(nullptr), {2, 3}), "from_blob: null data pointer for a non-empty shape",
                         nb::error);
    CHECK(nb::from_blob(static_cast<float*>(nullptr), {0}).numel() == 0);
    float buf[4] = {};
    CHECK_THROWS_WITH_AS(nb::from_blob(buf, {-1, 2}), "Trying to create tensor with negative dimension -1: [-1, 2]", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::from_blob(buf, {2, 2}, {1}), "from_blob: strides [1] do not match shape [2, 2]", nb::shape_error);
    CHECK(buf[0] == 0.0f);
}
