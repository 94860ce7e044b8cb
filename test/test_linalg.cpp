// Linear algebra: dot, mv, mm, matmul and norm for float, double, int32 and int64; contiguous,
// transposed, stepped and expression operands against naive loops; blocked sizes of the packed
// product; batch broadcasting of matmul; norms p = 1, 2, inf, 3 overall and along a dim; and
// PyTorch's error messages, with operands left unchanged by a throw.
#include <doctest/doctest.h>

#include <nabla/linalg/norm.hpp>
#include <nabla/linalg/products.hpp>
#include <nabla/nabla.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
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
bool close_to(T got, double want, double rel, double abs_tol = 0) {
    if (std::isnan(want)) return got != got;
    if (std::isinf(want)) return double(got) == want;
    return std::abs(double(got) - want) <= rel * std::abs(want) + abs_tol;
}

// The element (i, j) of a 2-d tensor, read through its strides.
template <class T>
T at(const nb::tensor<T>& t, i64 i, i64 j) {
    return t.data()[i * t.strides()[0] + j * t.strides()[1]];
}

// A matrix [rows, cols] of small integers (exact in float products and sums) in one of four
// layouts: 0 contiguous, 1 transposed view, 2 view sliced with steps in both dims.
template <class T>
nb::tensor<T> matrix(i64 rows, i64 cols, int layout, std::mt19937_64& g) {
    std::uniform_int_distribution<int> d(-4, 4);
    auto fill = [&](nb::tensor<T>& t) {
        for (i64 i = 0; i < t.numel(); ++i) t.data()[i] = T(d(g));
    };
    if (layout == 1) {
        auto base = nb::empty<T>({cols, rows});
        fill(base);
        return base.T();
    }
    if (layout == 2) {
        auto base = nb::empty<T>({2 * rows + 1, 3 * cols + 2});
        fill(base);
        return base.slice(0, 1, 1 + 2 * rows, 2).slice(1, 2, 2 + 3 * cols, 3);
    }
    auto base = nb::empty<T>({rows, cols});
    fill(base);
    return base;
}

// Naive C = A B in wrapping int64 / double.
template <class T>
std::vector<T> naive_mm(const nb::tensor<T>& a, const nb::tensor<T>& b) {
    const i64 m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
    std::vector<T> c(m * n);
    for (i64 i = 0; i < m; ++i)
        for (i64 j = 0; j < n; ++j) {
            if constexpr (std::is_floating_point_v<T>) {
                double s = 0;
                for (i64 p = 0; p < k; ++p) s += double(at(a, i, p)) * double(at(b, p, j));
                c[i * n + j] = T(s);
            } else {
                std::uint64_t s = 0;
                for (i64 p = 0; p < k; ++p) s += std::uint64_t(i64(at(a, i, p))) * std::uint64_t(i64(at(b, p, j)));
                c[i * n + j] = T(i64(s));
            }
        }
    return c;
}

}  // namespace

TEST_CASE("dot of vectors, views and fused expressions") {
    const auto x = nb::arange<float>(4);
    auto d = nb::dot(x, x);
    static_assert(std::is_same_v<decltype(d), nb::tensor<float>>);
    CHECK(d.shape() == nb::shape{});
    CHECK(d.item() == 14.0f);
    static_assert(std::is_same_v<decltype(nb::dot(nb::arange(4), nb::arange(4))), nb::tensor<std::int64_t>>);
    CHECK(nb::dot(nb::arange(4), nb::arange(4)).item() == 14);
    const nb::tensor<std::int32_t> i{1, 2}, j{3, 4};
    static_assert(std::is_same_v<decltype(nb::dot(i, j)), nb::tensor<std::int32_t>>);  // torch keeps int32
    CHECK(nb::dot(i, j).item() == 11);
    CHECK(nb::dot(nb::tensor<double>{1.5, 2.0}, nb::tensor<double>{2.0, -1.0}).item() == 1.0);
    // Expression operands fuse: dot(a * b, c) = sum(a * b * c).
    const nb::tensor<float> a{1, 2, 3}, b{4, 5, 6}, c{1, -1, 2};
    CHECK(nb::dot(a * b, c).item() == 4.0f - 10.0f + 36.0f);
    CHECK(nb::dot(a - 1, nb::exp(c * 0)).item() == 3.0f);
    CHECK(nb::equal(2 * nb::dot(a, a), nb::tensor<float>(28.0f)));
    // Strided operands: a column of a matrix and a stepped slice.
    const auto M = nb::arange<float>(12).reshape({3, 4});
    CHECK(nb::dot(M.select(1, 1), nb::arange<float>(6).slice(0, 0, 6, 2)).item() == 1 * 0 + 5 * 2 + 9 * 4);
    CHECK(nb::dot(M.T()[2], M.T()[3]).item() == 2 * 3 + 6 * 7 + 10 * 11);
    // Empty vectors: 0.
    CHECK(nb::dot(nb::empty<float>({0}), nb::empty<float>({0})).item() == 0.0f);
}

TEST_CASE("dot over SIMD edge lengths, contiguous and strided, against a double reference") {
    const i64 W = nb::simd::width<float>;
    std::mt19937_64 g(5);
    std::uniform_real_distribution<double> u(-1, 1);
    for (i64 n : {i64{0}, i64{1}, i64{2}, W - 1, W, W + 1, 3 * W + 1, 4 * W, 4 * W + 1, 8 * W + 3, i64{1000}, i64{4097}}) {
        INFO("n = " << n);
        auto x = nb::empty<float>({n}), y = nb::empty<float>({2 * n});
        auto xd = nb::empty<double>({n}), yd = nb::empty<double>({n});
        for (i64 i = 0; i < n; ++i) x.data()[i] = float(u(g)), xd.data()[i] = u(g), yd.data()[i] = u(g);
        for (i64 i = 0; i < 2 * n; ++i) y.data()[i] = float(u(g));
        const auto ys = y.slice(0, 0, 2 * n, 2), yc = y.slice(0, 0, n);
        double r1 = 0, r2 = 0, r3 = 0, m1 = 0, m2 = 0, m3 = 0;
        for (i64 i = 0; i < n; ++i) {
            r1 += double(x.data()[i]) * y.data()[i], m1 += std::abs(double(x.data()[i]) * y.data()[i]);
            r2 += double(x.data()[i]) * y.data()[2 * i], m2 += std::abs(double(x.data()[i]) * y.data()[2 * i]);
            r3 += xd.data()[i] * yd.data()[i], m3 += std::abs(xd.data()[i] * yd.data()[i]);
        }
        CHECK(close_to(nb::dot(x, yc).item(), r1, 0, 1e-6 * m1 + 1e-30));
        CHECK(close_to(nb::dot(x, ys).item(), r2, 0, 1e-6 * m2 + 1e-30));
        CHECK(close_to(nb::dot(xd, yd).item(), r3, 0, 1e-14 * m3 + 1e-300));
        auto xi = nb::empty<std::int64_t>({n});
        std::int64_t ri = 0;
        for (i64 i = 0; i < n; ++i) xi.data()[i] = (i * 37) % 101 - 50, ri += xi.data()[i] * xi.data()[i];
        CHECK(nb::dot(xi, xi).item() == ri);
    }
}

TEST_CASE("mv: the seed's int64 product, every element type, transposed and sliced operands") {
    // torch.mv(torch.arange(20).reshape(5, 4), torch.arange(4)) == tensor([14, 38, 62, 86, 110])
    const auto y = nb::mv(nb::arange(20).reshape({5, 4}), nb::arange(4));
    static_assert(std::is_same_v<decltype(y), const nb::tensor<std::int64_t>>);
    CHECK(y.shape() == nb::shape{5});
    CHECK(values(y) == std::vector<i64>{14, 38, 62, 86, 110});
    CHECK(values(nb::mv(nb::arange<float>(20).reshape({5, 4}), nb::arange<float>(4))) == std::vector<float>{14, 38, 62, 86, 110});
    CHECK(values(nb::mv(nb::arange<double>(20).reshape({5, 4}), nb::arange<double>(4))) == std::vector<double>{14, 38, 62, 86, 110});
    CHECK(values(nb::mv(nb::arange(20, nb::int32).reshape({5, 4}), nb::arange(4, nb::int32))) ==
          std::vector<std::int32_t>{14, 38, 62, 86, 110});
    // Empty inner dimension: zeros; empty rows: nothing.
    CHECK(values(nb::mv(nb::empty<float>({2, 0}), nb::empty<float>({0}))) == std::vector<float>{0, 0});
    CHECK(nb::mv(nb::empty<float>({0, 3}), nb::ones<float>({3})).shape() == nb::shape{0});

    std::mt19937_64 g(11);
    for (auto [m, k] : std::vector<std::pair<i64, i64>>{{1, 1}, {3, 5}, {7, 16}, {17, 33}, {64, 100}, {129, 257}}) {
        for (int la = 0; la < 3; ++la) {
            INFO("m = " << m << ", k = " << k << ", layout " << la);
            const auto A = matrix<float>(m, k, la, g);
            const auto xm = matrix<float>(k, 2, 2, g);  // a column of it: a strided vector
            const auto x = xm.select(1, 1);
            std::vector<float> want(m);
            for (i64 i = 0; i < m; ++i) {
                double s = 0;
                for (i64 p = 0; p < k; ++p) s += double(at(A, i, p)) * at(xm, p, 1);
                want[i] = float(s);
            }
            CHECK(values(nb::mv(A, x)) == want);
            CHECK(values(nb::mv(A, x.contiguous())) == want);
            CHECK(values(nb::matmul(A, x)) == want);
            std::vector<float> want2(m);
            for (i64 i = 0; i < m; ++i) want2[i] = 2 * want[i] - [&] {
                double s = 0;
                for (i64 p = 0; p < k; ++p) s += at(A, i, p);
                return float(s);
            }();
            CHECK(values(nb::tensor<float>(nb::mv(A * 2, x - 1) + nb::mv(A, nb::ones<float>({k})))) == want2);  // expression operands
            const auto Ai = matrix<std::int64_t>(m, k, la, g);
            const auto xi = matrix<std::int64_t>(k, 1, 0, g).reshape({k});
            std::vector<i64> wi(m, 0);
            for (i64 i = 0; i < m; ++i)
                for (i64 p = 0; p < k; ++p) wi[i] += at(Ai, i, p) * xi.data()[p];
            CHECK(values(nb::mv(Ai, xi)) == wi);
            const auto Ad = matrix<double>(m, k, la, g);
            const auto xd = nb::tensor<double>(xi.to<double>());
            std::vector<double> wd(m, 0);
            for (i64 i = 0; i < m; ++i)
                for (i64 p = 0; p < k; ++p) wd[i] += at(Ad, i, p) * xd.data()[p];
            CHECK(values(nb::mv(Ad, xd)) == wd);
        }
    }
}

TEST_CASE("mm against naive loops: sizes around the small and packed kernels, all layouts and types") {
    std::mt19937_64 g(17);
    const std::vector<std::array<i64, 3>> sizes{{1, 1, 1},   {2, 3, 4},    {5, 1, 7},     {1, 9, 1},    {13, 17, 19},
                                                {40, 40, 40}, {41, 40, 40}, {64, 64, 64}, {100, 37, 129}, {30, 70, 257},
                                                {350, 33, 20}, {3, 200, 300}};
    for (const auto& [m, n, k] : sizes) {
        for (int la = 0; la < 3; ++la) {
            for (int lb = 0; lb < 3; ++lb) {
                INFO("m = " << m << ", n = " << n << ", k = " << k << ", layouts " << la << " " << lb);
                const auto A = matrix<float>(m, k, la, g), B = matrix<float>(k, n, lb, g);
                const auto C = nb::mm(A, B);
                static_assert(std::is_same_v<decltype(C), const nb::tensor<float>>);
                CHECK(C.shape() == nb::shape{m, n});
                CHECK(values(C) == naive_mm(A, B));  // small integers: every blocking sums exactly
                if (la == 0 && lb == 0) {
                    CHECK(values(nb::matmul(A, B)) == naive_mm(A, B));
                    const auto Ad = matrix<double>(m, k, la, g), Bd = matrix<double>(k, n, 1, g);
                    CHECK(values(nb::mm(Ad, Bd)) == naive_mm(Ad, Bd));
                    const auto Ai = matrix<std::int32_t>(m, k, 2, g), Bi = matrix<std::int32_t>(k, n, 1, g);
                    CHECK(values(nb::mm(Ai, Bi)) == naive_mm(Ai, Bi));
                    const auto Al = matrix<std::int64_t>(m, k, 1, g), Bl = matrix<std::int64_t>(k, n, 0, g);
                    CHECK(values(nb::mm(Al, Bl)) == naive_mm(Al, Bl));
                    // Expression operands evaluate once, then multiply.
                    CHECK(values(nb::mm(A * 2, B - B)) == std::vector<float>(m * n, 0.0f));
                    CHECK(values(nb::mm(A + A, B)) == values(nb::tensor<float>(C * 2)));
                }
            }
        }
    }
    // Real-valued operands: within a k-proportional rounding bound of the double product.
    std::uniform_real_distribution<double> u(-1, 1);
    auto A = nb::empty<float>({97, 300}), B = nb::empty<float>({300, 71});
    for (i64 i = 0; i < A.numel(); ++i) A.data()[i] = float(u(g));
    for (i64 i = 0; i < B.numel(); ++i) B.data()[i] = float(u(g));
    const auto C = nb::mm(A, B.T().contiguous().T());
    bool ok = true;
    for (i64 i = 0; i < 97; ++i)
        for (i64 j = 0; j < 71; ++j) {
            double s = 0, mag = 0;
            for (i64 p = 0; p < 300; ++p) s += double(at(A, i, p)) * at(B, p, j), mag += std::abs(double(at(A, i, p)) * at(B, p, j));
            ok = ok && std::abs(at(C, i, j) - s) <= 300 * 6e-8 * mag;
        }
    CHECK(ok);
    // Empty dims: [0, 3] @ [3, 2] is [0, 2]; [2, 0] @ [0, 2] is zeros.
    CHECK(nb::mm(nb::ones<float>({0, 3}), nb::ones<float>({3, 2})).shape() == nb::shape{0, 2});
    CHECK(values(nb::mm(nb::ones<float>({2, 0}), nb::ones<float>({0, 2}))) == std::vector<float>{0, 0, 0, 0});
    CHECK(values(nb::mm(nb::ones<std::int64_t>({2, 0}), nb::ones<std::int64_t>({0, 2}))) == std::vector<i64>{0, 0, 0, 0});
    // Integer products wrap as PyTorch's.
    const auto big = nb::full<std::int64_t>({1, 2}, i64{1} << 62);
    CHECK(nb::mm(big, nb::full<std::int64_t>({2, 1}, 2)).item() == 0);
    CHECK(nb::mm(nb::full<std::int32_t>({1, 2}, 1 << 30), nb::full<std::int32_t>({2, 1}, 2)).item() == 0);
}

namespace {

// Naive batched matmul of a [..., m, k] and b [..., k, n] (both at least 2-d), batch dims
// broadcast; returns the result shape and row-major values.
template <class T>
std::pair<nb::shape, std::vector<T>> naive_batched(const nb::tensor<T>& a, const nb::tensor<T>& b) {
    const int ra = a.dim(), rb = b.dim();
    const i64 m = a.shape()[ra - 2], k = a.shape()[ra - 1], n = b.shape()[rb - 1];
    const int rbatch = std::max(ra, rb) - 2;
    nb::shape batch;
    for (int d = 0; d < rbatch; ++d) {
        const int da = d - (rbatch - (ra - 2)), db = d - (rbatch - (rb - 2));
        const i64 ea = da >= 0 ? a.shape()[da] : 1, eb = db >= 0 ? b.shape()[db] : 1;
        batch.push_back(std::max(ea, eb));
    }
    nb::shape out = batch;
    out.push_back(m);
    out.push_back(n);
    std::vector<T> v;
    std::vector<i64> idx(rbatch, 0);
    for (i64 bi = 0; bi < batch.numel(); ++bi) {
        i64 oa = 0, ob = 0;
        for (int d = 0; d < rbatch; ++d) {
            const int da = d - (rbatch - (ra - 2)), db = d - (rbatch - (rb - 2));
            if (da >= 0 && a.shape()[da] != 1) oa += idx[d] * a.strides()[da];
            if (db >= 0 && b.shape()[db] != 1) ob += idx[d] * b.strides()[db];
        }
        for (i64 i = 0; i < m; ++i)
            for (i64 j = 0; j < n; ++j) {
                T s(0);
                for (i64 p = 0; p < k; ++p)
                    s += a.data()[oa + i * a.strides()[ra - 2] + p * a.strides()[ra - 1]] *
                         b.data()[ob + p * b.strides()[rb - 2] + j * b.strides()[rb - 1]];
                v.push_back(s);
            }
        for (int d = rbatch - 1; d >= 0; --d) {
            if (++idx[d] < batch[d]) break;
            idx[d] = 0;
        }
    }
    return {out, v};
}

template <class T>
nb::tensor<T> small_ints(const nb::shape& s, std::mt19937_64& g) {
    std::uniform_int_distribution<int> d(-3, 3);
    auto t = nb::empty<T>(s);
    for (i64 i = 0; i < t.numel(); ++i) t.data()[i] = T(d(g));
    return t;
}

}  // namespace

TEST_CASE("matmul: 1-D and 2-D cases, batch broadcasting against naive loops") {
    std::mt19937_64 g(23);
    // 1-D @ 1-D is dot, a 0-d result.
    const auto v3 = small_ints<float>({3}, g), w3 = small_ints<float>({3}, g);
    CHECK(nb::matmul(v3, w3).shape() == nb::shape{});
    CHECK(nb::matmul(v3, w3).item() == nb::dot(v3, w3).item());
    // 2-D @ 1-D is mv; 1-D @ 2-D is a row vector times the matrix, with the 1 dropped.
    const auto M = small_ints<float>({3, 4}, g);
    const auto v4 = small_ints<float>({4}, g);
    const auto mv = nb::matmul(M, v4);
    CHECK(mv.shape() == nb::shape{3});
    CHECK(values(mv) == naive_batched(M, v4.reshape({4, 1})).second);
    const auto vm = nb::matmul(v3, M);
    CHECK(vm.shape() == nb::shape{4});
    CHECK(values(vm) == naive_batched(v3.reshape({1, 3}), M).second);
    CHECK(values(nb::matmul(v3 * 2, M.T().T())) == values(nb::tensor<float>(vm * 2)));

    // [2, 1, 3, 4] @ [5, 4, 2] -> [2, 5, 3, 2].
    const auto A = small_ints<float>({2, 1, 3, 4}, g), B = small_ints<float>({5, 4, 2}, g);
    const auto C = nb::matmul(A, B);
    CHECK(C.shape() == nb::shape{2, 5, 3, 2});
    const auto [cs, cv] = naive_batched(A, B);
    CHECK(cs == nb::shape{2, 5, 3, 2});
    CHECK(values(C) == cv);
    // The same with int64, double, int32, and with transposed / permuted batch operands.
    const auto Al = small_ints<std::int64_t>({2, 1, 3, 4}, g), Bl = small_ints<std::int64_t>({5, 4, 2}, g);
    CHECK(values(nb::matmul(Al, Bl)) == naive_batched(Al, Bl).second);
    const auto Ad = small_ints<double>({4, 3, 2}, g).permute({2, 1, 0}), Bd = small_ints<double>({4, 5}, g);
    CHECK(nb::matmul(Ad, Bd).shape() == nb::shape{2, 3, 5});
    CHECK(values(nb::matmul(Ad, Bd)) == naive_batched(Ad, Bd).second);
    const auto Ai = small_ints<std::int32_t>({3, 4}, g), Bi = small_ints<std::int32_t>({6, 2, 5, 4}, g).transpose(-1, -2);
    CHECK(nb::matmul(Ai, Bi).shape() == nb::shape{6, 2, 3, 5});
    CHECK(values(nb::matmul(Ai, Bi)) == naive_batched(Ai, Bi).second);
    // Expression operands, a batch of 1 broadcast, and a sliced batch.
    const auto E = small_ints<float>({1, 7, 6}, g), F = small_ints<float>({4, 6, 3}, g).slice(0, 0, 4, 2);
    const auto EF = nb::matmul(E * 2, F - 1);
    const auto [es, ev] = naive_batched(nb::tensor<float>(E * 2), nb::tensor<float>(F - 1));
    CHECK(EF.shape() == es);
    CHECK(values(EF) == ev);
    // Batched @ 1-D and 1-D @ batched.
    const auto Q = small_ints<float>({2, 3, 4}, g);
    const auto q = nb::matmul(Q, v4);
    CHECK(q.shape() == nb::shape{2, 3});
    CHECK(values(q) == naive_batched(Q, v4.reshape({4, 1})).second);
    const auto R = small_ints<float>({2, 3, 4}, g);
    const auto r = nb::matmul(v3, R);
    CHECK(r.shape() == nb::shape{2, 4});
    CHECK(values(r) == naive_batched(v3.reshape({1, 3}), R).second);
    // Larger batched blocks through the packed kernel.
    const auto P = small_ints<float>({3, 1, 50, 60}, g), S = small_ints<float>({2, 60, 45}, g);
    CHECK(values(nb::matmul(P, S)) == naive_batched(P, S).second);
    // Empty batch and empty inner dims.
    CHECK(nb::matmul(nb::ones<float>({0, 3, 4}), nb::ones<float>({4, 2})).shape() == nb::shape{0, 3, 2});
    CHECK(values(nb::matmul(nb::ones<float>({2, 3, 0}), nb::ones<float>({0, 2}))) == std::vector<float>(12, 0.0f));
}

TEST_CASE("shape errors carry PyTorch's messages and leave the operands unchanged") {
    const auto A = nb::arange<float>(6).reshape({2, 3});
    const auto x3 = nb::ones<float>({3}), x4 = nb::ones<float>({4});
    const auto before = values(A);
    CHECK_THROWS_WITH_AS(nb::mm(A, A), "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::matmul(A, A), "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::mm(A * 2, A), "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::mm(A, x3), "mat2 must be a matrix", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::mm(x3, A), "self must be a matrix", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::dot(x3, x4),
                         "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively",
                         nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::dot(x3 * 2, x4 + 1),
                         "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively",
                         nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::matmul(x3, x4),
                         "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 and 4 elements respectively",
                         nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::dot(A, x3), "1D tensors expected, but got 2D and 1D tensors", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::dot(x3, A), "1D tensors expected, but got 1D and 2D tensors", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::dot(nb::tensor<float>(1.0f), x3), "1D tensors expected, but got 0D and 1D tensors", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::mv(A, A), "vector + matrix @ vector expected, got 1, 2, 2", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::mv(x3, x3), "vector + matrix @ vector expected, got 1, 1, 1", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::matmul(x3, nb::ones<float>({4, 2})), "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x2)", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::matmul(nb::tensor<float>(1.0f), x4), "both arguments to matmul need to be at least 1D, but they are 0D and 1D",
                         nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::matmul(nb::ones<float>({2, 3, 4}), nb::ones<float>({3, 4, 2})),
                         "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0", nb::shape_error);
    CHECK_THROWS_AS(nb::matmul(nb::ones<float>({2, 3, 4}), nb::ones<float>({2, 5, 2})), nb::shape_error);
    CHECK_THROWS_AS(nb::mv(A, x4), nb::shape_error);
    CHECK_THROWS_AS(nb::matmul(A, x4), nb::shape_error);
    CHECK(values(A) == before);
    CHECK(values(x3) == std::vector<float>{1, 1, 1});
    // A failed product assigned to a tensor leaves that tensor as it was.
    nb::tensor<float> c = nb::ones<float>({2, 2});
    CHECK_THROWS_AS(c = nb::mm(A, A), nb::shape_error);
    CHECK(values(c) == std::vector<float>{1, 1, 1, 1});
    CHECK(c.shape() == nb::shape{2, 2});
}

// PyTorch 1.13: torch.mv(torch.ones(2, 3), torch.ones(4)) raises "size mismatch, got 2, 2x3,4";
// nabla writes the newer "size mismatch, got input (2), mat (2x3), vec (4)" (see the report).
TEST_CASE("mv size mismatch reads as PyTorch 1.13's" * doctest::skip()) {
    const auto A = nb::ones<float>({2, 3});
    CHECK_THROWS_WITH_AS(nb::mv(A, nb::ones<float>({4})), "size mismatch, got 2, 2x3,4", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::matmul(A, nb::ones<float>({4})), "size mismatch, got 2, 2x3,4", nb::shape_error);
    CHECK_THROWS_WITH_AS(nb::matmul(nb::ones<float>({2, 3, 4}), nb::ones<float>({5})), "size mismatch, got 6, 6x4,5", nb::shape_error);
}

TEST_CASE("norm: p = 2 (Frobenius), 1, inf and 3, overall and along a dim with keepdim") {
    const nb::tensor<float> u{3.0f, -4.0f};
    static_assert(std::is_same_v<decltype(nb::norm(u)), nb::tensor<float>>);
    CHECK(nb::norm(u).item() == 5.0f);
    CHECK(u.norm().item() == 5.0f);
    CHECK(nb::norm(u).shape() == nb::shape{});
    CHECK(nb::norm(u, 1).item() == 7.0f);
    CHECK(nb::norm(u, std::numeric_limits<double>::infinity()).item() == 4.0f);
    CHECK(close_to(nb::norm(u, 3).item(), std::cbrt(91.0), 1e-6));  // torch: 4.4979
    CHECK(nb::abs(u).sum().item() == 7.0f);
    const nb::tensor<float> M{{1, -2}, {3, 4}};
    CHECK(close_to(M.norm().item(), std::sqrt(30.0), 1e-7));  // torch: 5.4772
    CHECK(M.norm(1).item() == 10.0f);
    CHECK(M.norm(std::numeric_limits<double>::infinity()).item() == 4.0f);
    CHECK(close_to(M.norm(3).item(), std::cbrt(100.0), 1e-6));  // torch: 4.6416
    auto r = nb::norm(M, 2, 1);
    CHECK(r.shape() == nb::shape{2});
    CHECK(close_to(values(r)[0], std::sqrt(5.0), 1e-7));
    CHECK(values(r)[1] == 5.0f);
    auto k = M.norm(2, 0, true);
    CHECK(k.shape() == nb::shape{1, 2});
    CHECK(close_to(values(k)[0], std::sqrt(10.0), 1e-7));
    CHECK(close_to(values(k)[1], std::sqrt(20.0), 1e-7));
    CHECK(values(nb::norm(M, 1, -1, true)) == std::vector<float>{3, 7});
    CHECK(nb::norm(M, 1, -1, true).shape() == nb::shape{2, 1});
    CHECK(values(nb::norm(M, std::numeric_limits<double>::infinity(), 0)) == std::vector<float>{3, 4});
    const auto p3 = values(nb::norm(M, 3, 0));
    CHECK(close_to(p3[0], std::cbrt(28.0), 1e-6));  // torch: 3.0366
    CHECK(close_to(p3[1], std::cbrt(72.0), 1e-6));  // torch: 4.1602
    // Fused expressions, double, views.
    const nb::tensor<float> a{1, 2, 3}, b{4, 6, 3};
    CHECK(nb::norm(a - b).item() == 5.0f);
    CHECK((a - b).norm(1).item() == 7.0f);
    const nb::tensor<double> d{{2, 0}, {0, 0}, {1, 2}};
    CHECK(d.T().norm().item() == 3.0);
    CHECK(values(nb::norm(d.T(), 2, 0)) == std::vector<double>{2, 0, std::sqrt(5.0)});
    // NaN and inf propagate; the norm of nothing is 0.
    CHECK(std::isnan(nb::norm(nb::tensor<float>{std::numeric_limits<float>::quiet_NaN(), 1.0f}).item()));
    CHECK(std::isinf(nb::norm(nb::tensor<float>{std::numeric_limits<float>::infinity(), 1.0f}).item()));
    CHECK(nb::norm(nb::empty<float>({0})).item() == 0.0f);
    CHECK(nb::norm(nb::empty<float>({0}), 1).item() == 0.0f);
    CHECK(values(nb::norm(nb::empty<float>({2, 0}), 2, 1)) == std::vector<float>{0, 0});
    CHECK_THROWS_WITH_AS(nb::norm(M, 2, 2), "Dimension out of range (expected to be in range of [-2, 1], but got 2)", nb::index_error);
}

TEST_CASE("norm along every dim of a [2, 5, 4] tensor against a double reference") {
    std::mt19937_64 g(29);
    std::uniform_real_distribution<double> u(-2, 2);
    auto x = nb::empty<float>({2, 5, 4});
    for (i64 i = 0; i < x.numel(); ++i) x.data()[i] = float(u(g));
    const std::vector<i64> st{20, 4, 1};
    for (double p : {1.0, 2.0, 3.0, std::numeric_limits<double>::infinity()}) {
        for (int dim = 0; dim < 3; ++dim) {
            for (bool keep : {false, true}) {
                INFO("p = " << p << ", dim = " << dim << ", keepdim = " << keep);
                const auto r = nb::norm(x, p, dim - (keep ? 3 : 0), keep);
                nb::shape want_shape;
                for (int d = 0; d < 3; ++d)
                    if (d != dim || keep) want_shape.push_back(d == dim ? 1 : x.shape()[d]);
                CHECK(r.shape() == want_shape);
                const auto rv = values(r);
                bool ok = rv.size() == static_cast<std::size_t>(40 / x.shape()[dim]);
                std::size_t o = 0;
                for (i64 i0 = 0; i0 < (dim == 0 ? 1 : 2); ++i0)
                    for (i64 i1 = 0; i1 < (dim == 1 ? 1 : 5); ++i1)
                        for (i64 i2 = 0; i2 < (dim == 2 ? 1 : 4); ++i2, ++o) {
                            double acc = 0;
                            for (i64 t = 0; t < x.shape()[dim]; ++t) {
                                i64 idx[3] = {i0, i1, i2};
                                idx[dim] = t;
                                const double v = std::abs(double(x.data()[idx[0] * st[0] + idx[1] * st[1] + idx[2] * st[2]]));
                                acc = std::isinf(p) ? std::max(acc, v) : acc + std::pow(v, p);
                            }
                            const double want = std::isinf(p) ? acc : std::pow(acc, 1 / p);
                            ok = ok && o < rv.size() && close_to(rv[o], want, 2e-6);
                        }
                CHECK(ok);
            }
        }
    }
    // A long vector: L2 within 1e-6 of the double result.
    auto y = nb::empty<float>({100'003});
    double s = 0;
    for (i64 i = 0; i < y.numel(); ++i) y.data()[i] = float(u(g)), s += double(y.data()[i]) * y.data()[i];
    CHECK(close_to(y.norm().item(), std::sqrt(s), 1e-6));
    CHECK(close_to(y.slice(0, 1, 100'003, 3).norm(1).item(), [&] {
        double t = 0;
        for (i64 i = 1; i < y.numel(); i += 3) t += std::abs(double(y.data()[i]));
        return t;
    }(), 1e-6));
}

// torch.norm(torch.empty(0), float('inf')) is tensor(0.) and
// torch.norm(torch.empty(2, 0), float('inf'), 1) is tensor([0., 0.]); nabla's inf-norm is amax,
// which throws on an empty reduction (see the report).
TEST_CASE("the inf-norm of nothing is 0" * doctest::skip()) {
    const double inf = std::numeric_limits<double>::infinity();
    CHECK(nb::norm(nb::empty<float>({0}), inf).item() == 0.0f);
    CHECK(values(nb::norm(nb::empty<float>({2, 0}), inf, 1)) == std::vector<float>{0, 0});
}

TEST_CASE("norm's untracked one-pass path agrees with a double reference, on views and at SIMD edges") {
    for (const i64 n : {1, 15, 16, 17, 63, 1000, 4099}) {
        nb::manual_seed(static_cast<std::uint64_t>(n));
        const auto x = nb::rand<float>({n}) * 2 - 1;
        const nb::tensor<float> a = x, b = nb::rand<float>({n});
        double s1 = 0, s2 = 0;
        for (i64 i = 0; i < n; ++i) {
            const double d = double(a.data()[i]) - double(b.data()[i]);
            s1 += std::abs(d);
            s2 += d * d;
        }
        CHECK(close_to(nb::norm(a - b).item(), std::sqrt(s2), 1e-5));
        CHECK(close_to(nb::norm(a - b, 1).item(), s1, 1e-5));
    }
    // a transposed (non-contiguous) operand goes through the general loop
    const auto M = nb::arange<float>(12).reshape({3, 4});
    const auto Mt = M.T();
    CHECK(Mt.norm(1).item() == 66.0f);
    CHECK(close_to(Mt.norm().item(), std::sqrt(506.0), 1e-7));
    CHECK(close_to((Mt - M.T() * 2).norm().item(), std::sqrt(506.0), 1e-7));
    // under no_grad a tensor that requires grad takes the same path and records nothing
    auto w = nb::tensor<float>({3.0f, -4.0f});
    w.requires_grad_(true);
    {
        nb::no_grad_guard g;
        const auto n = nb::norm(w);
        CHECK(n.item() == 5.0f);
        CHECK_FALSE(n.requires_grad());
    }
    CHECK(nb::norm(w).requires_grad());
}
