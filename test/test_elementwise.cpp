// Element-wise engine: every op against std:: reference values, at SIMD edge sizes, through
// strided and broadcast operands, with PyTorch's type promotion, special values (NaN, +-0, +-inf),
// integer wrap-around, eager shape errors, expression lifetimes and evaluation triggers.
#include <doctest/doctest.h>
#include <nabla/nabla.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <sstream>
#include <type_traits>
#include <vector>

namespace nb = nabla;

namespace {

template <class T>
constexpr std::int64_t W = nb::simd::width<T>;

// Lengths that reach every branch of the row loop: tail only, one batch, two batches (the
// unrolled body), two + one, with and without a tail; 5W+3 is not a multiple of 2W.
template <class T>
std::vector<std::int64_t> edge_sizes() {
    const std::int64_t w = W<T>;
    return {0, 1, w - 1, w, w + 1, 2 * w, 2 * w + 1, 3 * w, 3 * w + 1, 5 * w + 3};
}

// The elements of any tensor in row-major logical order, read through its strides.
template <class T>
std::vector<T> vals(const nb::tensor<T>& t) {
    std::vector<T> out;
    const auto& s = t.shape();
    const auto& st = t.strides();
    std::vector<std::int64_t> idx(s.size(), 0);
    for (std::int64_t k = 0; k < s.numel(); ++k) {
        std::int64_t off = 0;
        for (int d = 0; d < s.size(); ++d) off += idx[d] * st[d];
        out.push_back(t.data()[off]);
        for (int d = s.size() - 1; d >= 0; --d) {
            if (++idx[d] < s[d]) break;
            idx[d] = 0;
        }
    }
    return out;
}

// A contiguous tensor whose flat element i is f(i).
template <class T, class F>
nb::tensor<T> make(const nb::shape& s, F f) {
    auto t = nb::empty<T>(s);
    for (std::int64_t i = 0; i < s.numel(); ++i) t.data()[i] = static_cast<T>(f(i));
    return t;
}

// Evaluates through the element-wise kernel alone. The public paths (assignment, copy_, +=, printing,
// eval()) run the same kernel and are tested below on fewer expression types: for floating results
// each of them also instantiates autograd recording, which would multiply this file's compile time.
template <class E>
nb::tensor<nb::value_t<E>> ev(const E& e) {
    nb::tensor<nb::value_t<E>> out(e.shape());
    nb::eval::assign(out.target(), e);
    return out;
}

// Equal, including the sign of zero; NaN matches NaN.
template <class A, class B>
bool same(A a, B b) {
    if constexpr (std::is_floating_point_v<A> || std::is_floating_point_v<B>) {
        if (std::isnan(double(a)) || std::isnan(double(b))) return std::isnan(double(a)) && std::isnan(double(b));
        return double(a) == double(b) && std::signbit(double(a)) == std::signbit(double(b));
    } else {
        return a == b;
    }
}
// Within rtol (relative) of the reference; NaN and infinities must match exactly.
// `floor` bounds the scale from below, for results that cancel to near zero.
inline bool close(double got, double ref, double rtol, double floor = 0) {
    if (std::isnan(ref) || std::isinf(ref)) return same(got, ref);
    return std::fabs(got - ref) <= rtol * std::max(std::fabs(ref), floor) + 1e-300;
}

// The reference values ref(0..n), in long double (exact for every int64 and float value). Only this
// small loop is instantiated per reference lambda; the comparison below, per element type.
template <class Ref>
std::vector<long double> table(std::int64_t n, Ref ref) {
    std::vector<long double> v;
    for (std::int64_t i = 0; i < n; ++i) v.push_back(static_cast<long double>(ref(i)));
    return v;
}
// Compares every element of `got` with `want`: exactly, the sign of zero included (rtol < 0), or
// within rtol; one assertion, the first few mismatches reported.
template <class T>
void compare(const nb::tensor<T>& got, const std::vector<long double>& want, double rtol, double floor, const char* what) {
    REQUIRE(got.numel() == std::int64_t(want.size()));
    const auto g = vals(got);
    int bad = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const bool ok = rtol < 0 ? (std::isnan(want[i]) ? std::isnan(double(g[i])) : (long double)g[i] == want[i] && std::signbit(double(g[i])) == std::signbit(want[i]))
                                 : close(double(g[i]), double(want[i]), rtol, floor);
        if (!ok && bad++ < 4) MESSAGE(std::string(what) << " [" << i << "] got " << +g[i] << " want " << double(want[i]));
    }
    CHECK_MESSAGE(bad == 0, std::string(what) << ": " << bad << " mismatches of " << want.size());
}
template <class T, class Ref>
void check_exact(const nb::tensor<T>& got, std::int64_t n, Ref ref, const char* what) {
    compare(got, table(n, ref), -1, 0, what);
}
template <class T, class Ref>
void check_close(const nb::tensor<T>& got, std::int64_t n, Ref ref, double ulps, const char* what, double floor = 0) {
    compare(got, table(n, ref), ulps * std::numeric_limits<T>::epsilon(), floor, what);
}

// Small values whose sums and products are exact in every element type.
template <class T>
T val_a(std::int64_t i) {
    const int k = int((i * 7 + 3) % 23) - 11;
    if constexpr (std::is_floating_point_v<T>) return T(k) / T(4);
    else return T(k);
}
template <class T>
T val_b(std::int64_t i) {  // never zero
    const int k = int((i * 5 + 1) % 13) + 1;
    if constexpr (std::is_floating_point_v<T>) return T(i % 2 ? -k : k) / T(2);
    else return T(i % 2 ? -k : k);
}

}  // namespace

TEST_CASE_TEMPLATE("elementwise: + - * / and unary minus at SIMD edge sizes", T, float, double, std::int32_t, std::int64_t) {
    using F = std::conditional_t<std::is_floating_point_v<T>, T, float>;  // true division's type
    for (const std::int64_t n : edge_sizes<T>()) {
        CAPTURE(n);
        const auto a = make<T>({n}, val_a<T>), b = make<T>({n}, val_b<T>);
        const auto A = val_a<T>, B = val_b<T>;
        static_assert(std::is_same_v<nb::value_t<decltype(a + b)>, T>);
        static_assert(std::is_same_v<nb::value_t<decltype(a / b)>, F>);
        static_assert(std::is_same_v<nb::value_t<decltype(3 - a)>, T>);
        static_assert(std::is_same_v<nb::value_t<decltype(a / 4)>, F>);
        check_exact(ev(a + b), n, [&](auto i) { return T(A(i) + B(i)); }, "a + b");
        check_exact(ev(a - b), n, [&](auto i) { return T(A(i) - B(i)); }, "a - b");
        check_exact(ev(a * b), n, [&](auto i) { return T(A(i) * B(i)); }, "a * b");
        check_exact(ev(a / b), n, [&](auto i) { return F(A(i)) / F(B(i)); }, "a / b");
        check_exact(ev(-b), n, [&](auto i) { return T(-B(i)); }, "-b");  // -0 of +0: see the skipped case
        check_exact(ev(a + 3), n, [&](auto i) { return T(A(i) + 3); }, "a + 3");
        check_exact(ev(3 - a), n, [&](auto i) { return T(3 - A(i)); }, "3 - a");
        check_exact(ev(3 * a), n, [&](auto i) { return T(3 * A(i)); }, "3 * a");
        check_exact(ev(a / 4), n, [&](auto i) { return F(A(i)) / F(4); }, "a / 4");
        check_exact(ev(4 / b), n, [&](auto i) { return F(4) / F(B(i)); }, "4 / b");
        // a fused chain of every arithmetic op, still exact for these values
        check_exact(ev((a + b) * (a - 2) - -b), n, [&](auto i) { return T((A(i) + B(i)) * (A(i) - 2) + B(i)); },
                    "(a + b) * (a - 2) - -b");
        // the same through a stepped view (strided loop) and a [1] tensor (broadcast loop)
        const auto big = make<T>({2 * n + 1}, [](auto i) { return val_a<T>(i / 2); });
        const auto step = big.slice(0, 1, 2 * n + 1, 2);  // element i is val_a(i)
        const auto one = make<T>({1}, [](auto) { return T(5); });
        check_exact(ev(step * b - one), n, [&](auto i) { return T(A(i) * B(i) - 5); }, "strided * b - [1]");
        check_exact(ev(one / step.T()), n, [&](auto i) { return F(5) / F(A(i)); }, "[1] / strided");
    }
}

TEST_CASE_TEMPLATE("elementwise: math functions against std:: at SIMD edge sizes", T, float, double) {
    for (const std::int64_t n : edge_sizes<T>()) {
        CAPTURE(n);
        auto X = [n](std::int64_t i) { return T(-6) + T(12) * T(i) / T(n > 1 ? n - 1 : 1) + T(0.01); };   // [-6, 6]
        auto P = [](std::int64_t i) { return T(0.01) + T(0.37) * T(i); };                                // positive
        auto Y = [](std::int64_t i) { return T(int(i % 9) - 4) * T(0.75); };
        const auto x = make<T>({n}, X), p = make<T>({n}, P), y = make<T>({n}, Y);
        using D = double;
        check_close(ev(nb::exp(x)), n, [&](auto i) { return T(std::exp(D(X(i)))); }, 4, "exp");
        check_close(ev(nb::log(p)), n, [&](auto i) { return T(std::log(D(P(i)))); }, 4, "log");
        check_close(ev(nb::sqrt(p)), n, [&](auto i) { return T(std::sqrt(D(P(i)))); }, 1, "sqrt");
        check_close(ev(nb::sin(x)), n, [&](auto i) { return T(std::sin(D(X(i)))); }, 4, "sin");
        check_close(ev(nb::cos(x)), n, [&](auto i) { return T(std::cos(D(X(i)))); }, 4, "cos");
        check_close(ev(nb::tanh(x)), n, [&](auto i) { return T(std::tanh(D(X(i)))); }, 4, "tanh");
        check_close(ev(nb::sigmoid(x)), n, [&](auto i) { return T(1 / (1 + std::exp(-D(X(i))))); }, 4, "sigmoid");
        check_close(ev(nb::pow(p, 1.7)), n, [&](auto i) { return T(std::pow(D(P(i)), D(T(1.7)))); }, 32, "pow(p, 1.7)");
        check_close(ev(nb::pow(x, 3)), n, [&](auto i) { return T(std::pow(D(X(i)), 3.0)); }, 32, "pow(x, 3)");
        check_close(ev(nb::pow(x, y)), n, [&](auto i) { return T(std::pow(D(X(i)), D(Y(i)))); }, 32, "pow(x, y)");
        check_close(ev(nb::pow(2, x)), n, [&](auto i) { return T(std::pow(2.0, D(X(i)))); }, 32, "pow(2, x)");
        check_exact(ev(nb::abs(x)), n, [&](auto i) { return std::fabs(X(i)); }, "abs");
        check_exact(ev(nb::relu(x)), n, [&](auto i) { return X(i) < 0 ? T(0) : X(i); }, "relu");
        check_exact(ev(nb::square(y)), n, [&](auto i) { return Y(i) * Y(i); }, "square");
        check_exact(ev(nb::maximum(x, y)), n, [&](auto i) { return std::max(X(i), Y(i)); }, "maximum");
        check_exact(ev(nb::minimum(x, y)), n, [&](auto i) { return std::min(X(i), Y(i)); }, "minimum");
        check_exact(ev(nb::maximum(x, 1)), n, [&](auto i) { return std::max(X(i), T(1)); }, "maximum(x, 1)");
        check_exact(ev(nb::minimum(0.5, x)), n, [&](auto i) { return std::min(T(0.5), X(i)); }, "minimum(0.5, x)");
        check_exact(ev(nb::clamp(x, -1.5, 2.25)), n, [&](auto i) { return std::clamp(X(i), T(-1.5), T(2.25)); }, "clamp");
        check_exact(ev(nb::where(x > y, x, y)), n, [&](auto i) { return X(i) > Y(i) ? X(i) : Y(i); }, "where");
        check_exact(ev(nb::where(x < 0, 0.5, x)), n, [&](auto i) { return X(i) < 0 ? T(0.5) : X(i); }, "where(c, 0.5, x)");
        // a fused chain of functions
        check_close(ev(nb::sigmoid(nb::exp(nb::sin(x)) * 2 - nb::sqrt(p)) + nb::tanh(y)), n,
                    [&](auto i) { return T(1 / (1 + std::exp(-(std::exp(std::sin(D(X(i)))) * 2 - std::sqrt(D(P(i)))))) + std::tanh(D(Y(i)))); },
                    8, "fused chain", 1.0);
    }
}

TEST_CASE_TEMPLATE("elementwise: integer functions keep the integer type, transcendental ones give float", T, std::int32_t, std::int64_t) {
    for (const std::int64_t n : edge_sizes<T>()) {
        CAPTURE(n);
        auto A = [](std::int64_t i) { return val_a<T>(i); };
        auto E = [](std::int64_t i) { return T(i % 4); };
        const auto a = make<T>({n}, A), b = make<T>({n}, val_b<T>), e = make<T>({n}, E);
        static_assert(std::is_same_v<nb::value_t<decltype(nb::abs(a))>, T>);
        static_assert(std::is_same_v<nb::value_t<decltype(nb::pow(a, 3))>, T>);
        static_assert(std::is_same_v<nb::value_t<decltype(nb::exp(a))>, float>);
        static_assert(std::is_same_v<nb::value_t<decltype(a + 0.5)>, float>);
        check_exact(ev(nb::abs(a)), n, [&](auto i) { return T(A(i) < 0 ? -A(i) : A(i)); }, "abs");
        check_exact(ev(nb::relu(a)), n, [&](auto i) { return T(A(i) < 0 ? 0 : A(i)); }, "relu");
        check_exact(ev(nb::square(a)), n, [&](auto i) { return T(A(i) * A(i)); }, "square");
        check_exact(ev(nb::maximum(a, b)), n, [&](auto i) { return std::max(A(i), val_b<T>(i)); }, "maximum");
        check_exact(ev(nb::minimum(a, b)), n, [&](auto i) { return std::min(A(i), val_b<T>(i)); }, "minimum");
        check_exact(ev(nb::clamp(a, -3, 4)), n, [&](auto i) { return std::clamp(A(i), T(-3), T(4)); }, "clamp");
        check_exact(ev(nb::where(a > b, a, b)), n, [&](auto i) { return std::max(A(i), val_b<T>(i)); }, "where");
        check_exact(ev(nb::pow(a, 3)), n, [&](auto i) { return T(A(i) * A(i) * A(i)); }, "pow(a, 3)");
        check_exact(ev(nb::pow(a, e)), n, [&](auto i) { T r = 1; for (T k = 0; k < E(i); ++k) r *= A(i); return r; }, "pow(a, e)");
        check_close(ev(nb::exp(a)), n, [&](auto i) { return float(std::exp(double(A(i)))); }, 4, "exp(int)");
        check_close(ev(nb::sqrt(e)), n, [&](auto i) { return float(std::sqrt(double(E(i)))); }, 1, "sqrt(int)");
        check_exact(ev(a + 0.5), n, [&](auto i) { return float(A(i)) + 0.5f; }, "a + 0.5");
    }
}

TEST_CASE("elementwise: integer pow by a negative exponent as PyTorch (0 unless the base is +-1)" * doctest::skip()) {
    // torch.pow(tensor([2,3,-1,-1,1,0]), tensor([-1,-1,-1,-2,-5,-1])) == tensor([0, 0, -1, 1, 1, 0])
    const nb::tensor<std::int64_t> a{2, 3, -1, -1, 1, 0}, b{-1, -1, -1, -2, -5, -1};
    CHECK(vals(nb::tensor<std::int64_t>(nb::pow(a, b))) == std::vector<std::int64_t>{0, 0, -1, 1, 1, 0});
}

TEST_CASE_TEMPLATE("elementwise: comparisons give bool, NaN compares unequal, -0 == +0", T, float, double, std::int32_t) {
    for (const std::int64_t n : edge_sizes<T>()) {
        CAPTURE(n);
        auto A = [](std::int64_t i) { return val_a<T>(i); };
        auto B = [](std::int64_t i) { return T(val_a<T>(i + (i % 3 == 0 ? 0 : 1))); };  // every third equal
        const auto a = make<T>({n}, A), b = make<T>({n}, B);
        static_assert(std::is_same_v<nb::value_t<decltype(a < b)>, bool>);
        static_assert(std::is_same_v<nb::value_t<decltype(2 != a)>, bool>);
        check_exact(ev(a == b), n, [&](auto i) { return A(i) == B(i); }, "==");
        check_exact(ev(a != b), n, [&](auto i) { return A(i) != B(i); }, "!=");
        check_exact(ev(a < b), n, [&](auto i) { return A(i) < B(i); }, "<");
        check_exact(ev(a <= b), n, [&](auto i) { return A(i) <= B(i); }, "<=");
        check_exact(ev(a > b), n, [&](auto i) { return A(i) > B(i); }, ">");
        check_exact(ev(a >= b), n, [&](auto i) { return A(i) >= B(i); }, ">=");
        check_exact(ev(1 < a), n, [&](auto i) { return 1 < A(i); }, "1 < a");
        check_exact(ev(a >= 0.5), n, [&](auto i) { return double(A(i)) >= 0.5; }, "a >= 0.5 (int promotes to float)");
        check_exact(ev(((a < b) & !(a < 0)) | (a == b)), n,
                    [&](auto i) { return (A(i) < B(i) && !(A(i) < 0)) || A(i) == B(i); }, "& ! |");
    }
    if constexpr (std::is_floating_point_v<T>) {
        const T nan = std::numeric_limits<T>::quiet_NaN();
        const nb::tensor<T> x{nan, nan, T(-0.0), T(1), std::numeric_limits<T>::infinity()};
        const nb::tensor<T> y{nan, T(1), T(0.0), nan, std::numeric_limits<T>::infinity()};
        CHECK(vals(ev(x == y)) == std::vector<bool>{false, false, true, false, true});
        CHECK(vals(ev(x != y)) == std::vector<bool>{true, true, false, true, false});
        CHECK(vals(ev(x < y)) == std::vector<bool>{false, false, false, false, false});
        CHECK(vals(ev(x >= y)) == std::vector<bool>{false, false, true, false, true});
    }
}

TEST_CASE("elementwise: comparisons across types, B == B.T() prints a bool tensor") {
    const nb::tensor<std::int32_t> i{1, 2, 3};
    const nb::tensor<float> f{1.0f, 2.5f, 3.0f};
    CHECK(vals(ev(i < 2.5)) == std::vector<bool>{true, true, false});
    CHECK(vals(ev(i == f)) == std::vector<bool>{true, false, true});
    const nb::tensor<std::int64_t> B{{1, 2}, {3, 4}};
    std::ostringstream os;
    os << (B == B.T());
    CHECK(os.str() == "tensor([[ True, False],\n        [False,  True]])");
    const nb::tensor<bool> p{true, false, true, false}, q{true, true, false, false};
    CHECK(vals(ev(p & q)) == std::vector<bool>{true, false, false, false});
    CHECK(vals(ev(p | q)) == std::vector<bool>{true, true, true, false});
    CHECK(vals(ev(!p)) == std::vector<bool>{false, true, false, true});
    CHECK(vals(ev(p + q)) == std::vector<bool>{true, true, true, false});  // torch: bool + bool is or
    CHECK(vals(ev(p * q)) == std::vector<bool>{true, false, false, false});
}

TEST_CASE("elementwise: & and | on integer tensors are bitwise, as PyTorch" * doctest::skip()) {
    // torch: tensor([1, 2]) & tensor([3, 1]) == tensor([1, 0]) (int64); | gives tensor([3, 3])
    const nb::tensor<std::int64_t> a{1, 2}, b{3, 1};
    CHECK(std::is_same_v<nb::value_t<decltype(a & b)>, std::int64_t>);
    CHECK(vals(nb::tensor<std::int64_t>(a & b)) == std::vector<std::int64_t>{1, 0});
    CHECK(vals(nb::tensor<std::int64_t>(a | b)) == std::vector<std::int64_t>{3, 3});
}

TEST_CASE("elementwise: nb::equal and nb::allclose answer one bool") {
    const nb::tensor<float> a{1.0f, 2.0f, 3.0f};
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    CHECK(nb::equal(a, a.clone()));
    CHECK(nb::equal(a + 0, a));
    CHECK_FALSE(nb::equal(a, a + 1e-6f * a));
    CHECK_FALSE(nb::equal(a, nb::tensor<float>{{1.0f, 2.0f, 3.0f}}));  // shapes differ
    CHECK(nb::equal(nb::tensor<std::int64_t>{1, 2, 3}, a));              // values compare across types
    CHECK_FALSE(nb::equal(nb::tensor<float>{nan}, nb::tensor<float>{nan}));
    CHECK(nb::equal(nb::empty<float>({0}), nb::empty<float>({0})));
    CHECK(nb::allclose(a, a + 1e-6f));
    CHECK_FALSE(nb::allclose(a, a + 1e-3f));
    CHECK(nb::allclose(nb::tensor<float>{1e-9f}, nb::tensor<float>{0.0f}));  // atol 1e-8
    CHECK(nb::allclose(nb::tensor<float>{1.0f}, nb::tensor<float>{1.0001f}, 1e-3));
    CHECK_FALSE(nb::allclose(nb::tensor<float>{100.0f}, nb::tensor<float>{100.1f}, 0.0, 0.05));
    CHECK(nb::allclose(nb::tensor<float>{inf, 1.0f}, nb::tensor<float>{inf, 1.0f}));
    CHECK_FALSE(nb::allclose(nb::tensor<float>{inf}, nb::tensor<float>{1.0f}));
    CHECK_FALSE(nb::allclose(nb::tensor<float>{nan}, nb::tensor<float>{nan}));
    CHECK(nb::allclose(nb::tensor<float>{nan}, nb::tensor<float>{nan}, 1e-5, 1e-8, true));
    CHECK(nb::allclose(a, nb::tensor<double>{{1.0, 2.0, 3.0}, {1.0, 2.0, 3.0}}));  // broadcasts, as torch
}

TEST_CASE("elementwise: allclose is false when an infinity meets a different value, as PyTorch" * doctest::skip()) {
    // torch.allclose(tensor([inf]), tensor([-inf])) and torch.allclose(tensor([1.]), tensor([inf])) are False
    const float inf = std::numeric_limits<float>::infinity();
    CHECK_FALSE(nb::allclose(nb::tensor<float>{inf}, nb::tensor<float>{-inf}));
    CHECK_FALSE(nb::allclose(nb::tensor<float>{1.0f}, nb::tensor<float>{inf}));
}

namespace {
// PyTorch's promotion lattice, written out independently of nabla's: bool < int32 < int64 < float < double.
template <class T> constexpr int rank_of = std::is_same_v<T, bool> ? 0 : std::is_same_v<T, std::int32_t> ? 1 : std::is_same_v<T, std::int64_t> ? 2 : std::is_same_v<T, float> ? 3 : 4;
template <class A, class B> using torch_promote = std::conditional_t<(rank_of<A> >= rank_of<B>), A, B>;
template <class P> using torch_div = std::conditional_t<std::is_floating_point_v<P>, P, float>;

template <class A, class B>
void check_pair() {
    using P = torch_promote<A, B>;
    using F = torch_div<P>;
    const auto x = make<A>({5}, [](auto i) { return std::is_same_v<A, bool> ? i % 2 : i + 1; });
    const auto y = make<B>({5}, [](auto i) { return std::is_same_v<B, bool> ? (i + 1) % 3 != 0 : 2 * i + 1; });
    static_assert(std::is_same_v<nb::value_t<decltype(x + y)>, P>);
    static_assert(std::is_same_v<nb::value_t<decltype(x * y)>, P>);
    static_assert(std::is_same_v<nb::value_t<decltype(x / y)>, F>);
    const auto X = vals(x), Y = vals(y);
    check_exact(ev(x + y), 5, [&](auto i) { return static_cast<P>(P(X[i]) + P(Y[i])); }, "pair +");
    check_exact(ev(x / y), 5, [&](auto i) { return F(X[i]) / F(Y[i]); }, "pair /");
}
template <class A, class... Bs>
void check_row() { (check_pair<A, Bs>(), ...); }
}  // namespace

TEST_CASE("elementwise: every dtype pair for + * / promotes as PyTorch") {
    check_row<bool, bool, std::int32_t, std::int64_t, float, double>();
    check_row<std::int32_t, bool, std::int32_t, std::int64_t, float, double>();
    check_row<std::int64_t, bool, std::int32_t, std::int64_t, float, double>();
    check_row<float, bool, std::int32_t, std::int64_t, float, double>();
    check_row<double, bool, std::int32_t, std::int64_t, float, double>();
}

TEST_CASE("elementwise: scalars never widen a tensor within its kind") {
    const nb::tensor<float> f{0.1f, 1.7f, -3.3f};
    const nb::tensor<double> d{0.1, 1.7};
    const nb::tensor<std::int32_t> i32{1, 2};
    const nb::tensor<std::int64_t> i64{16777217, 3};
    const nb::tensor<bool> b{true, false};
    static_assert(std::is_same_v<nb::value_t<decltype(f * 0.1)>, float>);
    static_assert(std::is_same_v<nb::value_t<decltype(0.1 * f)>, float>);
    static_assert(std::is_same_v<nb::value_t<decltype(d * 2.0f)>, double>);
    static_assert(std::is_same_v<nb::value_t<decltype(i32 + 2)>, std::int32_t>);
    static_assert(std::is_same_v<nb::value_t<decltype(i32 + std::int64_t{2})>, std::int32_t>);
    static_assert(std::is_same_v<nb::value_t<decltype(2 - i32)>, std::int32_t>);
    static_assert(std::is_same_v<nb::value_t<decltype(i32 + 2.5)>, float>);
    static_assert(std::is_same_v<nb::value_t<decltype(i64 * 2.0)>, float>);
    static_assert(std::is_same_v<nb::value_t<decltype(i64 / 2)>, float>);
    static_assert(std::is_same_v<nb::value_t<decltype(2.0 / i32)>, float>);
    static_assert(std::is_same_v<nb::value_t<decltype(b + 2)>, std::int64_t>);
    static_assert(std::is_same_v<nb::value_t<decltype(b + 2.5)>, float>);
    static_assert(std::is_same_v<nb::value_t<decltype(b + true)>, bool>);
    static_assert(std::is_same_v<nb::value_t<decltype(f + true)>, float>);
    static_assert(std::is_same_v<nb::value_t<decltype(nb::where(b, i32, 2.5))>, float>);
    static_assert(std::is_same_v<nb::value_t<decltype(nb::where(b, i32, 2))>, std::int32_t>);
    static_assert(std::is_same_v<nb::value_t<decltype(nb::maximum(i64, f))>, float>);
    // the scalar is converted to the tensor's type before the operation (as torch computes in float)
    check_exact(ev(f * 0.1), 3, [&](auto k) { return vals(f)[k] * 0.1f; }, "f * 0.1");
    check_exact(ev(f + 0.1), 3, [&](auto k) { return vals(f)[k] + 0.1f; }, "f + 0.1");
    // an integer converts to float first: 16777217 / 1 == 16777216 in torch
    check_exact(ev(i64 / 1), 2, [](auto k) { return k == 0 ? 16777216.0f : 3.0f; }, "i64 / 1");
    check_exact(ev(i64 + 0.5), 2, [](auto k) { return k == 0 ? 16777216.0f : 3.5f; }, "i64 + 0.5");
    check_exact(ev(2.0 / i32), 2, [](auto k) { return k == 0 ? 2.0f : 1.0f; }, "2.0 / i32");
    check_exact(ev(b + 2), 2, [](auto k) { return std::int64_t(k == 0 ? 3 : 2); }, "b + 2");
}

TEST_CASE("elementwise: result types of clamp(int, fractional bounds) and square(bool) as PyTorch" * doctest::skip()) {
    // torch.clamp(tensor([1, 5], dtype=int32), 2.5, 3) == tensor([2.5, 3.0]) (float32);
    // torch.square(tensor([True, False])) == tensor([1, 0]) (int64)
    const nb::tensor<std::int32_t> i{1, 5};
    CHECK(std::is_same_v<nb::value_t<decltype(nb::clamp(i, 2.5, 3))>, float>);
    CHECK(vals(nb::tensor<float>(nb::clamp(i, 2.5, 3))) == std::vector<float>{2.5f, 3.0f});
    const nb::tensor<bool> b{true, false};
    CHECK(std::is_same_v<nb::value_t<decltype(nb::square(b))>, std::int64_t>);
}

namespace {
// Tiles (input, expected) pairs over 3W+1 elements so that each pair lands in the SIMD body and in the tail.
template <class T, class Fn>
void check_specials(Fn fn, std::vector<std::pair<T, T>> table, const char* what) {
    const std::int64_t n = 3 * W<T> + 1, k = static_cast<std::int64_t>(table.size());
    const auto x = make<T>({n}, [&](auto i) { return table[i % k].first; });
    check_exact(ev(fn(x)), n, [&](auto i) { return table[i % k].second; }, what);
}
}  // namespace

TEST_CASE_TEMPLATE("elementwise: NaN, +-0 and +-inf as PyTorch (sign of zero included)", T, float, double) {
    const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity(), z = T(0), nz = -T(0);
    check_specials<T>([](const auto& x) { return nb::relu(x); }, {{-4, z}, {nz, nz}, {z, z}, {nan, nan}, {-inf, z}, {inf, inf}, {2.5, 2.5}}, "relu");
    check_specials<T>([](const auto& x) { return nb::abs(x); }, {{nz, z}, {z, z}, {-inf, inf}, {nan, nan}, {-2.5, 2.5}}, "abs");
    check_specials<T>([](const auto& x) { return -x; }, {{nz, z}, {inf, -inf}, {nan, nan}, {-2, 2}}, "neg");
    check_specials<T>([](const auto& x) { return nb::sqrt(x); }, {{nz, nz}, {z, z}, {-1, nan}, {inf, inf}, {-inf, nan}, {nan, nan}, {4, 2}}, "sqrt");
    check_specials<T>([](const auto& x) { return nb::log(x); }, {{z, -inf}, {nz, -inf}, {-1, nan}, {inf, inf}, {1, z}, {nan, nan}, {-inf, nan}}, "log");
    check_specials<T>([](const auto& x) { return nb::exp(x); }, {{-inf, z}, {inf, inf}, {nan, nan}, {z, 1}, {nz, 1}}, "exp");
    check_specials<T>([](const auto& x) { return nb::sigmoid(x); }, {{-inf, z}, {inf, 1}, {nan, nan}, {z, 0.5}, {nz, 0.5}}, "sigmoid");
    check_specials<T>([](const auto& x) { return nb::tanh(x); }, {{-inf, -1}, {inf, 1}, {nz, nz}, {z, z}, {nan, nan}}, "tanh");
    check_specials<T>([](const auto& x) { return nb::sin(x); }, {{nz, nz}, {z, z}, {inf, nan}, {-inf, nan}, {nan, nan}}, "sin");
    check_specials<T>([](const auto& x) { return nb::cos(x); }, {{z, 1}, {nz, 1}, {inf, nan}, {nan, nan}}, "cos");
    check_specials<T>([](const auto& x) { return nb::square(x); }, {{nz, z}, {inf, inf}, {-inf, inf}, {nan, nan}, {-3, 9}}, "square");
    check_specials<T>([](const auto& x) { return nb::clamp(x, 0, 1); }, {{nz, nz}, {nan, nan}, {inf, 1}, {-inf, z}, {0.5, 0.5}}, "clamp");
    check_specials<T>([](const auto& x) { return nb::maximum(x, 0); }, {{nz, nz}, {z, z}, {-inf, z}, {inf, inf}}, "maximum(x, 0): ties give the left");
    check_specials<T>([](const auto& x) { return nb::maximum(0, x); }, {{nz, z}, {nan, nan}, {-2, z}}, "maximum(0, x)");
    check_specials<T>([](const auto& x) { return nb::minimum(x, 0); }, {{nz, nz}, {inf, z}, {-inf, -inf}}, "minimum(x, 0)");
    check_specials<T>([](const auto& x) { return nb::minimum(0, x); }, {{nz, z}, {nan, nan}, {2, z}}, "minimum(0, x)");
    check_specials<T>([](const auto& x) { return x * 0; }, {{inf, nan}, {-inf, nan}, {nan, nan}, {-2, nz}, {2, z}}, "x * 0");
    check_specials<T>([](const auto& x) { return x - x; }, {{inf, nan}, {2, z}, {nz, z}}, "x - x");
    check_specials<T>([](const auto& x) { return 1 / x; }, {{z, inf}, {nz, -inf}, {inf, z}, {-inf, nz}, {nan, nan}}, "1 / x");
    check_specials<T>([](const auto& x) { return x / 0; }, {{1, inf}, {-1, -inf}, {z, nan}, {inf, inf}}, "x / 0");
    check_specials<T>([](const auto& x) { return nb::pow(x, 2); }, {{nz, z}, {-inf, inf}, {nan, nan}}, "pow(x, 2)");
    check_specials<T>([](const auto& x) { return nb::pow(x, -1); }, {{inf, z}, {nan, nan}}, "pow(x, -1)");
    check_specials<T>([](const auto& x) { return nb::pow(x, 0.5); }, {{-1, nan}, {inf, inf}, {4, 2}, {z, z}}, "pow(x, 0.5)");
    check_specials<T>([](const auto& x) { return nb::pow(x, 3); }, {{-inf, -inf}, {nan, nan}}, "pow(x, 3)");
    check_specials<T>([](const auto& x) { return nb::pow(2, x); }, {{inf, inf}, {-inf, z}, {z, 1}, {nan, nan}, {-2, 0.25}}, "pow(2, x)");
}

// Known deviations from PyTorch, one case per bug (see the report); each asserts PyTorch's result.
TEST_CASE_TEMPLATE("elementwise: unary minus of +0 is -0 in the SIMD loop (AVX-512)", T, float, double) {
    // torch: -torch.zeros(20) prints tensor([-0., -0., ...])
    check_specials<T>([](const auto& x) { return -x; }, {{T(0), -T(0)}}, "-(+0)");
}
TEST_CASE_TEMPLATE("elementwise: maximum/minimum propagate a NaN in the left operand in the SIMD loop (AVX-512)", T, float, double) {
    // torch.maximum(torch.full((20,), nan), torch.zeros(20)) is all nan
    const T nan = std::numeric_limits<T>::quiet_NaN();
    check_specials<T>([](const auto& x) { return nb::maximum(x, 0); }, {{nan, nan}}, "maximum(nan, 0)");
    check_specials<T>([](const auto& x) { return nb::minimum(x, 0); }, {{nan, nan}}, "minimum(nan, 0)");
}
TEST_CASE_TEMPLATE("elementwise: pow special values and exact integer powers as PyTorch / std::pow" * doctest::skip(), T, float, double) {
    const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity(), z = T(0), nz = -T(0);
    check_specials<T>([](const auto& x) { return nb::pow(x, -1); }, {{z, inf}, {nz, -inf}, {-inf, nz}, {-2, -0.5}}, "pow(+-0 / -inf, -1)");
    check_specials<T>([](const auto& x) { return nb::pow(x, 3); }, {{-2, -8}, {nz, nz}, {3, 27}}, "pow(x, 3) exact");
    check_specials<T>([](const auto& x) { return nb::pow(x, 2); }, {{-3, 9}, {5, 25}}, "pow(x, 2) exact");
    check_specials<T>([](const auto& x) { return nb::pow(x, 0); }, {{nan, 1}, {2, 1}}, "pow(nan, 0)");
    check_specials<T>([](const auto& x) { return nb::pow(1, x); }, {{nan, 1}, {2, 1}}, "pow(1, nan)");
    check_specials<T>([](const auto& x) { return nb::pow(x, 0.5); }, {{nz, nz}}, "pow(-0., 0.5)");
}

TEST_CASE_TEMPLATE("elementwise: integer overflow wraps around as PyTorch, in the SIMD body and the tail", T, std::int32_t, std::int64_t) {
    using L = std::numeric_limits<T>;
    const std::int64_t n = 3 * W<T> + 1;
    const auto mx = nb::full<T>({n}, L::max()), mn = nb::full<T>({n}, L::min()), one = nb::ones<T>({n});
    auto is = [](T v) { return [v](auto) { return v; }; };
    check_exact(ev(mx + 1), n, is(L::min()), "max + 1");
    check_exact(ev(mx + one), n, is(L::min()), "max + ones");
    check_exact(ev(1 + mx), n, is(L::min()), "1 + max");
    check_exact(ev(mx + true), n, is(L::min()), "max + true");
    check_exact(ev(mn - 1), n, is(L::max()), "min - 1");
    check_exact(ev(mx * 2), n, is(T(-2)), "max * 2");
    check_exact(ev(-mn), n, is(L::min()), "-min");
    check_exact(ev(nb::abs(mn)), n, is(L::min()), "abs(min)");
    check_exact(ev(nb::square(mx)), n, is(T(1)), "square(max)");
    check_exact(ev((mx + 2) * 3 - mn), n, is(T(3)), "fused wrap");  // 3 (min + 1) - min = 2 min + 3 = 3 (mod 2^bits)
    check_exact(ev(nb::pow(one + 1, sizeof(T) * 8 - 1)), n, is(L::min()), "2 ** (bits - 1)");
    if constexpr (sizeof(T) == 4) check_exact(ev(nb::pow(one * 3, 20)), n, is(T(-808182895)), "3 ** 20 (int32)");
    else check_exact(ev(nb::full<T>({n}, T(1) << 62) * 4), n, is(T(0)), "2**62 * 4");
}

TEST_CASE_TEMPLATE("elementwise: integer / integer is true division in float", T, std::int32_t, std::int64_t) {
    const nb::tensor<T> a{1, 2, 3, -7, 7, 0, -1, 0}, b{2, 0, 0, 2, 2, 0, 0, 5};
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> want{0.5f, inf, inf, -3.5f, 3.5f, nan, -inf, 0.0f};
    check_exact(ev(a / b), 8, [&](auto i) { return want[i]; }, "a / b");
    check_exact(ev(nb::arange(5) / 2), 5, [](auto i) { return float(i) / 2.0f; }, "arange(5) / 2");
    for (const std::int64_t n : edge_sizes<T>()) {
        const auto x = make<T>({n}, [](auto i) { return T(i * 37 % 101 - 50); }), y = make<T>({n}, [](auto i) { return T(i % 7 - 3); });
        check_exact(ev(x / y), n, [](auto i) { return float(T(i * 37 % 101 - 50)) / float(T(i % 7 - 3)); }, "x / y");
    }
}

namespace {
// One operand of a broadcast test: a view of some kind and its logical value at (i, j) of the [R, C] result.
template <class T>
struct operand_kind {
    const char* name;
    nb::tensor<T> view;
    std::function<T(std::int64_t, std::int64_t)> at;
    nb::tensor<T> keep{};  // the memory a from_blob view reads
};

template <class T>
std::vector<operand_kind<T>> operand_kinds(std::int64_t R, std::int64_t C, int seed) {
    auto f = [seed](std::int64_t i, std::int64_t j) { return T(int((i * 31 + j * 7 + seed * 13) % 17) - 8); };
    auto row = [f](std::int64_t, std::int64_t j) { return f(0, j); };
    auto col = [f](std::int64_t i, std::int64_t) { return f(i, 0); };
    auto one = [f](std::int64_t, std::int64_t) { return f(0, 0); };
    std::vector<operand_kind<T>> v;
    v.push_back({"contiguous [R,C]", make<T>({R, C}, [&](auto k) { return f(k / C, k % C); }), f});
    v.push_back({"row [1,C]", make<T>({1, C}, [&](auto k) { return f(0, k); }), row});
    v.push_back({"row [C]", make<T>({C}, [&](auto k) { return f(0, k); }), row});
    v.push_back({"column [R,1]", make<T>({R, 1}, [&](auto k) { return f(k, 0); }), col});
    v.push_back({"scalar-like [1,1]", make<T>({1, 1}, [&](auto) { return f(0, 0); }), one});
    v.push_back({"0-d", nb::tensor<T>(f(0, 0)), one});
    const auto tb = make<T>({C, R}, [&](auto k) { return f(k % R, k / R); });
    v.push_back({"transposed", tb.T(), f});
    const auto cs = make<T>({R, 2 * C + 1}, [&](auto k) { auto j = k % (2 * C + 1); return j % 2 ? f(k / (2 * C + 1), j / 2) : T(99); });
    v.push_back({"columns with step 2", cs.slice(1, 1, 2 * C + 1, 2), f});
    const auto rs = make<T>({2 * R + 1, C}, [&](auto k) { auto i = k / C; return i % 2 ? T(99) : f(i / 2, k % C); });
    v.push_back({"rows with step 2", rs.slice(0, 0, 2 * R, 2), f});
    const auto ts = make<T>({2 * C, R}, [&](auto k) { auto j = k / R; return j % 2 ? T(99) : f(k % R, j / 2); });
    v.push_back({"stepped then transposed", ts.slice(0, 0, 2 * C, 2).T(), f});
    auto rb = make<T>({C}, [&](auto k) { return f(0, k); });
    v.push_back({"row expanded by stride 0", nb::from_blob(rb.data(), {R, C}, {0, 1}), row, rb});
    auto cb = make<T>({R}, [&](auto k) { return f(k, 0); });
    v.push_back({"column expanded by stride 0", nb::from_blob(cb.data(), {R, C}, {1, 0}), col, cb});
    return v;
}

// Checks r (some broadcast of [R, C]) against want(i, j).
template <class T, class Want>
void check_broadcast(const nb::tensor<T>& r, const Want& want, const char* what) {
    const std::int64_t C = r.dim() == 0 ? 1 : r.size(-1);
    check_exact(r, r.numel(), [&](auto k) { return want(r.dim() == 2 ? k / C : 0, k % C); }, what);
}
}  // namespace

TEST_CASE_TEMPLATE("elementwise: strided and broadcast operands, every pair of kinds", T, float, double, std::int32_t, std::int64_t) {
    for (const std::int64_t R : {1, 3})
        for (const std::int64_t C : {std::int64_t{1}, W<T> - 1, 3 * W<T> + 1}) {
            CAPTURE(R);
            CAPTURE(C);
            const auto as = operand_kinds<T>(R, C, 1), bs = operand_kinds<T>(R, C, 2), cs = operand_kinds<T>(R, C, 3);
            for (std::size_t p = 0; p < as.size(); ++p)
                for (std::size_t q = 0; q < bs.size(); ++q) {
                    const auto &a = as[p], &b = bs[q], &c = cs[(p + q) % cs.size()];
                    CAPTURE(a.name);
                    CAPTURE(b.name);
                    CAPTURE(c.name);
                    check_broadcast(ev(a.view + b.view), [&](auto i, auto j) { return T(a.at(i, j) + b.at(i, j)); }, "a + b");
                    check_broadcast(ev(a.view * b.view - c.view), [&](auto i, auto j) { return T(a.at(i, j) * b.at(i, j) - c.at(i, j)); }, "a * b - c");
                    check_broadcast(ev(nb::maximum(a.view, 2 * b.view)), [&](auto i, auto j) { return std::max(a.at(i, j), T(2 * b.at(i, j))); }, "maximum");
                    // into a transposed destination, through a fused expression
                    auto dst = nb::zeros<T>({C, R});
                    dst.T().copy_(a.view - b.view * c.view);
                    check_exact(dst.T().contiguous(), R * C, [&](auto k) { auto i = k / C, j = k % C; return T(a.at(i, j) - b.at(i, j) * c.at(i, j)); }, "into a transposed view");
                }
        }
}

TEST_CASE("elementwise: shape errors are thrown when the expression is built, with PyTorch's message") {
    const auto a = nb::ones<float>({2, 4}), b = nb::ones<float>({2, 3}), c = nb::ones<float>({3});
    const auto cond = nb::ones<bool>({4});
    const auto x = nb::ones<float>({3, 1}), y = nb::ones<float>({2, 1, 1}), z = nb::ones<float>({4, 2, 3});
    const std::string msg = "The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 1";
    const auto before = nb::detail::allocation_counter();
    CHECK_THROWS_WITH_AS(static_cast<void>(a + b), msg.c_str(), nb::shape_error);
    CHECK_THROWS_WITH_AS(static_cast<void>(a * c), msg.c_str(), nb::shape_error);
    CHECK_THROWS_WITH_AS(static_cast<void>(nb::exp(a) - 2 * c), msg.c_str(), nb::shape_error);
    CHECK_THROWS_WITH_AS(static_cast<void>(nb::maximum(a, c)), msg.c_str(), nb::shape_error);
    CHECK_THROWS_WITH_AS(static_cast<void>(a < c), msg.c_str(), nb::shape_error);
    CHECK_THROWS_WITH_AS(static_cast<void>(nb::where(cond, a, c)), msg.c_str(), nb::shape_error);
    CHECK_THROWS_WITH_AS(static_cast<void>((a + 1) * (c + 1)), msg.c_str(), nb::shape_error);
    CHECK_THROWS_WITH_AS(static_cast<void>(x + y * z),
                         "The size of tensor a (2) must match the size of tensor b (4) at non-singleton dimension 0", nb::error);
    CHECK(nb::detail::allocation_counter() == before);  // nothing was evaluated
    // a failed in-place write leaves its target unchanged
    auto t = nb::full<float>({2, 4}, 5.0f);
    CHECK_THROWS_AS(t.copy_(b * 2), nb::shape_error);
    CHECK_THROWS_AS(t += c, nb::shape_error);
    check_exact(t, 8, [](auto) { return 5.0f; }, "unchanged after a failed write");
}

namespace {
auto make_expression_from_locals() {
    nb::tensor<float> a = nb::arange<float>(5);
    nb::tensor<float> b = nb::full<float>({5}, 10.0f);
    return (a + b) * 2;
}
auto make_deep_expression_from_locals() {
    const auto m = make<double>({3, 4}, [](auto k) { return double(k); });
    const auto col = make<double>({3, 1}, [](auto k) { return double(k); });
    return nb::where(m.T().T() > 5, nb::sqrt(m) - col, nb::square(m.slice(1, 0, 4, 1)) * 0.5) + 1;
}
}  // namespace

TEST_CASE("elementwise: an expression never dangles (its operands outlive their scope)") {
    auto e = make_expression_from_locals();
    auto d = make_deep_expression_from_locals();
    std::vector<nb::tensor<float>> churn;  // freed memory would be reused by these
    for (int k = 0; k < 16; ++k) churn.push_back(nb::full<float>({5}, -1.0f));
    nb::tensor<float> t = e;
    check_exact(t, 5, [](auto i) { return 2.0f * (float(i) + 10.0f); }, "(a + b) * 2 of dead locals");
    auto moved = std::move(e);
    const auto copy = moved;
    check_exact(ev(copy), 5, [](auto i) { return 2.0f * (float(i) + 10.0f); }, "a copied expression");
    check_exact(ev(d), 12, [](auto k) { double m = double(k); return (m > 5 ? std::sqrt(m) - double(k / 4) : m * m * 0.5) + 1; },
                "deep expression of dead locals and views");
}

TEST_CASE("elementwise: evaluation happens at assignment, copy_, compound assignment, printing and eval()") {
    auto a = nb::arange<float>(4);
    const auto b = nb::full<float>({4}, 2.0f);
    const auto before = nb::detail::allocation_counter();
    const auto e = a * b + 1;  // builds only
    CHECK(nb::detail::allocation_counter() == before);
    a.data()[0] = 10.0f;  // lazy: the expression reads the data when it is evaluated
    nb::tensor<float> t = e;
    CHECK(nb::detail::allocation_counter() == before + 1);
    CHECK(vals(t) == std::vector<float>{21, 3, 5, 7});
    nb::tensor<float> old = t;  // `t = expr` rebinds t; the old data stays with `old`
    t = e * 0;
    CHECK(vals(old) == std::vector<float>{21, 3, 5, 7});
    CHECK(vals(t) == std::vector<float>{0, 0, 0, 0});
    nb::tensor<float> alias = t;  // copy_ writes into the data every handle sees
    t.copy_(e - 1);
    CHECK(vals(alias) == std::vector<float>{20, 2, 4, 6});
    t += e;
    CHECK(vals(alias) == std::vector<float>{41, 5, 9, 13});
    t -= 1;
    t *= b;
    CHECK(vals(alias) == std::vector<float>{80, 8, 16, 24});
    t /= b * 4;
    CHECK(vals(alias) == std::vector<float>{10, 1, 2, 3});
    std::ostringstream printed, direct;
    printed << e;
    direct << nb::tensor<float>(e);
    CHECK(printed.str() == direct.str());
    CHECK(printed.str() == "tensor([21.,  3.,  5.,  7.])");
    const auto ev = e.eval();
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(ev)>, nb::tensor<float>>);
    CHECK(vals(ev) == std::vector<float>{21, 3, 5, 7});
    CHECK((a[1] * b[1]).item() == 2.0f);
    CHECK(static_cast<bool>(a[0] > 5));
    CHECK_FALSE(static_cast<bool>(a[1] > 5));
    CHECK(vals(nb::tensor<double>(e)) == std::vector<double>{21, 3, 5, 7});
    CHECK(vals(nb::tensor<std::int64_t>(e / 2)) == std::vector<std::int64_t>{10, 1, 2, 3});  // truncates, as .to(int64)
    a.slice(0, 1, 3) = b.slice(0, 0, 2) * 3;  // assignment to a view writes into a
    a[3] = 7.5f;
    CHECK(vals(a) == std::vector<float>{10, 6, 6, 7.5f});
    CHECK(vals(nb::tensor<float>(e)) == std::vector<float>{21, 13, 13, 16});
}
