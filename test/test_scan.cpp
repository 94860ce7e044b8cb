// Scans: cumsum and cumprod along every axis (negative too) of tensors, views and fused
// expressions, SIMD edge sizes along and across the scanned axis, integer and bool inputs
// accumulating in int64, 0-d and empty inputs, errors, and a randomized differential test
// against a naive reference.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace nb = nabla;
using i64 = std::int64_t;

namespace {

template <class T>
std::vector<T> values(const nb::tensor<T>& t) {
    const nb::tensor<T> c = t.contiguous();
    return std::vector<T>(c.data(), c.data() + c.numel());
}

template <class T>
bool same(T a, T b) {
    if constexpr (std::is_floating_point_v<T>) return (a != a && b != b) || a == b;
    else return a == b;
}

template <class T>
bool matches(const nb::tensor<T>& got, const nb::shape& s, const std::vector<T>& want, double rel = 0) {
    if (!(got.shape() == s)) return false;
    const std::vector<T> g = values(got);
    if (g.size() != want.size()) return false;
    for (std::size_t i = 0; i < g.size(); ++i) {
        if (same(g[i], want[i])) continue;
        if constexpr (std::is_floating_point_v<T>) {
            if (rel > 0 && g[i] == g[i] && want[i] == want[i] &&
                std::abs(double(g[i]) - double(want[i])) <= rel * std::max(std::abs(double(g[i])), std::abs(double(want[i]))))
                continue;
        }
        return false;
    }
    return true;
}

std::vector<i64> row_major(const nb::shape& s) {
    std::vector<i64> st(s.size());
    i64 acc = 1;
    for (int d = s.size() - 1; d >= 0; --d) st[d] = acc, acc *= s[d];
    return st;
}

template <class F>
void for_each_index(const nb::shape& s, F&& f) {
    const i64 n = s.numel();
    std::vector<i64> idx(s.size(), 0);
    for (i64 i = 0; i < n; ++i) {
        f(i, idx);
        for (int d = s.size() - 1; d >= 0; --d) {
            if (++idx[d] < s[d]) break;
            idx[d] = 0;
        }
    }
}

// Naive inclusive scan of row-major values `v` of shape s along `axis` with `op`, in A.
template <class A, class T, class Op>
std::vector<A> ref_scan(const nb::shape& s, const std::vector<T>& v, int axis, Op op) {
    std::vector<A> out(v.size());
    if (s.size() == 0) {
        for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<A>(v[i]);
        return out;
    }
    const auto st = row_major(s);
    for_each_index(s, [&](i64 i, const std::vector<i64>& idx) {
        out[i] = idx[axis] == 0 ? static_cast<A>(v[i]) : op(out[i - st[axis]], static_cast<A>(v[i]));
    });
    return out;
}

// Wrapping int64 arithmetic for the integer references (PyTorch wraps).
inline i64 wrap_add(i64 a, i64 b) { return static_cast<i64>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b)); }
inline i64 wrap_mul(i64 a, i64 b) { return static_cast<i64>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b)); }

template <class A>
A add(A a, A b) {
    if constexpr (std::is_same_v<A, i64>) return wrap_add(a, b);
    else return a + b;
}
template <class A>
A mul(A a, A b) {
    if constexpr (std::is_same_v<A, i64>) return wrap_mul(a, b);
    else return a * b;
}

}  // namespace

TEST_CASE("cumsum and cumprod along every axis, negative axes included") {
    const auto x = nb::arange<float>(24).reshape({2, 3, 4});
    const auto v = values(x);
    for (int ax = 0; ax < 3; ++ax) {
        INFO("axis " << ax);
        const auto want = ref_scan<float>(x.shape(), v, ax, add<float>);
        CHECK(matches(x.cumsum(ax), {2, 3, 4}, want));
        CHECK(matches(x.cumsum(ax - 3), {2, 3, 4}, want));
        CHECK(matches(nb::cumsum(x, ax), {2, 3, 4}, want));
        const auto wantp = ref_scan<float>(x.shape(), v, ax, mul<float>);
        CHECK(matches(x.cumprod(ax), {2, 3, 4}, wantp));
        CHECK(matches(nb::cumprod(x, ax - 3), {2, 3, 4}, wantp));
    }
    // A few values written out (as torch.arange(24.).reshape(2,3,4).cumsum(d) prints them).
    CHECK(values(x.cumsum(2))[3] == 6.0f);
    CHECK(values(x.cumsum(1))[8] == 0.0f + 4 + 8);
    CHECK(values(x.cumsum(0))[12] == 12.0f);
    CHECK(values(x.cumsum(0))[23] == 11.0f + 23);
    CHECK(matches(nb::tensor<float>{1, 2, 3, 4}.cumsum(0), {4}, std::vector<float>{1, 3, 6, 10}));
    CHECK(matches(nb::tensor<float>{1, 2, 3, 4}.cumprod(-1), {4}, std::vector<float>{1, 2, 6, 24}));
    CHECK(matches(nb::tensor<float>{2, 0, 3}.cumprod(0), {3}, std::vector<float>{2, 0, 0}));
    auto r = x.cumsum(1);
    static_assert(std::is_same_v<decltype(r), nb::tensor<float>>);
    CHECK(r.is_contiguous());
}

TEST_CASE("cumsum of expressions and views") {
    const auto A = nb::arange<float>(24).reshape({2, 3, 4});
    const auto va = values(A);
    std::vector<float> e(va.size());
    for (std::size_t i = 0; i < e.size(); ++i) e[i] = va[i] * 2 - 1;
    CHECK(matches((A * 2 - 1).cumsum(2), {2, 3, 4}, ref_scan<float>(A.shape(), e, 2, add<float>)));
    CHECK(matches(nb::cumsum(A * 2 - 1, 0), {2, 3, 4}, ref_scan<float>(A.shape(), e, 0, add<float>)));
    CHECK(matches((A * 2 - 1).cumprod(-2), {2, 3, 4}, ref_scan<float>(A.shape(), e, 1, mul<float>)));

    // Transposed: [4, 3, 2] view of A.
    const auto T = A.transpose(0, 2);
    const auto vt = values(T.contiguous());
    for (int ax = 0; ax < 3; ++ax) CHECK(matches(T.cumsum(ax), {4, 3, 2}, ref_scan<float>(T.shape(), vt, ax, add<float>)));
    // Sliced with a step along the last dim, and a selected row.
    const auto S = A.slice(2, 1, 4, 2);
    const auto vs = values(S.contiguous());
    for (int ax = 0; ax < 3; ++ax) CHECK(matches(S.cumsum(ax), {2, 3, 2}, ref_scan<float>(S.shape(), vs, ax, add<float>)));
    CHECK(matches(A.select(1, 2).cumsum(1), {2, 4}, std::vector<float>{8, 17, 27, 38, 20, 41, 63, 86}));
    // Broadcast operands: a [2, 3, 4] expression from a [3, 1] column.
    const nb::tensor<float> col{{1}, {2}, {3}};
    const auto b = nb::tensor<float>(A + col);
    CHECK(matches((A + col).cumsum(1), {2, 3, 4}, ref_scan<float>(b.shape(), values(b), 1, add<float>)));
    CHECK(matches((A + col).cumsum(2), {2, 3, 4}, ref_scan<float>(b.shape(), values(b), 2, add<float>)));
    // A reduction result scanned.
    CHECK(matches(A.sum(2).cumsum(1), {2, 3}, std::vector<float>{6, 28, 66, 54, 124, 210}));
}

TEST_CASE("integer and bool scans accumulate in int64 and wrap as PyTorch") {
    const nb::tensor<std::int32_t> i32{{1, 2, 3}, {4, 5, 6}};
    static_assert(std::is_same_v<decltype(i32.cumsum(0)), nb::tensor<std::int64_t>>);
    static_assert(std::is_same_v<decltype(i32.cumprod(0)), nb::tensor<std::int64_t>>);
    static_assert(std::is_same_v<decltype(nb::cumsum(nb::tensor<bool>{true}, 0)), nb::tensor<std::int64_t>>);
    static_assert(std::is_same_v<decltype(nb::cumsum(i32 * 2, 0)), nb::tensor<std::int64_t>>);
    static_assert(std::is_same_v<decltype(nb::tensor<double>{1.0}.cumprod(0)), nb::tensor<double>>);
    CHECK(matches(i32.cumsum(1), {2, 3}, std::vector<i64>{1, 3, 6, 4, 9, 15}));
    CHECK(matches(i32.cumsum(0), {2, 3}, std::vector<i64>{1, 2, 3, 5, 7, 9}));
    CHECK(matches(i32.cumprod(1), {2, 3}, std::vector<i64>{1, 2, 6, 4, 20, 120}));
    CHECK(matches(nb::tensor<bool>{true, false, true}.cumsum(0), {3}, std::vector<i64>{1, 1, 2}));
    CHECK(matches(nb::tensor<bool>{true, true, false}.cumprod(0), {3}, std::vector<i64>{1, 1, 0}));
    const i64 m32 = std::numeric_limits<std::int32_t>::max();
    for (i64 n : {3, 17, 100}) {
        const auto big = nb::full<std::int32_t>({n}, std::int32_t(m32));
        CHECK(values(big.cumsum(0)).back() == n * m32);
        CHECK(values(nb::full<std::int32_t>({n, 5}, std::int32_t(m32)).cumsum(0)).back() == n * m32);
    }
    constexpr i64 two62 = i64{1} << 62;
    CHECK(matches(nb::tensor<std::int64_t>{two62, two62, two62, two62}.cumsum(0), {4},
                  std::vector<i64>{two62, std::numeric_limits<i64>::min(), -two62, 0}));
    CHECK(values(nb::full<std::int64_t>({3, 70}, 2).cumprod(1))[69] == 0);  // 2^70 wraps to 0
    CHECK(values(nb::full<std::int64_t>({70, 3}, 2).cumprod(0))[62 * 3] == std::numeric_limits<i64>::min());
}

TEST_CASE("NaN and infinities flow through scans") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    const auto s = values(nb::tensor<float>{1.0f, nan, 2.0f}.cumsum(0));
    CHECK((s[0] == 1 && std::isnan(s[1]) && std::isnan(s[2])));
    const auto p = values(nb::tensor<float>{1.0f, nan, 2.0f}.cumprod(0));
    CHECK((p[0] == 1 && std::isnan(p[1]) && std::isnan(p[2])));
    const auto q = values(nb::tensor<float>{inf, -inf, 1.0f}.cumsum(0));
    CHECK((q[0] == inf && std::isnan(q[1]) && std::isnan(q[2])));
    const auto z = values(nb::tensor<float>{inf, 0.0f, 1.0f}.cumprod(0));
    CHECK((z[0] == inf && std::isnan(z[1])));
}

// eval::scan on a 0-d operand reads p.size[-1] (scan.hpp:37, UBSan: "index -1 out of bounds")
// and returns an uninitialised value; PyTorch's torch.tensor(5.).cumsum(0) is tensor(5.).
TEST_CASE("cumsum and cumprod of a 0-d tensor return it" * doctest::skip()) {
    const nb::tensor<float> s(5.0f);
    CHECK(matches(s.cumsum(0), {}, std::vector<float>{5}));
    CHECK(matches(s.cumsum(-1), {}, std::vector<float>{5}));
    CHECK(matches(s.cumprod(0), {}, std::vector<float>{5}));
    CHECK(matches((s * 2).cumsum(0), {}, std::vector<float>{10}));
    CHECK(matches(nb::tensor<std::int32_t>(7).cumsum(0), {}, std::vector<i64>{7}));
}

TEST_CASE("empty inputs; dims out of range") {
    const nb::tensor<float> s(5.0f);
    CHECK_THROWS_WITH_AS(s.cumsum(1), "Dimension out of range (expected to be in range of [-1, 0], but got 1)", nb::index_error);
    CHECK(matches(nb::empty<float>({2, 0}).cumsum(1), {2, 0}, std::vector<float>{}));
    CHECK(matches(nb::empty<float>({2, 0}).cumsum(0), {2, 0}, std::vector<float>{}));
    CHECK(matches(nb::empty<float>({0}).cumprod(0), {0}, std::vector<float>{}));
    const auto x = nb::arange<float>(24).reshape({2, 3, 4});
    CHECK_THROWS_WITH_AS(x.cumsum(3), "Dimension out of range (expected to be in range of [-3, 2], but got 3)", nb::index_error);
    CHECK_THROWS_WITH_AS(nb::cumprod(x, -4), "Dimension out of range (expected to be in range of [-3, 2], but got -4)", nb::index_error);
    CHECK_THROWS_WITH_AS(nb::cumsum(x * 2, 3), "Dimension out of range (expected to be in range of [-3, 2], but got 3)", nb::index_error);
}

TEST_CASE("SIMD edge sizes along and across the scanned axis") {
    const i64 W = nb::simd::width<float>;
    const i64 WD = nb::simd::width<double>;
    std::vector<i64> sizes{0, 1, 2, W - 1, W, W + 1, 3 * W + 1, 4 * W, 4 * W + 3, WD - 1, WD + 1, 3 * WD + 1, 1000};
    for (i64 n : sizes) {
        if (n < 0) continue;
        for (i64 rows : {1, 2, 5}) {
            INFO("rows = " << rows << ", n = " << n);
            // Values k/4: every partial sum is exact, so any order of evaluation agrees.
            auto f = nb::empty<float>({rows, n});
            for (i64 i = 0; i < f.numel(); ++i) f.data()[i] = float((i * 7) % 17 - 8) / 4;
            const auto vf = values(f);
            CHECK(matches(f.cumsum(0), {rows, n}, ref_scan<float>(f.shape(), vf, 0, add<float>)));
            CHECK(matches(f.cumsum(1), {rows, n}, ref_scan<float>(f.shape(), vf, 1, add<float>)));
            CHECK(matches(f.cumprod(0), {rows, n}, ref_scan<float>(f.shape(), vf, 0, mul<float>)));
            const auto ft = f.T();  // the scanned axis strided
            const auto vft = values(ft.contiguous());
            CHECK(matches(ft.cumsum(0), {n, rows}, ref_scan<float>(ft.shape(), vft, 0, add<float>)));
            CHECK(matches(ft.cumsum(1), {n, rows}, ref_scan<float>(ft.shape(), vft, 1, add<float>)));
            auto d = nb::empty<double>({rows, n});
            for (i64 i = 0; i < d.numel(); ++i) d.data()[i] = double((i * 5) % 13 - 6) / 2;
            const auto vd = values(d);
            CHECK(matches((d * 2).cumsum(0), {rows, n}, ref_scan<double>(d.shape(), values(nb::tensor<double>(d * 2)), 0, add<double>)));
            CHECK(matches(d.cumprod(0), {rows, n}, ref_scan<double>(d.shape(), vd, 0, mul<double>)));
            auto i = nb::empty<std::int32_t>({rows, n});
            for (i64 k = 0; k < i.numel(); ++k) i.data()[k] = std::int32_t((k * 11) % 23 - 11);
            const auto vi = values(i);
            CHECK(matches(i.cumsum(0), {rows, n}, ref_scan<i64>(i.shape(), vi, 0, add<i64>)));
            CHECK(matches(i.cumsum(1), {rows, n}, ref_scan<i64>(i.shape(), vi, 1, add<i64>)));
            CHECK(matches(i.cumprod(0), {rows, n}, ref_scan<i64>(i.shape(), vi, 0, mul<i64>)));
            auto l = nb::empty<std::int64_t>({rows, n});
            for (i64 k = 0; k < l.numel(); ++k) l.data()[k] = (k * 13) % 29 - 14;
            CHECK(matches(l.cumsum(0), {rows, n}, ref_scan<i64>(l.shape(), values(l), 0, add<i64>)));
            CHECK(matches(l.cumprod(1), {rows, n}, ref_scan<i64>(l.shape(), values(l), 1, mul<i64>)));
        }
    }
}

// nabla accumulates a float cumsum in float; PyTorch's CPU kernel accumulates in double, so each
// element is within one rounding (~6e-8) of the exact prefix sum (see the report).
TEST_CASE("a float cumsum of 10^6 values stays within 1e-6 of the double prefix sums" * doctest::skip()) {
    nb::manual_seed(3);
    const auto x = nb::rand<float>({1'000'000});
    const auto c = values(x.cumsum(0));
    double ref = 0, worst = 0;
    for (i64 i = 0; i < x.numel(); ++i) {
        ref += x.data()[i];
        worst = std::max(worst, std::abs(double(c[i]) - ref) / ref);
    }
    CHECK(worst <= 1e-6);
}

// ---------------------------------------------------------------------------------------------
// Differential test: random shapes, operands and axes against the naive scan.

namespace {

struct rng_t {
    std::mt19937_64 g;
    i64 uniform(i64 lo, i64 hi) { return std::uniform_int_distribution<i64>(lo, hi)(g); }
    bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(g) < p; }
};

template <class T>
T random_value(rng_t& rng) {
    if constexpr (std::is_same_v<T, bool>) return rng.chance(0.5);
    else if constexpr (std::is_floating_point_v<T>) return T(rng.uniform(-8, 8)) / 4;
    else return T(rng.uniform(-20, 20));
}

// Calls f(operand, row-major values, description) for a random operand of shape s: contiguous,
// permuted view, stepped slice, broadcast expression, or an expression of a permuted view.
template <class T, class F>
void with_operand(rng_t& rng, const nb::shape& s, F&& f) {
    const int r = s.size();
    const int kind = static_cast<int>(rng.uniform(0, 4));
    auto fill = [&](nb::tensor<T>& t) {
        for (i64 i = 0; i < t.numel(); ++i) t.data()[i] = random_value<T>(rng);
    };
    std::vector<T> ref(s.numel());
    if (kind == 0) {
        auto x = nb::empty<T>(s);
        fill(x);
        std::copy(x.data(), x.data() + x.numel(), ref.begin());
        f(x, ref, "contiguous");
    } else if (kind == 1 || kind == 4) {
        std::vector<i64> perm(r);
        std::iota(perm.begin(), perm.end(), 0);
        std::shuffle(perm.begin(), perm.end(), rng.g);
        nb::shape bs, order = nb::shape::filled(r, 0);
        for (int j = 0; j < r; ++j) bs.push_back(s[perm[j]]);
        for (int j = 0; j < r; ++j) order[perm[j]] = j;
        auto base = nb::empty<T>(bs);
        fill(base);
        const auto bst = row_major(bs);
        for_each_index(s, [&](i64 i, const std::vector<i64>& idx) {
            i64 off = 0;
            for (int d = 0; d < r; ++d) off += idx[d] * bst[order[d]];
            ref[i] = base.data()[off];
        });
        const auto v = base.permute(order);
        if constexpr (std::is_same_v<T, bool>) {
            f(v, ref, "permuted");
        } else if (kind == 1) {
            f(v, ref, "permuted");
        } else {
            for (auto& x : ref) x = T(x * 2 - 1);
            f(v * 2 - 1, ref, "permuted * 2 - 1");
        }
    } else if (kind == 2) {
        nb::shape bs;
        std::vector<i64> start(r), step(r);
        for (int d = 0; d < r; ++d) {
            start[d] = rng.uniform(0, 1);
            step[d] = rng.uniform(1, 2);
            bs.push_back(start[d] + s[d] * step[d] + rng.uniform(0, 1));
        }
        auto base = nb::empty<T>(bs);
        fill(base);
        const auto bst = row_major(bs);
        auto v = base;
        for (int d = 0; d < r; ++d) v = v.slice(d, start[d], start[d] + (s[d] == 0 ? 0 : (s[d] - 1) * step[d] + 1), step[d]);
        REQUIRE(v.shape() == s);
        for_each_index(s, [&](i64 i, const std::vector<i64>& idx) {
            i64 off = 0;
            for (int d = 0; d < r; ++d) off += (start[d] + idx[d] * step[d]) * bst[d];
            ref[i] = base.data()[off];
        });
        f(v, ref, "stepped slice");
    } else {
        const int rr = static_cast<int>(rng.uniform(0, r));
        nb::shape rs;
        for (int d = r - rr; d < r; ++d) rs.push_back(rng.chance(0.5) ? 1 : s[d]);
        auto x = nb::empty<T>(s), row = nb::empty<T>(rs);
        fill(x);
        fill(row);
        const auto rst = row_major(rs);
        for_each_index(s, [&](i64 i, const std::vector<i64>& idx) {
            i64 off = 0;
            for (int d = 0; d < rr; ++d) off += (rs[d] == 1 ? 0 : idx[r - rr + d]) * rst[d];
            if constexpr (std::is_same_v<T, bool>) ref[i] = x.data()[i] != row.data()[off];
            else ref[i] = T(x.data()[i] + row.data()[off]);
        });
        if constexpr (std::is_same_v<T, bool>) f(x != row, ref, "x != row");
        else f(x + row, ref, "x + row");
    }
}

template <class T>
void run_scan_cases(rng_t& rng, int n, int min_rank, int max_rank) {
    using A = std::conditional_t<std::is_floating_point_v<T>, T, i64>;
    for (int c = 0; c < n; ++c) {
        nb::shape s;
        const int r = static_cast<int>(rng.uniform(min_rank, max_rank));
        for (int d = 0; d < r; ++d) s.push_back(rng.uniform(0, 9));
        const int r1 = r == 0 ? 1 : r;
        const int axis = static_cast<int>(rng.uniform(0, r1 - 1));
        if (r > 0 && rng.chance(0.08)) {  // a long axis, or a long dimension across it
            for (int d = 0; d < r; ++d) s[d] = std::min<i64>(s[d], 3);
            s[rng.chance(0.5) ? axis : static_cast<int>(rng.uniform(0, r - 1))] = std::vector<i64>{1000, 1023, 4097}[rng.uniform(0, 2)];
        }
        const i64 arg = rng.chance(0.5) ? axis : axis - r1;
        const bool member = rng.chance(0.5);
        with_operand<T>(rng, s, [&](const auto& op, const std::vector<T>& ref, const char* what) {
            INFO(std::string(what) << " of shape " << s << ", axis " << arg);
            CHECK(matches(member ? op.cumsum(arg) : nb::cumsum(op, arg), s, ref_scan<A>(s, ref, axis, add<A>)));
            if (!std::is_floating_point_v<T> || r == 0 || s[axis] <= 40)
                CHECK(matches(member ? op.cumprod(arg) : nb::cumprod(op, arg), s, ref_scan<A>(s, ref, axis, mul<A>)));
        });
    }
}

}  // namespace

TEST_CASE("differential: cumsum and cumprod against a naive scan on random shapes, views and axes") {
    rng_t rng{std::mt19937_64(4242)};
    run_scan_cases<float>(rng, 400, 1, 4);
    run_scan_cases<double>(rng, 250, 1, 4);
    run_scan_cases<std::int32_t>(rng, 250, 1, 4);
    run_scan_cases<std::int64_t>(rng, 250, 1, 4);
    run_scan_cases<bool>(rng, 200, 1, 4);
}

// The same on 0-d operands (the bug above).
TEST_CASE("differential: scans of 0-d operands" * doctest::skip()) {
    rng_t rng{std::mt19937_64(99)};
    run_scan_cases<float>(rng, 20, 0, 0);
    run_scan_cases<std::int32_t>(rng, 20, 0, 0);
    run_scan_cases<bool>(rng, 20, 0, 0);
}
