#pragma once
/// \file reductions.hpp
/// Reductions and scans over tensors and expressions: sum mean prod max min amax amin argmax
/// argmin all any cumsum cumprod — whole tensor, one axis or several, negative axes, keepdim.
/// A reduction of an expression runs in one pass over it: `(x * y).sum()` makes no temporary.

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "eval/reduce.hpp"
#include "eval/scan.hpp"
#include "factories.hpp"
#include "ops/reductions.hpp"
#include "staged.hpp"
#include "tensor.hpp"

namespace nabla {

namespace detail {

// A bit per reduced dimension; checks range and repeats as PyTorch does.
inline unsigned reduced_mask(const shape& dims, int rank) {
    unsigned mask = 0;
    for (auto d : dims) {
        const int w = wrap_dim(d, rank);
        if (mask & (1u << w)) throw error("dim " + std::to_string(w) + " appears multiple times in the list of dims");
        mask |= 1u << w;
    }
    return mask;
}

// The result of reducing dims `mask` of `in` (rank 0 reduces to 0-d), and the strides that make
// the result look like a tensor of in's shape with stride 0 along reduced dims.
struct reduced_layout {
    shape out_shape;
    strides steps;
    std::int64_t count = 1;  // elements combined into each result
};
inline reduced_layout layout_for(const shape& in, unsigned mask, bool keepdim) {
    reduced_layout l;
    if (!keepdim && mask == (in.size() >= 32 ? ~0u : (1u << in.size()) - 1)) {  // everything: a 0-d result
        l.count = in.numel();
        l.steps = shape::filled(in.size(), 0);
        return l;
    }
    shape kept;
    for (int d = 0; d < in.size(); ++d) {
        const bool red = mask & (1u << d);
        if (red) l.count *= in[d];
        if (!red) kept.push_back(in[d]);
        if (keepdim) l.out_shape.push_back(red ? 1 : in[d]);
    }
    if (!keepdim) l.out_shape = kept;
    const strides ks = contiguous_strides(kept);
    l.steps = shape::filled(in.size(), 0);
    for (int d = 0, j = 0; d < in.size(); ++d)
        if (!(mask & (1u << d))) l.steps[d] = ks[j++];
    return l;
}

template <class R, class E>
using reduce_result_t = typename R::template result_t<value_t<E>>;

inline unsigned all_dims(int rank) { return rank >= 32 ? ~0u : (1u << rank) - 1; }

// After the reduction itself: a mean divides by the elements combined into each result, and
// a reduction of a tracked operand is recorded on the tape.
template <reduction_kind Kind, class A, class E>
void finish_reduction(tensor<A>& out, const E& e, unsigned mask, bool keepdim, std::int64_t count) {
    if constexpr (inexact_element<A> && Kind == reduction_kind::mean) out.copy_(out / static_cast<double>(count));
    if constexpr (floating_element<A> && floating_element<value_t<E>> && !symbolic<E>)
        if (grad_mode() && tensor<A>::any_requires_grad(e)) record_reduction<Kind>(out, e, mask, keepdim);
}

// Everything into a 0-d result: no layout, no loop plan when the operands are contiguous.
template <class R, reduction_kind Kind, class E>
tensor<reduce_result_t<R, E>> reduce_full(const E& e, const char* what) {
    using A = reduce_result_t<R, E>;
    const std::int64_t count = e.shape().numel();
    if constexpr (std::is_same_v<R, ops::max_op> || std::is_same_v<R, ops::min_op>)
        if (count == 0)
            throw error(std::string(what) + "(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.");
    tensor<A> out(A{R::template identity<A>()});
    eval::reduce_all(out.data(), e, R{});
    finish_reduction<Kind>(out, e, all_dims(e.shape().size()), false, count);
    return out;
}

template <class R, reduction_kind Kind = reduction_kind::sum, class E>
tensor<reduce_result_t<R, E>> reduce_mask(const E& e, unsigned mask, bool keepdim, const char* what) {
    using A = reduce_result_t<R, E>;
    const shape& in = e.shape();
    if (!keepdim && mask == all_dims(in.size())) return reduce_full<R, Kind>(e, what);
    const reduced_layout l = layout_for(in, mask, keepdim);
    if constexpr (std::is_same_v<R, ops::max_op> || std::is_same_v<R, ops::min_op>) {
        for (int d = 0; d < in.size(); ++d)
            if ((mask & (1u << d)) && in[d] == 0)
                throw index_error(std::string(what) + "(): Expected reduction dim " + std::to_string(d) + " to have non-zero size.");
    }
    tensor<A> out = empty<A>(l.out_shape);
    if (l.out_shape.empty()) *out.data() = R::template identity<A>();  // a 0-d input with keepdim
    else eval::assign(out.target(), scalar<A>{R::template identity<A>()});
    eval::reduce(eval::target<A>{out.data(), in, l.steps}, e, R{});
    finish_reduction<Kind>(out, e, mask, keepdim, l.count);
    return out;
}

// Reduces and, inside `grad` (a symbolic operand), keeps the reduction in the graph. The kind is a
// template argument all the way to the rule (rules.hpp), so that differentiating a sum instantiates
// the sum's rule only: with a run-time kind, every reduction of an expression compiled the backward
// kernels of all five rules (bench/compile_time/grad20.cpp took 2.5 times as long; bench/README.md,
// run 9).
template <class R, bool Full, reduction_kind Kind = reduction_kind::sum, class E>
auto reduce_staged(const E& e, unsigned mask, bool keepdim, const char* what) {
    if constexpr (symbolic<E> && inexact_element<reduce_result_t<R, E>> && std::is_same_v<R, ops::sum_op> &&
                  derivative_from_output<E>) {
        // sum or mean of op(x) whose derivative reads op(x) (exp, tanh, ...): evaluate op(x) once
        // and keep it for the backward pass (one more store now, no second op(x) later)
        tensor<value_t<E>> y(e);
        auto out = reduce_mask<R, Kind>(y, mask, keepdim, what);
        return staged_reduce<E, Full, reduce_result_t<R, E>, Kind>(std::move(out), e, mask, std::move(y));
    } else {
        auto out = reduce_mask<R, Kind>(e, mask, keepdim, what);
        if constexpr (symbolic<E> && inexact_element<reduce_result_t<R, E>>)
            return staged_reduce<E, Full, reduce_result_t<R, E>, Kind>(std::move(out), e, mask);
        else return out;
    }
}

}  // namespace detail

/// Sum of all elements (a 0-d tensor; integers sum to int64).
template <expression E> auto sum(const E& e) { return detail::reduce_staged<ops::sum_op, true>(e, detail::all_dims(e.shape().size()), false, "sum"); }
/// Sum along `dim` (negative counts from the end); `keepdim` keeps it with extent 1.
template <expression E> auto sum(const E& e, std::int64_t dim, bool keepdim) {
    return detail::reduce_staged<ops::sum_op, false>(e, detail::reduced_mask({dim}, e.shape().size()), keepdim, "sum");
}
/// Sum along several dims: `nb::sum(A, {0, 2}, true)`.
template <expression E> auto sum(const E& e, const shape& dims, bool keepdim) {
    return detail::reduce_staged<ops::sum_op, false>(e, detail::reduced_mask(dims, e.shape().size()), keepdim, "sum");
}

/// Product of all elements / along dims.
template <expression E> auto prod(const E& e) { return detail::reduce_staged<ops::prod_op, true, detail::reduction_kind::prod>(e, detail::all_dims(e.shape().size()), false, "prod"); }
template <expression E> auto prod(const E& e, std::int64_t dim, bool keepdim) {
    return detail::reduce_staged<ops::prod_op, false, detail::reduction_kind::prod>(e, detail::reduced_mask({dim}, e.shape().size()), keepdim, "prod");
}

/// Mean of all elements / along dims (floating tensors only, as in PyTorch).
template <expression E> auto mean(const E& e, const shape& dims, bool keepdim) {
    static_assert(inexact_element<value_t<E>>,
                  "nabla::mean requires a floating-point tensor or expression: PyTorch refuses mean of integers; convert with .to<float>() first");
    return detail::reduce_staged<ops::sum_op, false, detail::reduction_kind::mean>(e, detail::reduced_mask(dims, e.shape().size()),
                                                                                   keepdim, "mean");
}
template <expression E> auto mean(const E& e) {
    static_assert(inexact_element<value_t<E>>,
                  "nabla::mean requires a floating-point tensor or expression: PyTorch refuses mean of integers; convert with .to<float>() first");
    return detail::reduce_staged<ops::sum_op, true, detail::reduction_kind::mean>(e, detail::all_dims(e.shape().size()), false, "mean");
}
template <expression E> auto mean(const E& e, std::int64_t dim, bool keepdim) { return mean(e, shape{dim}, keepdim); }

/// Largest element (NaN propagates) / along dims, without indices.
template <expression E> auto amax(const E& e) { return detail::reduce_staged<ops::max_op, true, detail::reduction_kind::amax>(e, detail::all_dims(e.shape().size()), false, "max"); }
template <expression E> auto amax(const E& e, const shape& dims, bool keepdim) {
    return detail::reduce_staged<ops::max_op, false, detail::reduction_kind::amax>(e, detail::reduced_mask(dims, e.shape().size()), keepdim, "amax");
}
template <expression E> auto amax(const E& e, std::int64_t dim, bool keepdim) { return amax(e, shape{dim}, keepdim); }
/// Smallest element / along dims, without indices.
template <expression E> auto amin(const E& e) { return detail::reduce_staged<ops::min_op, true, detail::reduction_kind::amin>(e, detail::all_dims(e.shape().size()), false, "min"); }
template <expression E> auto amin(const E& e, const shape& dims, bool keepdim) {
    return detail::reduce_staged<ops::min_op, false, detail::reduction_kind::amin>(e, detail::reduced_mask(dims, e.shape().size()), keepdim, "amin");
}
template <expression E> auto amin(const E& e, std::int64_t dim, bool keepdim) { return amin(e, shape{dim}, keepdim); }

/// True where all (any) elements are nonzero, as a 0-d bool tensor / along dims.
template <expression E> tensor<bool> all(const E& e) { return detail::reduce_mask<ops::all_op>(e, detail::all_dims(e.shape().size()), false, "all"); }
template <expression E> tensor<bool> all(const E& e, std::int64_t dim, bool keepdim = false) {
    return detail::reduce_mask<ops::all_op>(e, detail::reduced_mask({dim}, e.shape().size()), keepdim, "all");
}
template <expression E> tensor<bool> any(const E& e) { return detail::reduce_mask<ops::any_op>(e, detail::all_dims(e.shape().size()), false, "any"); }
template <expression E> tensor<bool> any(const E& e, std::int64_t dim, bool keepdim = false) {
    return detail::reduce_mask<ops::any_op>(e, detail::reduced_mask({dim}, e.shape().size()), keepdim, "any");
}

/// Values and their indices along a dimension (`max(dim)`, `min(dim)`), as PyTorch's namedtuple.
template <element T>
struct values_indices {
    tensor<T> values;
    tensor<std::int64_t> indices;
};

namespace detail {
// Index of the best element along `dim` (first on ties; the first NaN wins, as PyTorch).
template <bool Max, class E>
values_indices<value_t<E>> arg_best(const E& e, std::int64_t dim, bool keepdim, const char* what) {
    using T = value_t<E>;
    const tensor<T> x = evaluate(e);
    const int rank = x.dim();
    const int d = wrap_dim(dim, rank);
    const std::int64_t len = rank == 0 ? 1 : x.shape()[d];
    if (len == 0) throw index_error(std::string(what) + "(): Expected reduction dim " + std::to_string(d) + " to have non-zero size.");
    const reduced_layout l = layout_for(x.shape(), rank == 0 ? 0u : 1u << d, keepdim);
    values_indices<T> r{empty<T>(l.out_shape), empty<std::int64_t>(l.out_shape)};
    // Walk the result in order; `moved` is x with the reduced dimension last.
    const tensor<T> moved = rank == 0 ? x.reshape({1}) : x.transpose(d, rank - 1);
    const std::int64_t step = moved.strides()[moved.dim() - 1];
    shape outer_shape = moved.shape();
    outer_shape.erase(outer_shape.size() - 1);
    const std::int64_t n_out = outer_shape.numel();
    T* vals = r.values.data();
    std::int64_t* idxs = r.indices.data();
    std::int64_t pos[NABLA_MAX_RANK] = {};
    for (std::int64_t o = 0; o < n_out; ++o) {
        std::int64_t off = 0;
        for (int k = 0; k < outer_shape.size(); ++k) off += pos[k] * moved.strides()[k];
        const T* row = moved.data() + off;
        T best = row[0];
        std::int64_t bi = 0;
        for (std::int64_t i = 1; i < len && best == best; ++i) {
            const T v = row[i * step];
            if (v != v || (Max ? v > best : v < best)) best = v, bi = i;
        }
        vals[o] = best;
        idxs[o] = bi;
        for (int k = outer_shape.size() - 1; k >= 0; --k) {
            if (++pos[k] < outer_shape[k]) break;
            pos[k] = 0;
        }
    }
    return r;
}
}  // namespace detail

/// The largest element (0-d); with a dim, values and indices.
template <expression E> auto max(const E& e) { return amax(e); }
template <expression E> auto max(const E& e, std::int64_t dim, bool keepdim) { return detail::arg_best<true>(e, dim, keepdim, "max"); }
template <expression E> auto min(const E& e) { return amin(e); }
template <expression E> auto min(const E& e, std::int64_t dim, bool keepdim) { return detail::arg_best<false>(e, dim, keepdim, "min"); }
/// Index of the largest element: flat when no dim is given.
template <expression E> tensor<std::int64_t> argmax(const E& e) {
    if (e.shape().numel() == 0) throw error("argmax(): Expected reduction dim to be specified for input.numel() == 0.");
    return detail::arg_best<true>(evaluate(e).reshape({-1}), 0, false, "argmax").indices;
}
template <expression E> tensor<std::int64_t> argmax(const E& e, std::int64_t dim, bool keepdim = false) {
    return detail::arg_best<true>(e, dim, keepdim, "argmax").indices;
}
template <expression E> tensor<std::int64_t> argmin(const E& e) {
    if (e.shape().numel() == 0) throw error("argmin(): Expected reduction dim to be specified for input.numel() == 0.");
    return detail::arg_best<false>(evaluate(e).reshape({-1}), 0, false, "argmin").indices;
}
template <expression E> tensor<std::int64_t> argmin(const E& e, std::int64_t dim, bool keepdim = false) {
    return detail::arg_best<false>(e, dim, keepdim, "argmin").indices;
}

/// Inclusive cumulative sum along `dim` (integers give int64).
template <expression E> auto cumsum(const E& e, std::int64_t dim) {
    using A = detail::reduce_result_t<ops::sum_op, E>;
    const int d = wrap_dim(dim, e.shape().size());
    tensor<A> out = empty<A>(e.shape());
    eval::scan(out.target(), e, d, ops::sum_op{});
    if constexpr (floating_element<A> && !symbolic<E>)
        if (detail::grad_mode() && tensor<A>::any_requires_grad(e)) detail::record_scan(out, e, d);
    if constexpr (symbolic<E> && inexact_element<A>) return staged_scan<E, A>(std::move(out), e, d);
    else return out;
}
/// Inclusive cumulative product along `dim`.
template <expression E> auto cumprod(const E& e, std::int64_t dim) {
    using A = detail::reduce_result_t<ops::prod_op, E>;
    static_assert(!symbolic<E>,
                  "nabla::grad(f): cumprod has no rule in the static pass yet (its value would be taken as a "
                  "constant); write f with nb::tensor<T> parameters to differentiate it on the tape");
    const int d = wrap_dim(dim, e.shape().size());
    tensor<A> out = empty<A>(e.shape());
    eval::scan(out.target(), e, d, ops::prod_op{});
    if constexpr (floating_element<A> && !symbolic<E>)
        if (detail::grad_mode() && tensor<A>::any_requires_grad(e)) detail::record_cumprod(out, e, d);
    return out;
}

}  // namespace nabla
