#pragma once
/// \file staged.hpp
/// The graph `nabla::grad(f)` differentiates. `f` receives `var<T, I>` arguments (argument I,
/// symbolic); element-wise operations on them build ordinary expression nodes, while operations
/// that cannot be fused into one element-wise loop — reductions, products, scans, norms, views —
/// return a *staged* node. A staged node computes its value when it is built (the forward pass
/// runs exactly once) and stores it beside its inputs, whose types the static reverse pass
/// (autodiff/grad.hpp) walks at compile time. To the element-wise engine a staged node is a leaf
/// that reads its value, so `exp(x.sum() - x)` is still one fused loop.
///
/// Nodes here only store; every derivative rule lives in the op functors and autodiff/rules.hpp.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "core/autograd.hpp"
#include "expr/methods.hpp"
#include "tensor.hpp"

namespace nabla {

/// View functors: the same view applied to a value (forward) and to a zero gradient (backward).
namespace views {
struct index { std::int64_t i; template <class T> tensor<T> operator()(const tensor<T>& t) const { return t[i]; } };
struct select { std::int64_t d, i; template <class T> tensor<T> operator()(const tensor<T>& t) const { return t.select(d, i); } };
struct slice {
    std::int64_t d, b, e, step;
    template <class T> tensor<T> operator()(const tensor<T>& t) const { return t.slice(d, b, e, step); }
};
struct transpose { std::int64_t a, b; template <class T> tensor<T> operator()(const tensor<T>& t) const { return t.transpose(a, b); } };
struct permute { shape order; template <class T> tensor<T> operator()(const tensor<T>& t) const { return t.permute(order); } };
struct reversed { template <class T> tensor<T> operator()(const tensor<T>& t) const { return t.T(); } };
struct matrix_t { template <class T> tensor<T> operator()(const tensor<T>& t) const { return t.t(); } };
struct reshape { shape s; template <class T> tensor<T> operator()(const tensor<T>& t) const { return t.reshape(s); } };
}  // namespace views

template <class E, class V>
struct staged_view;

namespace detail {
/// One counter for every kind of staged node on this thread.
inline std::uint64_t next_staged_seq() noexcept {
    thread_local std::uint64_t n = 0;
    return ++n;
}
}  // namespace detail

/// What every staged node (and `var`) offers: the leaf interface the evaluators read, the value
/// computed when it was built, and views that stay in the graph.
template <class D, element Elem>
struct staged_base : expr_methods<D> {
    using nabla_expression_tag = void;
    using nabla_leaf_tag = void;
    using nabla_symbolic_tag = void;
    using value_type = Elem;

    explicit staged_base(tensor<Elem> v) : value_(std::move(v)), seq_(detail::next_staged_seq()) {}

    const nabla::shape& shape() const noexcept { return value_.shape(); }
    const nabla::strides& strides() const noexcept { return value_.strides(); }
    Elem* data() const noexcept { return value_.data(); }
    bool is_contiguous() const noexcept { return value_.is_contiguous(); }
    const nabla::storage& storage() const noexcept { return value_.storage(); }
    bool defined() const noexcept { return value_.defined(); }
    bool requires_grad() const noexcept { return false; }
    const detail::meta_ref& autograd() const noexcept {
        static const detail::meta_ref none;
        return none;
    }

    /// Creation order of staged nodes on this thread (copies of a node share it): the static
    /// reverse pass visits each node once, newest first, with the sum of its adjoints.
    std::uint64_t seq() const noexcept { return seq_; }
    /// The value computed in the forward pass (a plain tensor, outside the graph).
    const tensor<Elem>& value() const noexcept { return value_; }
    tensor<Elem> detach() const { return value_.detach(); }
    Elem item() const { return value_.item(); }
    /// Branching on values is allowed: they are known when the node is built.
    explicit operator bool() const { return static_cast<bool>(value_); }
    const D& eval() const noexcept { return this->self(); }

    auto operator[](std::int64_t i) const { return view(views::index{i}); }
    auto select(std::int64_t d, std::int64_t i) const { return view(views::select{d, i}); }
    auto slice(std::int64_t d, std::int64_t b, std::int64_t e, std::int64_t step = 1) const {
        return view(views::slice{d, b, e, step});
    }
    auto transpose(std::int64_t a, std::int64_t b) const { return view(views::transpose{a, b}); }
    auto permute(const nabla::shape& order) const { return view(views::permute{order}); }
    auto T() const { return view(views::reversed{}); }
    auto t() const { return view(views::matrix_t{}); }
    auto reshape(const nabla::shape& s) const { return view(views::reshape{s}); }

private:
    template <class V>
    staged_view<D, V> view(V v) const {
        tensor<Elem> out = v(value_);
        return staged_view<D, V>(std::move(out), this->self(), std::move(v));
    }
    tensor<Elem> value_;
    std::uint64_t seq_;
};

/// Argument I of a function being differentiated by `grad`.
template <element T, std::size_t I>
struct var : staged_base<var<T, I>, T> {
    static constexpr std::size_t index = I;
    explicit var(const tensor<T>& x) : staged_base<var<T, I>, T>(x.detach()) {}
};

namespace detail {
template <class Op, class T>
constexpr bool partial_reads_output_only() {
    // Read off the rule's type: the same whatever x is, different when y changes type.
    using from_tensors = decltype(std::declval<const Op&>().template partial<0>(std::declval<const tensor<T>&>(), std::declval<const tensor<T>&>()));
    using other_x = decltype(std::declval<const Op&>().template partial<0>(std::declval<const tensor<T>&>(), std::declval<const var<T, 99>&>()));
    using other_y = decltype(std::declval<const Op&>().template partial<0>(std::declval<const var<T, 99>&>(), std::declval<const tensor<T>&>()));
    return std::is_same_v<from_tensors, other_x> && !std::is_same_v<from_tensors, other_y>;
}
}  // namespace detail

/// True for `op(x)` whose derivative is a function of its output alone (exp: y; tanh: 1 - y^2;
/// sigmoid: y (1 - y); sqrt: 1 / 2y). A sum or mean of such an expression inside `grad` keeps
/// op(x)'s values from the forward pass and its backward reads them instead of computing op
/// again: `exp(x)` in `log(sum(exp(x)))` is evaluated once for the value and the gradient.
template <class E>
inline constexpr bool derivative_from_output = false;
template <class Op, class C>
    requires(Op::differentiable && floating_element<value_t<node<Op, C>>>)
inline constexpr bool derivative_from_output<node<Op, C>> = detail::partial_reads_output_only<Op, value_t<node<Op, C>>>();

/// A view (index, select, slice, transpose, permute, T, t, reshape) of a staged value.
template <class E, class V>
struct staged_view : staged_base<staged_view<E, V>, value_t<E>> {
    staged_view(tensor<value_t<E>> v, E in, V f) : staged_base<staged_view, value_t<E>>(std::move(v)), input(std::move(in)), view(std::move(f)) {}
    E input;
    V view;
};

/// An element-wise expression evaluated once, e.g. to take a view of it: `(a * b)[0]`.
template <class E>
struct staged_eval : staged_base<staged_eval<E>, value_t<E>> {
    staged_eval(tensor<value_t<E>> v, E in) : staged_base<staged_eval, value_t<E>>(std::move(v)), input(std::move(in)) {}
    E input;
};

/// A reduction (sum, mean, prod, amax, amin) of `E` over the dims in `mask`. `Full`: over every
/// dim, to a 0-d result (what `grad` requires of the value it differentiates).
/// `input_value`, when defined, holds the input's values from the forward pass (see
/// `derivative_from_output`). `Kind` is in the type: the backward pass compiles only its rule.
template <class E, bool Full, element R, detail::reduction_kind Kind>
struct staged_reduce : staged_base<staged_reduce<E, Full, R, Kind>, R> {
    staged_reduce(tensor<R> v, E in, unsigned m, tensor<value_t<E>> in_value = {})
        : staged_base<staged_reduce, R>(std::move(v)), input(std::move(in)), mask(m), input_value(std::move(in_value)) {}
    E input;
    unsigned mask;
    tensor<value_t<E>> input_value;
};

/// A matrix product of two symbolic or constant operands (`a_value`, `b_value` are their values).
template <class A, class B>
struct staged_product : staged_base<staged_product<A, B>, promote_t<value_t<A>, value_t<B>>> {
    using elem_t = promote_t<value_t<A>, value_t<B>>;
    staged_product(tensor<elem_t> v, A x, B y, tensor<elem_t> xv, tensor<elem_t> yv, detail::product_kind k)
        : staged_base<staged_product, elem_t>(std::move(v)), a(std::move(x)), b(std::move(y)), a_value(std::move(xv)),
          b_value(std::move(yv)), kind(k) {}
    A a;
    B b;
    tensor<elem_t> a_value, b_value;
    detail::product_kind kind;
};

/// A cumulative sum along `dim`.
template <class E, element R>
struct staged_scan : staged_base<staged_scan<E, R>, R> {
    staged_scan(tensor<R> v, E in, int d) : staged_base<staged_scan, R>(std::move(v)), input(std::move(in)), dim(d) {}
    E input;
    int dim;
};

/// A p-norm, of everything (`Full`) or along `dim`.
template <class E, bool Full>
struct staged_norm : staged_base<staged_norm<E, Full>, value_t<E>> {
    staged_norm(tensor<value_t<E>> v, E in, double p, std::int64_t d, bool keep)
        : staged_base<staged_norm, value_t<E>>(std::move(v)), input(std::move(in)), p(p), dim(d), keepdim(keep) {}
    E input;
    double p;
    std::int64_t dim;
    bool keepdim;
};

/// Evaluates a symbolic element-wise expression once and keeps it in the graph (`node.eval()`).
template <symbolic E>
staged_eval<E> stage(const E& e) {
    return staged_eval<E>(tensor<value_t<E>>(e), e);
}

/// The value of an operand as a tensor, without copying staged values.
template <expression E>
tensor<value_t<E>> value_of(const E& e) {
    if constexpr (requires { e.value(); }) return e.value();
    else if constexpr (std::is_same_v<E, tensor<value_t<E>>>) return e;
    else return tensor<value_t<E>>(e);
}

/// True when the type of `E` guarantees one element: full reductions, norms, literals and
/// element-wise nodes of such.
template <class E>
inline constexpr bool scalar_type = false;
template <class S>
inline constexpr bool scalar_type<scalar<S>> = true;
template <class E, element R, detail::reduction_kind K>
inline constexpr bool scalar_type<staged_reduce<E, true, R, K>> = true;
template <class E>
inline constexpr bool scalar_type<staged_norm<E, true>> = true;
template <class E>
inline constexpr bool scalar_type<staged_eval<E>> = scalar_type<E>;
template <class Op, class... Es>
inline constexpr bool scalar_type<node<Op, Es...>> = (scalar_type<Es> && ...);

/// Whether `grad` accepts E as the value of f: a scalar type, or an element-wise expression with a
/// full reduction somewhere in it, whose other operands' sizes are known only at run time (a 0-d
/// argument, `x[0]`) — `grad` then checks it has one element (`a.sum() + log(sigma)` passes;
/// `x * x` and `x * 2` do not compile: a vector-valued f needs `jacobian`).
template <class E>
inline constexpr bool anchored = false;
template <class E, element R, detail::reduction_kind K>
inline constexpr bool anchored<staged_reduce<E, true, R, K>> = true;
template <class E>
inline constexpr bool anchored<staged_norm<E, true>> = true;
template <class E>
inline constexpr bool anchored<staged_eval<E>> = anchored<E>;
template <class Op, class... Es>
inline constexpr bool anchored<node<Op, Es...>> = (anchored<Es> || ...);
template <class E>
inline constexpr bool scalar_result = scalar_type<E> || anchored<E>;

}  // namespace nabla
