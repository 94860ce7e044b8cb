// eval/gemm.hpp: gemm, gemv and dot against naive loops, over many shapes, layouts and types.
#include <doctest/doctest.h>

#include <nabla/eval/gemm.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

namespace {

using std::int64_t;

/// How a test matrix sits in memory: row-major, column-major (a transposed view), or a slice
/// with gaps between rows and between columns.
enum class layout { row, col, sliced };
constexpr std::array<layout, 3> all_layouts{layout::row, layout::col, layout::sliced};

/// Gaps hold this, so a kernel that reads outside the view gets NaN (or a sentinel integer) into
/// its results, and one that writes outside it is caught by check_gaps.
template <class T>
T gap_value() {
    if constexpr (std::is_floating_point_v<T>) return std::numeric_limits<T>::quiet_NaN();
    else return T(0x5a5a5a5a);
}

template <class T>
struct matrix {
    int64_t rows, cols, rs = 0, cs = 0;
    std::vector<T> buf;
    std::vector<bool> in_view;

    matrix(int64_t r, int64_t c, layout l) : rows(r), cols(c) {
        int64_t size = r * c;
        switch (l) {
            case layout::row: rs = c; cs = 1; break;
            case layout::col: rs = 1; cs = r; break;
            case layout::sliced: rs = 2 * c + 3; cs = 2; size = r * rs; break;
        }
        // strides stay positive for empty matrices too
        if (rs == 0) rs = 1;
        if (cs == 0) cs = 1;
        buf.assign(static_cast<std::size_t>(size), gap_value<T>());
        in_view.assign(buf.size(), false);
        for (int64_t i = 0; i < r; ++i)
            for (int64_t j = 0; j < c; ++j) in_view[static_cast<std::size_t>(i * rs + j * cs)] = true;
    }
    T& operator()(int64_t i, int64_t j) { return buf[static_cast<std::size_t>(i * rs + j * cs)]; }
    T operator()(int64_t i, int64_t j) const { return buf[static_cast<std::size_t>(i * rs + j * cs)]; }
    T* data() { return buf.data(); }
};

template <class T>
void fill_random(matrix<T>& x, std::mt19937_64& rng) {
    for (int64_t i = 0; i < x.rows; ++i)
        for (int64_t j = 0; j < x.cols; ++j) {
            if constexpr (std::is_floating_point_v<T>)
                x(i, j) = std::uniform_real_distribution<T>(T(-1), T(1))(rng);
            else
                x(i, j) = static_cast<T>(rng());   // full range: products and sums wrap
        }
}

template <class T>
bool gaps_untouched(const matrix<T>& x) {
    for (std::size_t i = 0; i < x.buf.size(); ++i) {
        if (x.in_view[i]) continue;
        const T v = x.buf[i];
        if constexpr (std::is_floating_point_v<T>) {
            if (!std::isnan(v)) return false;
        } else if (v != gap_value<T>()) {
            return false;
        }
    }
    return true;
}

/// Which implementation a check drives: the public entry point (which picks a path itself), or
/// one path forced, so that every path meets every shape and layout.
enum class path { dispatch, packed, unpacked };

/// Runs C = A B (+ beta C) and compares with a naive loop: with an error bound of a few k ulps of
/// sum |a||b| for floating point (the reference in double, or long double for double), exactly
/// in unsigned arithmetic for integers.
template <class T>
void check_gemm(int64_t m, int64_t n, int64_t k, layout la, layout lb, layout lc, std::mt19937_64& rng,
                T beta = T(0), path via = path::dispatch) {
    CAPTURE(m);
    CAPTURE(n);
    CAPTURE(k);
    CAPTURE(static_cast<int>(la));
    CAPTURE(static_cast<int>(lb));
    CAPTURE(static_cast<int>(lc));
    CAPTURE(static_cast<int>(via));
    matrix<T> a(m, k, la), b(k, n, lb), c(m, n, lc);
    fill_random(a, rng);
    fill_random(b, rng);
    if (beta != T(0)) fill_random(c, rng);
    else
        for (int64_t i = 0; i < m; ++i)
            for (int64_t j = 0; j < n; ++j) c(i, j) = gap_value<T>();   // beta == 0: C is never read
    const matrix<T> c0 = c;
    if constexpr (std::is_floating_point_v<T>) {
        namespace detail = nabla::eval::gemm_detail;
        if (via == path::packed)
            detail::packed_gemm<T>(m, n, k, a.data(), a.rs, a.cs, b.data(), b.rs, b.cs, c.data(), c.rs, c.cs, beta);
        else if (via == path::unpacked)
            detail::small_gemm<T>(m, n, k, a.data(), a.rs, a.cs, b.data(), b.rs, c.data(), c.rs, beta);
        else
            nabla::eval::gemm<T>(m, n, k, a.data(), a.rs, a.cs, b.data(), b.rs, b.cs, c.data(), c.rs, c.cs, beta);
    } else {
        nabla::eval::gemm<T>(m, n, k, a.data(), a.rs, a.cs, b.data(), b.rs, b.cs, c.data(), c.rs, c.cs, beta);
    }
    CHECK(gaps_untouched(c));
    int64_t bad = 0;
    for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
            if constexpr (std::is_floating_point_v<T>) {
                using R = std::conditional_t<std::is_same_v<T, float>, double, long double>;
                R ref = beta == T(0) ? R(0) : static_cast<R>(beta) * c0(i, j);
                R mag = std::fabs(ref);
                for (int64_t p = 0; p < k; ++p) {
                    const R x = static_cast<R>(a(i, p)) * b(p, j);
                    ref += x;
                    mag += std::fabs(x);
                }
                const R tol = R(2) * static_cast<R>(k + 2) * std::numeric_limits<T>::epsilon() * mag;
                if (!(std::fabs(static_cast<R>(c(i, j)) - ref) <= tol)) ++bad;
            } else {
                using U = std::make_unsigned_t<T>;
                U ref = static_cast<U>(beta) * static_cast<U>(c0(i, j));
                for (int64_t p = 0; p < k; ++p) ref += static_cast<U>(a(i, p)) * static_cast<U>(b(p, j));
                if (c(i, j) != static_cast<T>(ref)) ++bad;
            }
        }
    CHECK(bad == 0);
}

constexpr std::array<int64_t, 19> shape_set{1, 2, 3, 5, 7, 8, 13, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 65, 70};

/// Every (m, n, k) from shape_set, each with one of the 27 layout combinations (cycling, so all
/// combinations meet small and large shapes alike). The unpacked path reads B and writes C
/// along unit-stride rows, so it cycles through the layouts of A only.
template <class T>
void check_all_shapes(std::uint64_t seed, path via) {
    std::mt19937_64 rng(seed);
    int combo = 0;
    for (int64_t m : shape_set)
        for (int64_t n : shape_set)
            for (int64_t k : shape_set) {
                const layout la = all_layouts[combo % 3];
                const layout lb = via == path::unpacked ? layout::row : all_layouts[combo / 3 % 3];
                const layout lc = via == path::unpacked ? layout::row : all_layouts[combo / 9 % 3];
                combo = (combo + 1) % 27;
                check_gemm<T>(m, n, k, la, lb, lc, rng, T(0), via);
            }
}

}  // namespace

TEST_CASE_TEMPLATE("gemm: every shape in 1..70 from the sample set, all layouts, through gemm()", T, float, double) {
    check_all_shapes<T>(1, path::dispatch);
}
TEST_CASE_TEMPLATE("gemm: every shape in 1..70 from the sample set, all layouts, packed path", T, float, double) {
    check_all_shapes<T>(2, path::packed);
}
TEST_CASE_TEMPLATE("gemm: every shape in 1..70 from the sample set, unpacked path", T, float, double) {
    check_all_shapes<T>(3, path::unpacked);
}

TEST_CASE_TEMPLATE("gemm: every layout combination on small, medium and blocked shapes", T, float, double,
                   std::int32_t, std::int64_t) {
    std::mt19937_64 rng(3);
    // 8^3 and 9x17x5 take the unpacked path, 70x65x33 the packed one in one block,
    // 400x90x300 crosses the mc and kc blocks
    const std::array<std::array<int64_t, 3>, 4> shapes{{{8, 8, 8}, {9, 17, 5}, {70, 65, 33}, {400, 90, 300}}};
    for (auto [m, n, k] : shapes)
        for (layout la : all_layouts)
            for (layout lb : all_layouts)
                for (layout lc : all_layouts) check_gemm<T>(m, n, k, la, lb, lc, rng);
}

TEST_CASE_TEMPLATE("gemm: products crossing the mc, kc and nc blocks", T, float, double) {
    using bl = nabla::eval::gemm_detail::blocking<T>;
    std::mt19937_64 rng(4);
    const int64_t m = bl::mc + bl::mr + 3, k = bl::kc + 33, n = bl::nc + 37;
    // taller than mc and deeper than kc, through every layout, on the packed path
    for (layout la : all_layouts)
        for (layout lb : all_layouts)
            for (layout lc : all_layouts) check_gemm<T>(m, 2 * bl::nr + 5, k, la, lb, lc, rng, T(0), path::packed);
    // wider than nc; then what gemm() itself picks for large and skinny products
    check_gemm<T>(19, n, 40, layout::row, layout::row, layout::row, rng, T(0), path::packed);
    check_gemm<T>(19, n, 300, layout::row, layout::row, layout::row, rng);
    check_gemm<T>(19, n, 300, layout::col, layout::sliced, layout::row, rng);
    check_gemm<T>(n, 7, 600, layout::row, layout::col, layout::col, rng);
    check_gemm<T>(300, 290, 310, layout::row, layout::row, layout::row, rng);
    check_gemm<T>(300, 290, 310, layout::col, layout::col, layout::col, rng);
    check_gemm<T>(7, 300, 2 * bl::kc + 1, layout::row, layout::row, layout::row, rng);
}

TEST_CASE_TEMPLATE("gemm: single columns and rows (the gemv cases)", T, float, double, std::int32_t, std::int64_t) {
    std::mt19937_64 rng(9);
    for (int64_t len : {1, 7, 64, 300})
        for (layout l : all_layouts) {
            check_gemm<T>(len, 1, 37, l, l, l, rng);
            check_gemm<T>(1, len, 37, l, l, l, rng);
            check_gemm<T>(len, 1, 37, l, layout::row, layout::col, rng, T(2));
        }
}

TEST_CASE_TEMPLATE("gemm integers: exact over the sample shapes, wrapping on overflow", T, std::int32_t, std::int64_t) {
    std::mt19937_64 rng(5);
    int combo = 0;
    for (int64_t m : {1, 3, 8, 17, 33, 70})
        for (int64_t n : {1, 2, 7, 16, 31, 65})
            for (int64_t k : {1, 5, 15, 48, 70}) {
                check_gemm<T>(m, n, k, all_layouts[combo % 3], all_layouts[combo / 3 % 3], all_layouts[combo / 9 % 3], rng);
                combo = (combo + 1) % 27;
            }
    // a known wrap: max * 2 + max * 2 == -4 (mod 2^bits)
    const T big = std::numeric_limits<T>::max();
    const T a[2] = {big, big}, b[2] = {2, 2};
    T c[1];
    nabla::eval::gemm<T>(1, 1, 2, a, 2, 1, b, 1, 1, c, 1, 1);
    CHECK(c[0] == T(-4));
}

TEST_CASE_TEMPLATE("gemm: beta scales C (small, packed and integer paths)", T, float, double, std::int32_t,
                   std::int64_t) {
    std::mt19937_64 rng(6);
    for (T beta : {T(1), T(2), T(-3)}) {
        check_gemm<T>(5, 9, 4, layout::row, layout::row, layout::row, rng, beta);
        check_gemm<T>(6, 7, 8, layout::row, layout::col, layout::col, rng, beta);
        check_gemm<T>(70, 65, 49, layout::sliced, layout::row, layout::row, rng, beta);
        check_gemm<T>(70, 65, 300, layout::row, layout::row, layout::sliced, rng, beta);
        if constexpr (std::is_floating_point_v<T>) {
            // beta on the packed path, including a second slice of k (which adds to the first)
            const int64_t deep = nabla::eval::gemm_detail::blocking<T>::kc + 9;
            check_gemm<T>(70, 65, deep, layout::row, layout::row, layout::row, rng, beta, path::packed);
            check_gemm<T>(33, 17, 20, layout::col, layout::sliced, layout::col, rng, beta, path::packed);
        }
    }
}

TEST_CASE_TEMPLATE("gemm: empty dimensions", T, float, double, std::int32_t, std::int64_t) {
    std::vector<T> a(12, T(1)), b(12, T(1)), c(12, T(7));
    SUBCASE("k == 0 writes zeros") {
        nabla::eval::gemm<T>(3, 4, 0, a.data(), 1, 1, b.data(), 4, 1, c.data(), 4, 1);
        for (T x : c) CHECK(x == T(0));
    }
    SUBCASE("k == 0 with beta scales C") {
        nabla::eval::gemm<T>(3, 4, 0, a.data(), 1, 1, b.data(), 4, 1, c.data(), 4, 1, T(2));
        for (T x : c) CHECK(x == T(14));
    }
    SUBCASE("m == 0 or n == 0 writes nothing") {
        nabla::eval::gemm<T>(0, 4, 3, a.data(), 3, 1, b.data(), 4, 1, c.data(), 4, 1);
        nabla::eval::gemm<T>(3, 0, 3, a.data(), 3, 1, b.data(), 1, 1, c.data(), 1, 1);
        nabla::eval::gemm<T>(0, 0, 0, a.data(), 1, 1, b.data(), 1, 1, c.data(), 1, 1);
        for (T x : c) CHECK(x == T(7));
    }
}

TEST_CASE("gemm: the documented example") {
    float a[2 * 3] = {1, 2, 3, 4, 5, 6}, b[3 * 2] = {1, 0, 0, 1, 1, 1}, c[2 * 2];
    nabla::eval::gemm<float>(2, 2, 3, a, 3, 1, b, 2, 1, c, 2, 1);
    CHECK(c[0] == 4);
    CHECK(c[1] == 5);
    CHECK(c[2] == 10);
    CHECK(c[3] == 11);
}

TEST_CASE("gemm: NaN and infinity propagate as in a naive product") {
    const float inf = std::numeric_limits<float>::infinity();
    for (int64_t size : {4, 64}) {   // small and packed paths
        std::vector<float> a(static_cast<std::size_t>(size * size), 1.0f), b = a, c(a.size());
        a[0] = std::numeric_limits<float>::quiet_NaN();   // row 0 of C
        b[1] = inf;                                         // column 1 of C (rows other than 0)
        nabla::eval::gemm<float>(size, size, size, a.data(), size, 1, b.data(), size, 1, c.data(), size, 1);
        CHECK(std::isnan(c[0]));
        CHECK(std::isnan(c[static_cast<std::size_t>(size - 1)]));
        CHECK(c[static_cast<std::size_t>(size + 1)] == inf);
        CHECK(c[static_cast<std::size_t>(size + 2)] == static_cast<float>(size));
    }
}

namespace {

template <class T>
std::vector<int64_t> edge_sizes() {
    const int64_t w = nabla::simd::width<T>;
    return {0, 1, w - 1, w, w + 1, 3 * w + 1, 4 * w, 4 * w + 3, 70};
}

/// Within a few k ulps of sum |x||y|: any summation order meets this bound.
template <class T>
bool close(T got, long double ref, long double mag, int64_t k) {
    return std::fabs(static_cast<long double>(got) - ref) <= 2.0L * (k + 2) * std::numeric_limits<T>::epsilon() * mag;
}

}  // namespace

TEST_CASE_TEMPLATE("gemv: edge sizes, both SIMD layouts and strided operands", T, float, double, std::int32_t,
                   std::int64_t) {
    std::mt19937_64 rng(7);
    for (int64_t m : edge_sizes<T>())
        for (int64_t k : edge_sizes<T>())
            for (layout la : all_layouts)
                for (int64_t xs : {1, 3})
                    for (int64_t ys : {1, 2}) {
                        CAPTURE(m);
                        CAPTURE(k);
                        CAPTURE(static_cast<int>(la));
                        CAPTURE(xs);
                        CAPTURE(ys);
                        matrix<T> a(m, k, la), x(k, 1, layout::row), y(m, 1, layout::row);
                        fill_random(a, rng);
                        std::vector<T> xv(static_cast<std::size_t>(std::max<int64_t>(k * xs, 1)), gap_value<T>());
                        std::vector<T> yv(static_cast<std::size_t>(std::max<int64_t>(m * ys, 1)), gap_value<T>());
                        fill_random(x, rng);
                        for (int64_t p = 0; p < k; ++p) xv[static_cast<std::size_t>(p * xs)] = x(p, 0);
                        nabla::eval::gemv<T>(m, k, a.data(), a.rs, a.cs, xv.data(), xs, yv.data(), ys);
                        int64_t bad = 0;
                        for (int64_t i = 0; i < m; ++i) {
                            long double ref = 0, mag = 0;
                            std::make_unsigned_t<std::conditional_t<std::is_floating_point_v<T>, int, T>> iref = 0;
                            for (int64_t p = 0; p < k; ++p) {
                                if constexpr (std::is_floating_point_v<T>) {
                                    ref += static_cast<long double>(a(i, p)) * x(p, 0);
                                    mag += std::fabs(static_cast<long double>(a(i, p)) * x(p, 0));
                                } else {
                                    iref += static_cast<decltype(iref)>(a(i, p)) * static_cast<decltype(iref)>(x(p, 0));
                                }
                            }
                            const T got = yv[static_cast<std::size_t>(i * ys)];
                            if constexpr (std::is_floating_point_v<T>) {
                                if (!close(got, ref, mag, k)) ++bad;
                            } else if (got != static_cast<T>(iref)) {
                                ++bad;
                            }
                        }
                        CHECK(bad == 0);
                        // entries of y between the strided ones are not written
                        for (std::size_t i = 0; i < yv.size(); ++i)
                            if (ys > 1 && i % static_cast<std::size_t>(ys) != 0) {
                                if constexpr (std::is_floating_point_v<T>) CHECK(std::isnan(yv[i]));
                                else CHECK(yv[i] == gap_value<T>());
                            }
                    }
}

TEST_CASE_TEMPLATE("dot: edge sizes, contiguous and strided", T, float, double, std::int32_t, std::int64_t) {
    std::mt19937_64 rng(8);
    const int64_t w = nabla::simd::width<T>;
    for (int64_t n : {int64_t{0}, int64_t{1}, w - 1, w, w + 1, 3 * w + 1, 4 * w, 4 * w + 1, 16 * w + 5, int64_t{1000}})
        for (int64_t xs : {1, 2})
            for (int64_t ys : {1, 3}) {
                CAPTURE(n);
                CAPTURE(xs);
                CAPTURE(ys);
                matrix<T> x(n, 1, layout::row), y(n, 1, layout::row);
                fill_random(x, rng);
                fill_random(y, rng);
                std::vector<T> xv(static_cast<std::size_t>(std::max<int64_t>(n * xs, 1)), gap_value<T>());
                std::vector<T> yv(static_cast<std::size_t>(std::max<int64_t>(n * ys, 1)), gap_value<T>());
                for (int64_t i = 0; i < n; ++i) {
                    xv[static_cast<std::size_t>(i * xs)] = x(i, 0);
                    yv[static_cast<std::size_t>(i * ys)] = y(i, 0);
                }
                const T got = nabla::eval::dot<T>(n, xv.data(), xs, yv.data(), ys);
                if constexpr (std::is_floating_point_v<T>) {
                    long double ref = 0, mag = 0;
                    for (int64_t i = 0; i < n; ++i) {
                        ref += static_cast<long double>(x(i, 0)) * y(i, 0);
                        mag += std::fabs(static_cast<long double>(x(i, 0)) * y(i, 0));
                    }
                    CHECK(close(got, ref, mag, n));
                } else {
                    using U = std::make_unsigned_t<T>;
                    U ref = 0;
                    for (int64_t i = 0; i < n; ++i) ref += static_cast<U>(x(i, 0)) * static_cast<U>(y(i, 0));
                    CHECK(got == static_cast<T>(ref));
                }
            }
}

// Rows i of y (stride ys) that are not close to sum_p at(i, p) * x(p), summed in long double.
template <class T, class At>
int64_t gemv_mismatches(int64_t m, int64_t k, At at, const matrix<T>& x, const T* y, int64_t ys) {
    int64_t bad = 0;
    for (int64_t i = 0; i < m; ++i) {
        long double ref = 0, mag = 0;
        for (int64_t p = 0; p < k; ++p) {
            ref += static_cast<long double>(at(i, p)) * x(p, 0);
            mag += std::fabs(static_cast<long double>(at(i, p)) * x(p, 0));
        }
        if (!close(y[i * ys], ref, mag, k)) ++bad;
    }
    return bad;
}

TEST_CASE_TEMPLATE("gemv: a transposed matrix read in memory order (mv's gradient)", T, float, double) {
    // y = Aᵀ g for a row-major A: the columns of the product's matrix are A's rows. y stays in
    // registers up to 4 batches (8 with AVX-512; half a batch on a half-width one), else it is
    // updated in blocks of gemv_y_block rows, four columns at a time, its last m mod w rows riding
    // along as one batch that ends at row m: every boundary of those paths, and every count of
    // columns left over.
    std::mt19937_64 rng(9);
    const int64_t w = nabla::simd::width<T>, yb = nabla::eval::gemm_detail::gemv_y_block<T>;
    for (int64_t m : {int64_t{1}, w / 2 - 1, w / 2, w - 1, w, w + 1, 2 * w, 2 * w + 1, 3 * w + 3, 4 * w, 4 * w + 1,
                      6 * w, 6 * w + 1, 8 * w, 8 * w + 1, int64_t{150}, yb, yb + 5, 2 * yb + w + 3})
        for (int64_t ys : {1, 2})
            for (int64_t k : {1, 2, 3, 4, 5, 7, 8, 9, 1000}) {
                if (m < 1) continue;
                CAPTURE(m);
                CAPTURE(k);
                CAPTURE(ys);
                matrix<T> rows(k, m, layout::row), g(k, 1, layout::row);  // the product reads rowsᵀ: m x k, a_rs = 1
                fill_random(rows, rng);
                fill_random(g, rng);
                std::vector<T> yv(static_cast<std::size_t>(m * ys), gap_value<T>());
                nabla::eval::gemv<T>(m, k, rows.data(), 1, rows.rs, g.data(), 1, yv.data(), ys);
                CHECK(gemv_mismatches<T>(m, k, [&](int64_t i, int64_t p) { return rows(p, i); }, g, yv.data(), ys) == 0);
                for (std::size_t i = 0; i < yv.size(); ++i)
                    if (ys > 1 && i % static_cast<std::size_t>(ys) != 0) CHECK(std::isnan(yv[i]));
            }
    CHECK(nabla::eval::gemm_detail::gemv_y_block<double> == 1024);
}

TEST_CASE_TEMPLATE("gemv: rows shorter than a batch run on a half-width one", T, float, double) {
    std::mt19937_64 rng(10);
    const int64_t w = nabla::simd::width<T>;
    for (int64_t k : {w / 2 - 1, w / 2, w / 2 + 1, w - 1, w, w + 3})
        for (int64_t m : {1, 3, 4, 5, 9}) {
            if (k < 1) continue;
            CAPTURE(m);
            CAPTURE(k);
            matrix<T> a(m, k, layout::row), x(k, 1, layout::row);
            fill_random(a, rng);
            fill_random(x, rng);
            std::vector<T> yv(static_cast<std::size_t>(m));
            nabla::eval::gemv<T>(m, k, a.data(), a.rs, 1, x.data(), 1, yv.data(), 1);
            CHECK(gemv_mismatches<T>(m, k, [&](int64_t i, int64_t p) { return a(i, p); }, x, yv.data(), 1) == 0);
        }
}

TEST_CASE("dot and gemv: documented examples") {
    float x[3] = {1, 2, 3}, y[3] = {4, 5, 6};
    CHECK(nabla::eval::dot<float>(3, x, 1, y, 1) == 32.0f);
    double a[2 * 2] = {1, 2, 3, 4}, v[2] = {1, 1}, r[2];
    nabla::eval::gemv<double>(2, 2, a, 2, 1, v, 1, r, 1);
    CHECK(r[0] == 3.0);
    CHECK(r[1] == 7.0);
}
