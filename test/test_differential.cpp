// Randomized differential test of the element-wise engine (fixed seed). Random expression trees
// (depth up to 5, every element-wise op, scalars on either side) over random broadcastable shapes
// and random views (permuted, sliced with steps, expanded by stride 0) are evaluated by nabla and
// by a naive reference that walks the tree once per element, reading the leaves through its own
// index arithmetic. Two kinds of cases:
//  - runtime trees: one interpreter, written once over generic values, run with nabla tensors
//    (every node builds a one-level expression over its children and is evaluated into a random
//    destination layout) and with reference numbers (per element);
//  - deep fused trees: fixed depth-5 expression shapes (generic lambdas) fed random operands, so
//    that the whole tree is ONE fused nabla expression.
// The reference computes in long double and carries a running bound on the error a correct float
// or double evaluation may have: + - * / and comparisons of exact inputs must match exactly;
// transcendental functions within a few ulps; elements whose result is legitimately undecided
// (a comparison within the error bound, division by a near-zero value, overflow) are not compared.
#include <doctest/doctest.h>
#include <nabla/nabla.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace nb = nabla;

namespace diff {

using ld = long double;
using i64 = std::int64_t;

// ---- reference numbers: long double value, error bound, undecided flag -------------------------
struct RB {
    bool v = false, unc = false;
};
template <class T>
struct R {
    ld v = 0, e = 0;  // e == 0: the library must produce exactly v
    bool unc = false;
};
template <class T> constexpr ld unit = ld(std::numeric_limits<T>::epsilon()) / 2;
template <class T> constexpr ld tiny = ld(std::numeric_limits<T>::min());  // absorbs denormal-range differences
template <class T> constexpr ld big = ld(std::numeric_limits<T>::max()) / 16;

// The reference of a result v whose inputs carry error e_in: exact if the inputs are exact, the
// op is exact (ulps == 0) and v is representable in T.
template <class T>
R<T> make(ld v, ld e_in, bool unc, bool exact_in, ld ulps = 0, ld abs_extra = 0) {
    R<T> r{v, 0, unc};
    if (std::isnan(v)) return r;
    if (!(std::fabs(v) < big<T>)) return {0, 0, true};
    if (!(exact_in && ulps == 0 && ld(T(v)) == v)) r.e = e_in + (ulps + 1) * unit<T> * std::fabs(v) + abs_extra + (ulps ? tiny<T> : 0);
    if (!std::isfinite(r.e) || std::fabs(v) + r.e >= big<T>) r.unc = true;
    return r;
}
template <class T> bool exact(R<T> a, R<T> b) { return a.e == 0 && b.e == 0; }
template <class T> R<T> nan_of(bool unc) { return {std::numeric_limits<ld>::quiet_NaN(), 0, unc}; }
template <class T> R<T> undecided() { return {0, 0, true}; }

template <class X> struct is_r : std::false_type {};
template <class T> struct is_r<R<T>> : std::true_type { using type = T; };
template <class A, class B> using r_t = typename std::conditional_t<is_r<A>::value, is_r<A>, is_r<B>>::type;
template <class T, class X> R<T> as_r(X x) {
    if constexpr (is_r<X>::value) return x;
    else return {ld(T(x)), 0, false};  // a scalar operand is converted to the compute type, as nabla does
}
template <class A, class B> concept r_pair = is_r<A>::value || is_r<B>::value;

template <class T> R<T> add(R<T> a, R<T> b) { return make<T>(a.v + b.v, a.e + b.e, a.unc || b.unc, exact(a, b)); }
template <class T> R<T> sub(R<T> a, R<T> b) { return make<T>(a.v - b.v, a.e + b.e, a.unc || b.unc, exact(a, b)); }
template <class T> R<T> mul(R<T> a, R<T> b) {
    return make<T>(a.v * b.v, std::fabs(a.v) * b.e + std::fabs(b.v) * a.e + a.e * b.e, a.unc || b.unc, exact(a, b));
}
template <class T> R<T> dvd(R<T> a, R<T> b) {
    if (std::isnan(a.v) || std::isnan(b.v)) return nan_of<T>(a.unc || b.unc);
    if (b.v == 0 || std::fabs(b.v) <= b.e) return undecided<T>();
    const ld v = a.v / b.v;
    return make<T>(v, (a.e + std::fabs(v) * b.e) / (std::fabs(b.v) - b.e), a.unc || b.unc, exact(a, b));
}
template <class A, class B> requires r_pair<A, B> auto operator+(A a, B b) { using T = r_t<A, B>; return add(as_r<T>(a), as_r<T>(b)); }
template <class A, class B> requires r_pair<A, B> auto operator-(A a, B b) { using T = r_t<A, B>; return sub(as_r<T>(a), as_r<T>(b)); }
template <class A, class B> requires r_pair<A, B> auto operator*(A a, B b) { using T = r_t<A, B>; return mul(as_r<T>(a), as_r<T>(b)); }
template <class A, class B> requires r_pair<A, B> auto operator/(A a, B b) { using T = r_t<A, B>; return dvd(as_r<T>(a), as_r<T>(b)); }
template <class T> R<T> operator-(R<T> a) { return {-a.v, a.e, a.unc}; }

// Continuous, 1-Lipschitz functions keep the error bound.
template <class T> R<T> abs(R<T> a) { return {std::fabs(a.v), a.e, a.unc}; }
template <class T> R<T> relu(R<T> a) { return {a.v < 0 ? 0 : a.v, a.e, a.unc}; }
template <class T> R<T> clamp(R<T> a, double lo, double hi) {
    return {std::isnan(a.v) ? a.v : std::min(std::max(a.v, ld(T(lo))), ld(T(hi))), a.e, a.unc};
}
// A NaN operand of maximum/minimum is left undecided here: the AVX-512 loop drops a left NaN
// (a known bug, asserted by a skipped case in test_elementwise.cpp).
template <class A, class B> requires r_pair<A, B> auto maximum(A x, B y) {
    using T = r_t<A, B>;
    const auto a = as_r<T>(x), b = as_r<T>(y);
    if (std::isnan(a.v) || std::isnan(b.v)) return undecided<T>();
    return R<T>{std::max(a.v, b.v), std::max(a.e, b.e), a.unc || b.unc};
}
template <class A, class B> requires r_pair<A, B> auto minimum(A x, B y) { return -maximum(-as_r<r_t<A, B>>(x), -as_r<r_t<A, B>>(y)); }
template <class T> R<T> square(R<T> a) { return make<T>(a.v * a.v, 2 * std::fabs(a.v) * a.e + a.e * a.e, a.unc, a.e == 0); }
template <class T> R<T> exp(R<T> a) { const ld v = std::exp(a.v); return make<T>(v, v * std::expm1(a.e), a.unc, false, 2); }
template <class T> R<T> sin(R<T> a) { return make<T>(std::sin(a.v), a.e, a.unc, false, 4, 2 * unit<T>); }
template <class T> R<T> cos(R<T> a) { return make<T>(std::cos(a.v), a.e, a.unc, false, 4, 2 * unit<T>); }
template <class T> R<T> tanh(R<T> a) { const ld v = std::tanh(a.v); return make<T>(v, a.e * (1 - v * v), a.unc, false, 4); }
template <class T> R<T> sigmoid(R<T> a) { const ld v = 1 / (1 + std::exp(-a.v)); return make<T>(v, a.e * v * (1 - v), a.unc, false, 4); }
template <class T> R<T> log(R<T> a) {
    if (std::isnan(a.v) || a.v + a.e < 0) return nan_of<T>(a.unc);
    if (a.v - a.e <= 0) return undecided<T>();
    return make<T>(std::log(a.v), a.e / (a.v - a.e), a.unc, false, 2);
}
template <class T> R<T> sqrt(R<T> a) {
    if (std::isnan(a.v) || a.v + a.e < 0) return nan_of<T>(a.unc);
    if (a.v == 0 && a.e == 0) return a;
    if (a.v - a.e <= 0) return undecided<T>();
    return make<T>(std::sqrt(a.v), a.e / std::sqrt(a.v - a.e), a.unc, a.e == 0);
}
// pow: a zero or NaN operand is left undecided (known bugs: pow(0, -1) and pow(NaN, 0), see
// test_elementwise.cpp); elsewhere the bound takes the corners of the operand intervals (x^y is
// monotone in each) plus the library's error, which grows with |y log x|.
template <class A, class B> requires r_pair<A, B> auto pow(A x, B y) {
    using T = r_t<A, B>;
    const auto a = as_r<T>(x), b = as_r<T>(y);
    if (a.unc || b.unc || std::isnan(a.v) || std::isnan(b.v) || std::fabs(a.v) <= a.e || a.v == 0) return undecided<T>();
    const bool integral = b.e == 0 && b.v == std::nearbyint(b.v);
    if (a.v < 0 && !integral) return b.e == 0 ? nan_of<T>(false) : undecided<T>();
    const ld v = std::pow(a.v, b.v);
    ld m = 0;
    for (const ld da : {-a.e, a.e})
        for (const ld db : {-b.e, b.e}) m = std::max(m, std::fabs(std::pow(a.v + da, b.v + db) - v));
    return make<T>(v, m, false, false, 8 + 4 * std::fabs(b.v * std::log(std::fabs(a.v))));
}
template <class T> R<T> where(RB c, R<T> a, R<T> b) { return c.unc ? undecided<T>() : c.v ? a : b; }
template <class T, class S> R<T> where(RB c, R<T> a, S s) { return where(c, a, as_r<T>(s)); }

template <class T, class F> RB compare(R<T> a, R<T> b, F f) {
    if (a.unc || b.unc) return {false, true};
    if (std::isnan(a.v) || std::isnan(b.v) || exact(a, b)) return {f(a.v, b.v), false};
    if (std::fabs(a.v - b.v) <= 2 * (a.e + b.e)) return {false, true};
    return {f(a.v, b.v), false};
}
template <class A, class B> requires r_pair<A, B> RB operator<(A a, B b) { using T = r_t<A, B>; return compare(as_r<T>(a), as_r<T>(b), [](ld x, ld y) { return x < y; }); }
template <class A, class B> requires r_pair<A, B> RB operator<=(A a, B b) { using T = r_t<A, B>; return compare(as_r<T>(a), as_r<T>(b), [](ld x, ld y) { return x <= y; }); }
template <class A, class B> requires r_pair<A, B> RB operator>(A a, B b) { using T = r_t<A, B>; return compare(as_r<T>(a), as_r<T>(b), [](ld x, ld y) { return x > y; }); }
template <class A, class B> requires r_pair<A, B> RB operator>=(A a, B b) { using T = r_t<A, B>; return compare(as_r<T>(a), as_r<T>(b), [](ld x, ld y) { return x >= y; }); }
template <class A, class B> requires r_pair<A, B> RB operator==(A a, B b) { using T = r_t<A, B>; return compare(as_r<T>(a), as_r<T>(b), [](ld x, ld y) { return x == y; }); }
template <class A, class B> requires r_pair<A, B> RB operator!=(A a, B b) { using T = r_t<A, B>; return compare(as_r<T>(a), as_r<T>(b), [](ld x, ld y) { return x != y; }); }
inline RB operator&(RB a, RB b) { return {a.v && b.v, a.unc || b.unc}; }
inline RB operator|(RB a, RB b) { return {a.v || b.v, a.unc || b.unc}; }
inline RB operator!(RB a) { return {!a.v, a.unc}; }

// ---- exact int64 reference with PyTorch's wrap-around -----------------------------------------
struct RI {
    i64 v = 0;
};
inline i64 wrap(std::uint64_t u) { return static_cast<i64>(u); }
inline std::uint64_t u(i64 x) { return static_cast<std::uint64_t>(x); }
template <class X> RI as_i(X x) { if constexpr (std::is_same_v<X, RI>) return x; else return {i64(x)}; }
template <class A, class B> concept ri_pair = std::is_same_v<A, RI> || std::is_same_v<B, RI>;
template <class A, class B> requires ri_pair<A, B> RI operator+(A a, B b) { return {wrap(u(as_i(a).v) + u(as_i(b).v))}; }
template <class A, class B> requires ri_pair<A, B> RI operator-(A a, B b) { return {wrap(u(as_i(a).v) - u(as_i(b).v))}; }
template <class A, class B> requires ri_pair<A, B> RI operator*(A a, B b) { return {wrap(u(as_i(a).v) * u(as_i(b).v))}; }
inline RI operator-(RI a) { return {wrap(0 - u(a.v))}; }
inline RI abs(RI a) { return a.v < 0 ? -a : a; }
inline RI relu(RI a) { return {std::max<i64>(a.v, 0)}; }
inline RI square(RI a) { return a * a; }
inline RI clamp(RI a, double lo, double hi) { return {std::min(std::max(a.v, i64(lo)), i64(hi))}; }
template <class A, class B> requires ri_pair<A, B> RI maximum(A a, B b) { return {std::max(as_i(a).v, as_i(b).v)}; }
template <class A, class B> requires ri_pair<A, B> RI minimum(A a, B b) { return {std::min(as_i(a).v, as_i(b).v)}; }
inline RI pow(RI a, int k) { RI r{1}; for (int i = 0; i < k; ++i) r = r * a; return r; }
template <class A, class B> requires ri_pair<A, B> RB operator<(A a, B b) { return {as_i(a).v < as_i(b).v, false}; }
template <class A, class B> requires ri_pair<A, B> RB operator<=(A a, B b) { return {as_i(a).v <= as_i(b).v, false}; }
template <class A, class B> requires ri_pair<A, B> RB operator>(A a, B b) { return {as_i(a).v > as_i(b).v, false}; }
template <class A, class B> requires ri_pair<A, B> RB operator>=(A a, B b) { return {as_i(a).v >= as_i(b).v, false}; }
template <class A, class B> requires ri_pair<A, B> RB operator==(A a, B b) { return {as_i(a).v == as_i(b).v, false}; }
template <class A, class B> requires ri_pair<A, B> RB operator!=(A a, B b) { return {as_i(a).v != as_i(b).v, false}; }
template <class S> RI where(RB c, RI a, S b) { return c.v ? a : as_i(b); }

// ---- random shapes and layouts -----------------------------------------------------------------
using dims = std::vector<i64>;
struct rng_t {
    std::mt19937_64 g{20240601};
    i64 below(i64 n) { return static_cast<i64>(g() % static_cast<std::uint64_t>(n)); }
    bool coin(double p) { return double(g() >> 11) * 0x1.0p-53 < p; }
};

// Where a logical tensor lives in its base buffer (my model, independent of the library's views).
struct layout {
    dims shape, stride;
    i64 offset = 0;
    i64 at(const dims& idx) const {
        i64 o = offset;
        for (std::size_t d = 0; d < idx.size(); ++d) o += idx[d] * stride[d];
        return o;
    }
};
template <class T>
struct placed {
    nb::tensor<T> view, base;
    layout where;
};

inline dims row_major(const dims& s) {
    dims st(s.size(), 1);
    for (int d = int(s.size()) - 2; d >= 0; --d) st[d] = st[d + 1] * s[d + 1];
    return st;
}

// A tensor of the given logical shape: 0 contiguous; 1 a permuted view of a slice with steps and
// offsets of a bigger buffer (built with nabla's views); 2 expanded with stride-0 dimensions (from_blob).
template <class T>
placed<T> place(rng_t& r, const dims& shape, int kind) {
    placed<T> p;
    p.where.shape = shape;
    const int rank = int(shape.size());
    if (kind == 0) {
        p.base = nb::empty<T>(nb::shape(shape.begin(), shape.end()));
        p.view = p.base;
        p.where.stride = row_major(shape);
    } else if (kind == 1 && rank == 0) {
        p.base = nb::empty<T>({3});
        p.view = p.base[1];
        p.where.offset = 1;
    } else if (kind == 1) {
        dims q(rank), n(rank), step(rank), off(rank), m(rank);
        for (int i = 0; i < rank; ++i) q[i] = i;
        for (int i = rank - 1; i > 0; --i) std::swap(q[i], q[r.below(i + 1)]);
        for (int i = 0; i < rank; ++i) n[q[i]] = shape[i];
        for (int j = 0; j < rank; ++j) {
            step[j] = 1 + r.below(3);
            off[j] = r.below(2);
            m[j] = off[j] + (n[j] - 1) * step[j] + 1 + r.below(2);
        }
        p.base = nb::empty<T>(nb::shape(m.begin(), m.end()));
        const dims cs = row_major(m);
        nb::tensor<T> s = p.base;
        for (int j = 0; j < rank; ++j) {
            s = s.slice(j, off[j], off[j] + (n[j] - 1) * step[j] + 1, step[j]);
            p.where.offset += off[j] * cs[j];
        }
        bool reversed = true;
        for (int i = 0; i < rank; ++i) reversed = reversed && q[i] == rank - 1 - i;
        p.view = reversed ? s.T() : s.permute(nb::shape(q.begin(), q.end()));
        for (int i = 0; i < rank; ++i) p.where.stride.push_back(step[q[i]] * cs[q[i]]);
    } else {
        dims st(rank, 0);
        i64 size = 1;
        for (int d = rank - 1; d >= 0; --d)
            if (shape[d] == 1 || r.coin(0.5)) {
                st[d] = size;
                size *= shape[d];
            }
        p.base = nb::empty<T>({size});
        p.view = nb::from_blob(p.base.data(), nb::shape(shape.begin(), shape.end()), nb::shape(st.begin(), st.end()));
        p.where.stride = st;
    }
    return p;
}

// Calls f(idx) for every multi-index of shape s in row-major order.
template <class F>
void for_each_index(const dims& s, F f) {
    i64 n = 1;
    for (auto e : s) n *= e;
    dims idx(s.size(), 0);
    for (i64 k = 0; k < n; ++k) {
        f(idx);
        for (int d = int(s.size()) - 1; d >= 0; --d) {
            if (++idx[d] < s[d]) break;
            idx[d] = 0;
        }
    }
}

inline dims broadcast(const dims& a, const dims& b) {
    dims out(std::max(a.size(), b.size()), 1);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const i64 x = i < a.size() ? a[a.size() - 1 - i] : 1, y = i < b.size() ? b[b.size() - 1 - i] : 1;
        out[out.size() - 1 - i] = std::max(x, y);
    }
    return out;
}

// ---- runtime trees ------------------------------------------------------------------------------
enum class K {
    leaf, add, sub, mul, div, maximum, minimum, pow,                             // tensor op tensor
    add_sd, add_is, mul_sf, mul_ds, sub_is, sub_sf, div_si, div_ds,               // with a scalar (type, side)
    max_sd, min_is, pow_si, pow_sd, pow_ds,
    neg, abs, exp, log, sqrt, sin, cos, tanh, sigmoid, relu, square, clamp, where, where_s,
    lt, le, gt, ge, eq, ne, gt_s, land, lor, lnot                                 // bool-valued
};
constexpr const char* names[] = {"x", "+", "-", "*", "/", "maximum", "minimum", "pow", "+2.0", "3+", "*0.5f", "2.0*",
                                 "3-", "-0.5f", "/2", "2.0/", "maximum(,s)", "minimum(s,)", "pow(,k)", "pow(,s)",
                                 "pow(s,)", "neg", "abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu",
                                 "square", "clamp", "where", "where(,,s)", "<", "<=", ">", ">=", "==", "!=", ">s", "&", "|", "!"};
const std::vector<K> float_ops{K::add, K::sub, K::mul, K::div, K::maximum, K::minimum, K::pow, K::add_sd, K::add_is,
                               K::mul_sf, K::mul_ds, K::sub_is, K::sub_sf, K::div_si, K::div_ds, K::max_sd, K::min_is,
                               K::pow_si, K::pow_sd, K::pow_ds, K::neg, K::abs, K::exp, K::log, K::sqrt, K::sin,
                               K::cos, K::tanh, K::sigmoid, K::relu, K::square, K::clamp, K::where, K::where_s};
const std::vector<K> int_ops{K::add, K::sub, K::mul, K::maximum, K::minimum, K::add_is, K::sub_is, K::min_is,
                             K::pow_si, K::neg, K::abs, K::relu, K::square, K::clamp, K::where, K::where_s};
const std::vector<K> bool_ops{K::lt, K::le, K::gt, K::ge, K::eq, K::ne, K::gt_s, K::land, K::lor, K::lnot};

struct tnode {
    K op = K::leaf;
    int a = -1, b = -1, c = -1, leaf = -1;
    double s = 0;
};
struct tree {
    std::vector<tnode> n;
    int root = -1;
    bool boolean = false;
};

inline int gen(tree& t, rng_t& r, int depth, bool floating, bool boolean, int leaves) {
    tnode x;
    if (boolean) {
        x.op = depth <= 1 ? K(int(K::lt) + r.below(7)) : bool_ops[r.below(i64(bool_ops.size()))];
    } else if (depth <= 0 || r.coin(0.2)) {
        x.leaf = int(r.below(leaves));
    } else {
        x.op = floating ? float_ops[r.below(i64(float_ops.size()))] : int_ops[r.below(i64(int_ops.size()))];
    }
    const double fs[] = {2, 0.5, -1.5, 3, 0.25, -4}, is[] = {2, -3, 5, 1, 0, 7};
    x.s = floating ? fs[r.below(6)] : is[r.below(6)];
    if (x.op == K::pow_si) x.s = floating ? double(r.below(6) - 2) : double(r.below(4));
    if (x.op == K::pow_sd) x.s = (x.s == 2 || x.s == 3) ? 1.5 : 0.5;
    const bool cond = x.op == K::where || x.op == K::where_s, logic = x.op == K::land || x.op == K::lor || x.op == K::lnot;
    if (x.op != K::leaf) x.a = gen(t, r, depth - 1, floating, cond || logic, leaves);
    const bool binary = (x.op != K::leaf && x.op <= K::pow) || x.op == K::where || x.op == K::where_s || (boolean && x.op != K::gt_s && x.op != K::lnot);
    if (binary) x.b = gen(t, r, depth - 1, floating, logic, leaves);
    if (x.op == K::where) x.c = gen(t, r, depth - 1, floating, false, leaves);
    t.n.push_back(x);
    return int(t.n.size()) - 1;
}

inline std::string show(const tree& t, int i) {
    const tnode& x = t.n[i];
    if (x.op == K::leaf) return "x" + std::to_string(x.leaf);
    std::string s = std::string(names[int(x.op)]) + "(" + show(t, x.a);
    if (x.b >= 0) s += ", " + show(t, x.b);
    if (x.c >= 0) s += ", " + show(t, x.c);
    return s + (x.b < 0 && x.op != K::neg ? ", s=" + std::to_string(x.s) : "") + ")";
}

// The interpreter, written once: F::num is a nabla tensor (each node evaluated by `hook`) or a
// reference number (hook is the identity).
template <class F> typename F::boolean cond(const tree& t, int i, F& f);
template <class F>
typename F::num num(const tree& t, int i, F& f) {
    const tnode& x = t.n[i];
    if (x.op == K::leaf) return f.leaf(x.leaf);
    if (x.op == K::where) return f.hook(where(cond(t, x.a, f), num(t, x.b, f), num(t, x.c, f)));
    if (x.op == K::where_s) {
        if constexpr (F::floating) return f.hook(where(cond(t, x.a, f), num(t, x.b, f), x.s));
        else return f.hook(where(cond(t, x.a, f), num(t, x.b, f), int(x.s)));
    }
    auto a = num(t, x.a, f);
    auto b = [&] { return num(t, x.b, f); };
    const double s = x.s;
    switch (x.op) {
    case K::add: return f.hook(a + b());
    case K::sub: return f.hook(a - b());
    case K::mul: return f.hook(a * b());
    case K::maximum: return f.hook(maximum(a, b()));
    case K::minimum: return f.hook(minimum(a, b()));
    case K::add_is: return f.hook(int(s) + a);
    case K::sub_is: return f.hook(int(s) - a);
    case K::min_is: return f.hook(minimum(int(s), a));
    case K::pow_si: return f.hook(pow(a, int(s)));
    case K::neg: return f.hook(-a);
    case K::abs: return f.hook(abs(a));
    case K::relu: return f.hook(relu(a));
    case K::square: return f.hook(square(a));
    case K::clamp: return f.hook(clamp(a, -s, 2 * std::fabs(s)));
    default: break;
    }
    if constexpr (F::floating) {
        switch (x.op) {
        case K::div: return f.hook(a / b());
        case K::pow: return f.hook(pow(a, b()));
        case K::add_sd: return f.hook(a + s);
        case K::mul_sf: return f.hook(a * float(s));
        case K::mul_ds: return f.hook(s * a);
        case K::sub_sf: return f.hook(a - float(s));
        case K::div_si: return f.hook(a / int(s));
        case K::div_ds: return f.hook(s / a);
        case K::max_sd: return f.hook(maximum(a, s));
        case K::pow_sd: return f.hook(pow(a, s));
        case K::pow_ds: return f.hook(pow(std::fabs(s) + 0.5, a));
        case K::exp: return f.hook(exp(a));
        case K::log: return f.hook(log(a));
        case K::sqrt: return f.hook(sqrt(a));
        case K::sin: return f.hook(sin(a));
        case K::cos: return f.hook(cos(a));
        case K::tanh: return f.hook(tanh(a));
        default: return f.hook(sigmoid(a));
        }
    }
    return a;  // not reached: integer trees use only the ops above
}
template <class F>
typename F::boolean cond(const tree& t, int i, F& f) {
    const tnode& x = t.n[i];
    switch (x.op) {
    case K::land: return f.hook(cond(t, x.a, f) & cond(t, x.b, f));
    case K::lor: return f.hook(cond(t, x.a, f) | cond(t, x.b, f));
    case K::lnot: return f.hook(!cond(t, x.a, f));
    case K::gt_s:
        if constexpr (F::floating) return f.hook(num(t, x.a, f) > x.s);
        else return f.hook(num(t, x.a, f) > int(x.s));
    default: break;
    }
    auto a = num(t, x.a, f);
    auto b = num(t, x.b, f);
    switch (x.op) {
    case K::lt: return f.hook(a < b);
    case K::le: return f.hook(a <= b);
    case K::gt: return f.hook(a > b);
    case K::ge: return f.hook(a >= b);
    case K::eq: return f.hook(a == b);
    default: return f.hook(a != b);
    }
}

// ---- fixed deep shapes (depth >= 5), one fused expression each ---------------------------------
// `sink` turns the expression into the common result: evaluates it (nabla) or passes it on (reference).
const auto deep_float = [](int which, auto sink, auto a, auto b, auto c, auto d, auto e) {
    switch (which) {
    case 0: return sink(sigmoid(exp(sin(a) * b - c) + tanh(d * 2.0)) / (abs(e) + 1));
    case 1: return sink(where((a < b) & !(c > 0.5f), maximum(a * c, b - d), minimum(sqrt(abs(e)), -a) + 1) * 3);
    case 2: return sink(pow(abs(a) + 0.5, clamp(b, -2, 2)) - log(square(c) + 1) * relu(d - e));
    case 3: return sink(clamp(cos(a + b) * sin(c - d) * 4, -1.5, 1.5) - where(e >= a, e, a) / 2);
    case 4: return sink(minimum(maximum(a, b), maximum(c, minimum(d, e))) - relu(-(a - 2 * b)) + sqrt(square(c) + square(d)));
    default: return sink(((a + b) * (c - d) - (a * d + b * c)) * e + 2 - a);
    }
};
const auto deep_int = [](int which, auto sink, auto a, auto b, auto c, auto d, auto e) {
    switch (which) {
    case 0: return sink(where((a < b) | (c == d), maximum(a * c, b - d), minimum(abs(e), -a) + 1) * 3);
    case 1: return sink(clamp(square(a) - relu(b * c), -100, 100) + pow(d, 2) * e - abs(a - e));
    default: return sink(((a + b) * (c - d) - (a * d + b * c)) * e + 2 - a);
    }
};

// ---- the two families -----------------------------------------------------------------------
template <class T>
struct lib_family {
    using num = nb::tensor<T>;
    using boolean = nb::tensor<bool>;
    static constexpr bool floating = std::is_floating_point_v<T>;
    rng_t* r;
    const std::vector<placed<T>>* leaves;
    num leaf(int k) const { return (*leaves)[k].view; }
    // Evaluates into a random destination: a new tensor, or a permuted and stepped view. It calls
    // the kernel directly: the public paths (tensor(e), copy_) run the same kernel but, for floating
    // results, also instantiate autograd recording, which would multiply this file's compile time.
    template <class E>
    nb::tensor<nb::value_t<E>> hook(const E& e) const {
        using V = nb::value_t<E>;
        const auto& s = e.shape();
        auto p = place<V>(*r, dims(s.begin(), s.end()), int(r->below(2)));
        nb::eval::assign(p.view.target(), e);
        return p.view;
    }
};
template <class T>
struct ref_family {
    using num = std::conditional_t<std::is_floating_point_v<T>, R<T>, RI>;
    using boolean = RB;
    static constexpr bool floating = std::is_floating_point_v<T>;
    const std::vector<placed<T>>* leaves;
    const dims* idx;  // the output element being computed
    num leaf(int k) const {
        const placed<T>& p = (*leaves)[k];
        const auto& s = p.where.shape;
        i64 o = p.where.offset;
        for (std::size_t d = 0, shift = idx->size() - s.size(); d < s.size(); ++d)
            o += (s[d] == 1 ? 0 : (*idx)[d + shift]) * p.where.stride[d];
        if constexpr (floating) return {ld(p.base.data()[o]), 0, false};
        else return {p.base.data()[o]};
    }
    template <class X> X hook(X x) const { return x; }
};

struct stats {
    i64 cases = 0, elements = 0, undecided = 0, mismatches = 0;
};

// Random output shape (rank 0..4, extents 1..7, sometimes an innermost extent around the SIMD
// widths) and leaves broadcastable to it.
template <class T>
std::vector<placed<T>> make_leaves(rng_t& r, int count) {
    const i64 rank = r.below(5);
    dims out;
    for (i64 d = 0; d < rank; ++d) out.push_back(1 + r.below(7));
    const i64 wide[] = {15, 16, 17, 31, 32, 33, 9};
    if (rank > 0 && r.coin(0.3)) out.back() = wide[r.below(7)];
    std::vector<placed<T>> leaves;
    for (int k = 0; k < count; ++k) {
        dims s(out.begin() + (r.coin(0.7) ? 0 : r.below(rank + 1)), out.end());
        for (auto& e : s)
            if (r.coin(0.25)) e = 1;
        auto p = place<T>(r, s, int(r.below(3)));
        const i64 n = p.base.numel();
        for (i64 i = 0; i < n; ++i) {
            if constexpr (std::is_floating_point_v<T>) {
                // exact dyadic values, or full-precision ones
                p.base.data()[i] = r.coin(0.5) ? T(r.below(65) - 32) / T(8) : T(double(r.below(1 << 30)) / double(1 << 27) - 4);
            } else {
                p.base.data()[i] = r.coin(0.9) ? r.below(201) - 100 : i64(r.g());
            }
        }
        leaves.push_back(p);
    }
    return leaves;
}

// Evaluates (tensor family) and compares with the reference at every element.
template <class T, class Lib, class Ref>
void compare_case(rng_t& r, const std::vector<placed<T>>& leaves, const dims& shape, Lib lib, Ref ref, stats& st,
                  const std::string& what) {
    auto got = lib();
    using V = nb::value_t<decltype(got)>;
    REQUIRE(dims(got.shape().begin(), got.shape().end()) == shape);
    auto dst = place<V>(r, shape, int(r.below(2)));  // read back through my own layout model
    if (std::is_same_v<V, bool> || r.coin(0.5)) {
        dst.view.copy_(got);
    } else {
        dst.view.fill_(0);
        dst.view += got;
    }
    ++st.cases;
    for_each_index(shape, [&](const dims& idx) {
        ref_family<T> f{&leaves, &idx};
        const auto want = ref(f);
        const V g = dst.base.data()[dst.where.at(idx)];
        ++st.elements;
        bool ok;
        if constexpr (std::is_same_v<std::remove_cv_t<decltype(want)>, RB>) {
            if (want.unc) return void(++st.undecided);
            ok = g == want.v;
        } else if constexpr (std::is_same_v<std::remove_cv_t<decltype(want)>, RI>) {
            ok = g == want.v;
        } else {
            if (want.unc) return void(++st.undecided);
            ok = std::isnan(want.v) ? std::isnan(g) : want.e == 0 ? ld(g) == want.v : std::fabs(ld(g) - want.v) <= 2 * want.e;
        }
        if (!ok && st.mismatches++ < 8) {
            std::string where;
            for (auto i : idx) where += std::to_string(i) + " ";
            char buf[96];
            std::snprintf(buf, sizeof buf, "got %.17Lg want %.17Lg", ld(g), ld(want.v));
            MESSAGE("mismatch in " << what << " at [" << where << "]: " << buf);
        }
    });
}

template <class T>
void run_cases(rng_t& r, int count, stats& st) {
    constexpr bool floating = std::is_floating_point_v<T>;
    for (int c = 0; c < count; ++c) {
        const bool deep = c % 2 == 1;
        const int nleaves = deep ? 5 : 1 + int(r.below(4));
        const auto leaves = make_leaves<T>(r, nleaves);
        if (deep) {
            const int which = int(r.below(floating ? 6 : 3));
            dims shape;
            for (const auto& l : leaves) shape = broadcast(shape, l.where.shape);
            const auto body = [&](auto sink, auto a, auto b, auto cc, auto d, auto e) {
                if constexpr (floating) return deep_float(which, sink, a, b, cc, d, e);
                else return deep_int(which, sink, a, b, cc, d, e);
            };
            lib_family<T> lf{&r, &leaves};
            const auto evaluate = [&](const auto& ex) -> nb::tensor<T> { return lf.hook(ex); };
            const auto pass = [](auto x) { return x; };
            compare_case<T>(
                r, leaves, shape,
                [&] { return body(evaluate, leaves[0].view, leaves[1].view, leaves[2].view, leaves[3].view, leaves[4].view); },
                [&](ref_family<T>& f) { return body(pass, f.leaf(0), f.leaf(1), f.leaf(2), f.leaf(3), f.leaf(4)); }, st,
                "deep shape " + std::to_string(which));
        } else {
            tree t;
            t.boolean = r.coin(0.15);
            t.root = gen(t, r, 1 + int(r.below(5)), floating, t.boolean, nleaves);
            dims shape;
            for (const auto& x : t.n)
                if (x.op == K::leaf) shape = broadcast(shape, leaves[x.leaf].where.shape);
            lib_family<T> lf{&r, &leaves};
            if (t.boolean)
                compare_case<T>(r, leaves, shape, [&] { return cond(t, t.root, lf); }, [&](ref_family<T>& f) { return cond(t, t.root, f); }, st, show(t, t.root));
            else
                compare_case<T>(r, leaves, shape, [&] { return num(t, t.root, lf); }, [&](ref_family<T>& f) { return num(t, t.root, f); }, st, show(t, t.root));
        }
    }
}

}  // namespace diff

TEST_CASE("differential: random fused expressions against a naive per-element reference") {
    diff::rng_t r;
    diff::stats f, d, i;
    diff::run_cases<float>(r, 5000, f);
    diff::run_cases<double>(r, 4000, d);
    diff::run_cases<std::int64_t>(r, 3000, i);
    for (const auto* s : {&f, &d, &i})
        MESSAGE("cases " << s->cases << ", elements " << s->elements << ", undecided " << s->undecided << ", mismatches " << s->mismatches);
    CHECK(f.cases + d.cases + i.cases >= 10000);
    CHECK(f.mismatches == 0);
    CHECK(d.mismatches == 0);
    CHECK(i.mismatches == 0);
    // the reference leaves few elements undecided, so the comparison has teeth
    CHECK(f.undecided * 5 < f.elements);
    CHECK(d.undecided * 10 < d.elements);
    CHECK(i.undecided == 0);
}
