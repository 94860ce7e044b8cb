#pragma once
/// \file forward.hpp
/// Forward-mode front ends on dual numbers (dual.hpp): `nabla::derivative(f, x)` for scalar
/// functions, `nabla::jvp(f, x, v)` for tensor functions (f runs once on a tensor of duals), and
/// `nabla::hessian(f)(x)`: forward over reverse — the static reverse pass of grad.hpp run on
/// duals, N = 8 directions per pass.

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <type_traits>

#include "../core/error.hpp"
#include "../factories.hpp"
#include "../tensor.hpp"
#include "dual.hpp"
#include "grad.hpp"

namespace nabla {

/// df/dx at x, for a scalar function of a scalar, in one evaluation of f on
/// `nabla::dual<T>(x, 1)`. T is the type of x for `float` and `double`, `double` for an integer x.
/// f is usually a generic lambda; a result that is not a dual (f constant) has derivative 0.
///
///     double d = nb::derivative([](auto x) { return x * nb::sin(x); }, 2.0);  // sin 2 + 2 cos 2
template <class F, class X>
    requires std::is_arithmetic_v<X>
auto derivative(F&& f, X x) {
    using T = std::conditional_t<std::is_floating_point_v<X>, X, double>;
    static_assert(std::is_invocable_v<F&, dual<T>>,
                  "nabla::derivative(f, x) calls f with a nabla::dual<T>: take the argument as `auto` (or nabla::dual<T>)");
    const auto y = f(dual<T>(static_cast<T>(x), T(1)));
    using Y = std::remove_cvref_t<decltype(y)>;
    if constexpr (std::is_same_v<Y, dual<T>>) {
        return y.tangent();
    } else {
        static_assert(std::is_arithmetic_v<Y>,
                      "nabla::derivative(f, x) requires f to return a scalar: a nabla::dual<T> (or a constant)");
        return T(0);
    }
}

namespace autodiff {

// x with tangent c of element i set to `seed(i, c)`, as a tensor of duals.
template <std::size_t N, class T, class S>
tensor<dual<T, N>> seeded(const tensor<T>& x, S seed) {
    const tensor<T> xc = x.is_contiguous() ? x : x.clone();
    tensor<dual<T, N>> d = empty<dual<T, N>>(x.shape());
    for (std::int64_t i = 0; i < x.numel(); ++i) {
        dual<T, N> v(xc.data()[i]);
        for (std::size_t c = 0; c < N; ++c) v.tangent(c) = seed(i, c);
        d.data()[i] = v;
    }
    return d;
}

}  // namespace autodiff

/// The Jacobian-vector product, as `torch.autograd.functional.jvp`: `auto [y, dy] = nb::jvp(f, x, v)`
/// gives f(x) and the derivative of f at x along v, from one run of f on `tensor<dual<T>>`
/// (every op of f applies its derivative rule to values and tangents). f takes `auto`.
template <class F, element T>
auto jvp(F&& f, const tensor<T>& x, const tensor<T>& v) {
    static_assert(std::is_floating_point_v<T>, "nabla::jvp(f, x, v) requires float or double tensors");
    if (!(x.shape() == v.shape()))
        throw shape_error("jvp: v has a shape of " + v.shape().str() + " but x has a shape of " + x.shape().str() +
                          "; they must be the same");
    const tensor<T> vc = v.is_contiguous() ? v : v.clone();
    const auto out = f(autodiff::seeded<1>(x, [&](std::int64_t i, std::size_t) { return vc.data()[i]; }));
    using Y = value_t<std::remove_cvref_t<decltype(out)>>;
    if constexpr (!is_dual_element<Y>) {  // f's value does not depend on x (e.g. x only in a condition)
        tensor<T> value = tensor<Y>(out).template to<T>();
        return std::pair{value, zeros<T>(value.shape())};
    } else {
    const tensor<dual<T>> y = out;
    tensor<T> value = empty<T>(y.shape()), tangent = empty<T>(y.shape());
    const tensor<dual<T>> yc = y.is_contiguous() ? y : y.clone();
    for (std::int64_t i = 0; i < y.numel(); ++i) {
        value.data()[i] = yc.data()[i].value();
        tangent.data()[i] = yc.data()[i].tangent();
    }
    return std::pair{value, tangent};
    }
}

/// The Hessian of a scalar function of one tensor, shaped `x.shape() + x.shape()` (as
/// `torch.autograd.functional.hessian`). Forward over reverse: `grad(f)` on a tensor of
/// `dual<T, 8>` gives, in its tangents, 8 columns of the Hessian per pass. f takes `auto`.
template <class F>
auto hessian(F f) {
    return [f = std::move(f)]<expression X>(const X& x_in) {
        using T = value_t<X>;
        static_assert(std::is_floating_point_v<T>, "nabla::hessian(f)(x): x must be a float or double tensor");
        constexpr std::size_t N = 8;
        using D = dual<T, N>;
        static_assert(autodiff::static_differentiable<F, D>,
                      "nabla::hessian(f)(x): f must be generic (take `auto`) and return a scalar expression of its argument");
        const tensor<T> x = autodiff::as_tensor(x_in);
        const std::int64_t n = x.numel();
        shape hs = x.shape();
        for (auto e : x.shape()) hs.push_back(e);
        tensor<T> h = empty<T>(hs);
        T* out = h.data();
        for (std::int64_t j0 = 0; j0 < n; j0 += static_cast<std::int64_t>(N)) {
            const tensor<D> xd = autodiff::seeded<N>(x, [&](std::int64_t i, std::size_t c) { return T(i == j0 + static_cast<std::int64_t>(c)); });
            const tensor<D> g = autodiff::static_grad<false>(f, xd);
            // tangent c of gradient element i: d(df/dx_i)/dx_(j0 + c)
            for (std::int64_t i = 0; i < n; ++i)
                for (std::int64_t c = 0; c < static_cast<std::int64_t>(N) && j0 + c < n; ++c)
                    out[i * n + j0 + c] = g.data()[i].tangent(static_cast<std::size_t>(c));
        }
        return h;
    };
}

}  // namespace nabla
