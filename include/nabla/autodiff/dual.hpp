#pragma once
/// \file dual.hpp
/// Forward mode: `nabla::dual<T, N>`, a value and N tangents (directional derivatives), with the
/// arithmetic and math functions of ops/ on it. T is `float`, `double` or a SIMD batch of them
/// (`nabla::simd::batch<double>` from eval/simd.hpp), so a fused loop can run on
/// `dual<batch<double>, N>`: one value batch and N tangent batches.
///
/// No derivative is written in this file. Every operator and function here calls
/// `autodiff::apply(op, args...)`, which evaluates the op functor on the values and forms each
/// tangent from the functor's own rule: t_j = sum over dual arguments I of partial<I>(y, values...) * t_j(arg I).
///
///     nb::dual<double> x(2.0, 1.0);          // x = 2, dx = 1
///     auto y = x * nb::sin(x);               // y.value() = 2 sin 2, y.tangent() = sin 2 + 2 cos 2
///     nb::dual<double, 3> a(1.0, {1, 0, 0}), b(2.0, {0, 1, 0}), c(3.0, {0, 0, 1});
///     auto f = a * b + nb::exp(c);           // f.tangent(i) = df/d(a, b, c)[i], in one pass

#include <array>
#include <concepts>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../core/error.hpp"
#include "../ops/arithmetic.hpp"
#include "../ops/compare.hpp"
#include "../ops/functions.hpp"
#include "../ops/math.hpp"

namespace nabla {

/// The value types a dual accepts: `float`, `double`, or a SIMD batch of them (anything with a
/// floating `value_type` and a lane count `size`, as xsimd's batches).
template <class T>
concept dual_value = std::floating_point<T> || requires {
    typename T::value_type;
    { T::size } -> std::convertible_to<std::size_t>;
    requires std::floating_point<typename T::value_type>;
};

template <class T, std::size_t N = 1>
class dual;

namespace detail {
template <class X> struct is_dual : std::false_type {};
template <class T, std::size_t N> struct is_dual<dual<T, N>> : std::true_type {};
}  // namespace detail

/// Duals of float and double are tensor elements: `nb::tensor<nb::dual<double, 2>>` (stored as
/// one value and its tangents per element; loops over them run on scalars).
template <class T, std::size_t N>
inline constexpr bool is_dual_element<dual<T, N>> = std::is_floating_point_v<T>;

/// A `nabla::dual<T, N>` (any cv/ref qualification).
template <class X>
concept dual_number = detail::is_dual<std::remove_cvref_t<X>>::value;

/// A dual number: a value and N tangents, the derivatives of the value along N directions.
/// `dual<double>` carries one derivative; `dual<double, 3>` carries a whole 3-gradient at once
/// (seed each input with a unit tangent, see `variable`). A scalar converts to a dual with zero
/// tangents (a constant). Comparisons compare values only.
///
///     nb::dual<double> x(3.0, 1.0);                 // value 3, tangent 1
///     nb::dual<double, 3> y(2.0, {0, 1, 0});        // value 2, tangents (0, 1, 0)
///     auto z = nb::dual<double, 3>::variable(5.0, 2);  // value 5, tangents (0, 0, 1)
template <class T, std::size_t N>
class dual {
    static_assert(dual_value<T>, "nabla::dual<T, N> requires T to be float, double, or a SIMD batch of them (nabla::simd::batch<double>)");
    static_assert(N >= 1, "nabla::dual<T, N> requires at least one tangent (N >= 1)");

public:
    using value_type = T;
    /// Number of tangents (directions).
    static constexpr std::size_t tangent_count = N;

    /// Zero, with zero tangents.
    dual() : dual(zero()) {}
    /// The constant v: zero tangents.
    dual(const T& v) : value_(v) { tangents_.fill(zero()); }
    /// The constant v given as a C++ scalar (also for a batch T: every lane v).
    template <class S>
        requires(std::is_arithmetic_v<S> && !std::is_same_v<S, T>)
    dual(S v) : dual(math::like_traits<T>::constant(static_cast<double>(v))) {}
    /// Value v with the one tangent t (N == 1): `dual<double>(x, 1.0)` seeds d/dx.
    template <class U>
        requires(N == 1 && std::convertible_to<const U&, T>)
    dual(const T& v, const U& t) : value_(v), tangents_{static_cast<T>(t)} {}
    /// Value v with tangents t: `dual<double, 3>(x, {1, 0, 0})`.
    dual(const T& v, const std::array<T, N>& t) : value_(v), tangents_(t) {}

    /// Value v seeded as input i of N: tangent i is 1, the others 0. Throws `nabla::index_error`
    /// when i >= N.
    static dual variable(const T& v, std::size_t i) {
        check_index(i);
        dual d(v);
        d.tangents_[i] = math::like_traits<T>::constant(1.0);
        return d;
    }

    const T& value() const noexcept { return value_; }
    T& value() noexcept { return value_; }

    /// The derivative, for a dual with one tangent.
    const T& tangent() const noexcept
        requires(N == 1)
    {
        return tangents_[0];
    }
    T& tangent() noexcept
        requires(N == 1)
    {
        return tangents_[0];
    }
    /// Tangent i (the derivative along direction i). Throws `nabla::index_error` when i >= N.
    const T& tangent(std::size_t i) const {
        check_index(i);
        return tangents_[i];
    }
    T& tangent(std::size_t i) {
        check_index(i);
        return tangents_[i];
    }
    /// All N tangents.
    const std::array<T, N>& tangents() const noexcept { return tangents_; }
    std::array<T, N>& tangents() noexcept { return tangents_; }

    template <class B> dual& operator+=(const B& b) { return *this = *this + b; }
    template <class B> dual& operator-=(const B& b) { return *this = *this - b; }
    template <class B> dual& operator*=(const B& b) { return *this = *this * b; }
    template <class B> dual& operator/=(const B& b) { return *this = *this / b; }

private:
    static T zero() { return math::like_traits<T>::constant(0.0); }
    static void check_index(std::size_t i) {
        if (i >= N)
            throw index_error("nabla::dual::tangent: index " + std::to_string(i) + " is out of bounds for dimension 0 with size " +
                              std::to_string(N));
    }

    T value_;
    std::array<T, N> tangents_;
};

}  // namespace nabla

/// Constants inside derivative rules applied to duals are duals with zero tangents.
template <class T, std::size_t N>
struct nabla::math::like_traits<nabla::dual<T, N>, void> {
    static nabla::dual<T, N> constant(double v) { return nabla::dual<T, N>(like_traits<T>::constant(v)); }
};

namespace nabla {

namespace autodiff {

namespace detail {

template <class... As> struct first_dual { using type = void; };
template <class A, class... As>
struct first_dual<A, As...> {
    using type = std::conditional_t<dual_number<A>, std::remove_cvref_t<A>, typename first_dual<As...>::type>;
};

// Argument I's value in the computation on values: a dual's value, a condition as it is (a bool
// condition beside batches becomes a mask), any other scalar converted to T (a "weak" scalar).
template <std::size_t I, class Op, class D, class A>
auto value_of(const A& a) {
    using T = typename D::value_type;
    if constexpr (dual_number<A>) {
        return a.value();
    } else if constexpr (I < Op::condition_operands) {
        if constexpr (std::is_same_v<A, bool> && !std::is_arithmetic_v<T>) return decltype(std::declval<T>() == std::declval<T>())(a);
        else return a;
    } else if constexpr (std::is_same_v<A, T>) {
        return a;
    } else {
        static_assert(std::is_arithmetic_v<A>,
                      "nabla::dual arithmetic: an operand that is not a dual must be a C++ arithmetic scalar or the dual's value type T");
        return math::like_traits<T>::constant(static_cast<double>(a));
    }
}

// Adds argument I's contribution partial<I>(y, values...) * t_j(arg I) to every tangent j.
template <std::size_t I, class Op, class D, class A, class... Vs>
void accumulate(const Op& op, D& out, const typename D::value_type& y, const A& a, const Vs&... vs) {
    if constexpr (dual_number<A> && I >= Op::condition_operands) {
        using T = typename D::value_type;
        using namespace math;
        const T p = static_cast<T>(op.template partial<I>(y, vs...));
        const T zero = constant_like(y, 0.0);
        for (std::size_t j = 0; j < D::tangent_count; ++j) {
            const T& t = a.tangents()[j];
            // A zero tangent: argument I does not move along direction j, so its partial adds
            // nothing, even where the partial is inf or NaN (pow's exponent rule at a negative
            // base). Each direction then equals what reverse mode gives for that input.
            out.tangents()[j] = out.tangents()[j] + select(t == zero, zero, p * t);
        }
    }
}

template <class D, class Op, class Args, class... Vs>
auto apply_values(const Op& op, const Args& args, const Vs&... vs) {
    if constexpr (!Op::differentiable) {
        // Comparisons and logical ops: a plain result on the values (bool, or a mask for batches).
        return op(vs...);
    } else {
        using T = typename D::value_type;
        const T y = static_cast<T>(op(vs...));
        D out(y);
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            (accumulate<I>(op, out, y, std::get<I>(args), vs...), ...);
        }(std::index_sequence_for<Vs...>{});
        return out;
    }
}

template <class D, class Op, std::size_t... I, class... As>
auto apply_impl(const Op& op, std::index_sequence<I...>, const As&... as) {
    return apply_values<D>(op, std::tuple<const As&...>(as...), value_of<I, Op, D>(as)...);
}

}  // namespace detail

/// The forward-mode engine: `op` applied to arguments of which at least one is a dual (the others
/// C++ scalars or values of T). The value is `op(values...)`; tangent j is
/// sum over dual arguments I of `op.partial<I>(y, values...) * tangent j of argument I`.
/// Ops without a derivative (comparisons) return their plain result on the values.
template <class Op, class... As>
auto apply(const Op& op, const As&... as) {
    using D = typename detail::first_dual<As...>::type;
    static_assert(!std::is_void_v<D>, "nabla::autodiff::apply(op, args...) needs at least one nabla::dual argument");
    static_assert(((!dual_number<As> || std::is_same_v<As, D>) && ...),
                  "nabla::dual arithmetic requires every dual operand to have the same type dual<T, N> (same T, same N)");
    return detail::apply_impl<D>(op, std::index_sequence_for<As...>{}, as...);
}

}  // namespace autodiff

/// The engines' hook (`math::invoke`): an op applied to element values of which one is a dual
/// takes its tangents from the op's derivative rule.
template <class Op, class... As>
    requires(dual_number<As> || ...)
auto invoke_op(const Op& op, const As&... as) {
    return autodiff::apply(op, as...);
}

namespace detail {
template <class S, class D>
concept dual_partner = dual_number<S> || std::is_arithmetic_v<std::remove_cvref_t<S>> ||
                       std::same_as<std::remove_cvref_t<S>, typename std::remove_cvref_t<D>::value_type>;
}  // namespace detail

/// Two operands of a dual operator: a dual and a dual, a C++ scalar, or a value of the dual's T.
template <class A, class B>
concept dual_operands = (dual_number<A> && detail::dual_partner<B, A>) || (dual_number<B> && detail::dual_partner<A, B>);

// ---- operators ------------------------------------------------------------------------------

template <class A, class B> requires dual_operands<A, B>
auto operator+(const A& a, const B& b) { return autodiff::apply(ops::add{}, a, b); }
template <class A, class B> requires dual_operands<A, B>
auto operator-(const A& a, const B& b) { return autodiff::apply(ops::sub{}, a, b); }
template <class A, class B> requires dual_operands<A, B>
auto operator*(const A& a, const B& b) { return autodiff::apply(ops::mul{}, a, b); }
template <class A, class B> requires dual_operands<A, B>
auto operator/(const A& a, const B& b) { return autodiff::apply(ops::div{}, a, b); }
template <dual_number A>
auto operator-(const A& a) { return autodiff::apply(ops::neg{}, a); }
template <dual_number A>
A operator+(const A& a) { return a; }

/// Comparisons compare values (tangents are ignored): bool for scalar duals, a mask for batches.
template <class A, class B> requires dual_operands<A, B>
auto operator==(const A& a, const B& b) { return autodiff::apply(ops::eq{}, a, b); }
template <class A, class B> requires dual_operands<A, B>
auto operator!=(const A& a, const B& b) { return autodiff::apply(ops::ne{}, a, b); }
template <class A, class B> requires dual_operands<A, B>
auto operator<(const A& a, const B& b) { return autodiff::apply(ops::lt{}, a, b); }
template <class A, class B> requires dual_operands<A, B>
auto operator<=(const A& a, const B& b) { return autodiff::apply(ops::le{}, a, b); }
template <class A, class B> requires dual_operands<A, B>
auto operator>(const A& a, const B& b) { return autodiff::apply(ops::gt{}, a, b); }
template <class A, class B> requires dual_operands<A, B>
auto operator>=(const A& a, const B& b) { return autodiff::apply(ops::ge{}, a, b); }

// ---- math functions: the same names as for expressions (expr/build.hpp) --------------------

/// |x|; the derivative at 0 is 0 (PyTorch's sgn).
template <dual_number X> auto abs(const X& x) { return autodiff::apply(ops::abs_fn{}, x); }
template <dual_number X> auto exp(const X& x) { return autodiff::apply(ops::exp_fn{}, x); }
template <dual_number X> auto log(const X& x) { return autodiff::apply(ops::log_fn{}, x); }
template <dual_number X> auto sqrt(const X& x) { return autodiff::apply(ops::sqrt_fn{}, x); }
template <dual_number X> auto sin(const X& x) { return autodiff::apply(ops::sin_fn{}, x); }
template <dual_number X> auto cos(const X& x) { return autodiff::apply(ops::cos_fn{}, x); }
template <dual_number X> auto tanh(const X& x) { return autodiff::apply(ops::tanh_fn{}, x); }
template <dual_number X> auto sigmoid(const X& x) { return autodiff::apply(ops::sigmoid_fn{}, x); }
/// max(x, 0); the derivative at 0 is 0, as PyTorch's.
template <dual_number X> auto relu(const X& x) { return autodiff::apply(ops::relu_fn{}, x); }
template <dual_number X> auto square(const X& x) { return autodiff::apply(ops::square_fn{}, x); }
/// x^y; either side may be a scalar (`pow(d, 3)`, `pow(2.0, d)`).
template <class A, class B> requires dual_operands<A, B>
auto pow(const A& a, const B& b) { return autodiff::apply(ops::pow_fn{}, a, b); }
/// Maximum; at a tie each side gets half the derivative (as PyTorch).
template <class A, class B> requires dual_operands<A, B>
auto maximum(const A& a, const B& b) { return autodiff::apply(ops::maximum_fn{}, a, b); }
/// Minimum; at a tie each side gets half the derivative (as PyTorch).
template <class A, class B> requires dual_operands<A, B>
auto minimum(const A& a, const B& b) { return autodiff::apply(ops::minimum_fn{}, a, b); }
/// x limited to [lo, hi]; the derivative is 1 on the closed interval, 0 outside (as PyTorch).
template <dual_number X> auto clamp(const X& x, double lo, double hi) { return autodiff::apply(ops::clamp_fn{{}, lo, hi}, x); }
/// a where cond is true, else b: cond is a bool (or a mask, for batch duals, e.g. `x < y`).
template <class C, class A, class B>
    requires((dual_number<A> && detail::dual_partner<B, A>) || (dual_number<B> && detail::dual_partner<A, B>))
auto where(const C& cond, const A& a, const B& b) { return autodiff::apply(ops::where_fn{}, cond, a, b); }
/// The same as `where`, under the name the op functors' bodies use.
template <class C, class A, class B>
    requires((dual_number<A> && detail::dual_partner<B, A>) || (dual_number<B> && detail::dual_partner<A, B>))
auto select(const C& cond, const A& a, const B& b) { return autodiff::apply(ops::where_fn{}, cond, a, b); }
/// True where the value is NaN.
template <dual_number X>
auto isnan(const X& x) {
    using namespace math;
    return isnan(x.value());
}

}  // namespace nabla
