#pragma once
/// \file rules.hpp
/// The derivative rules of the operations that are not element-wise: reductions, cumulative sums
/// and matrix products. Each is written once and read by both reverse engines — the runtime tape
/// (tape.hpp, products.hpp) and the static pass of `grad` (grad.hpp). A rule receives the output
/// gradient `g` and hands each input's gradient, as an expression, to a continuation; the caller
/// decides where it goes (a leaf's `.grad()`, a node's pending gradient, or further down a graph).
/// Element-wise derivatives are not here: they are the op functors' `partial<I>`.

#include <cstdint>

#include "../core/autograd.hpp"
#include "../eval/scan.hpp"
#include "../linalg/products.hpp"
#include "../reductions.hpp"
#include "../tensor.hpp"

namespace nabla::autodiff {

/// The shape of reducing `in` over `mask` with the reduced dims kept (extent 1).
inline shape kept_shape(const shape& in, unsigned mask) {
    shape keep;
    for (int d = 0; d < in.size(); ++d) keep.push_back(mask & (1u << d) ? 1 : in[d]);
    return keep;
}

/// Reductions: `result` = reduce(`input`) over the dims where `keep` has extent 1; `k(seed)`
/// receives the gradient of the input, as an expression that broadcasts to its shape. The output
/// gradient `g` is a tensor, or one value (`scalar<T>`: the seed of `grad`'s result). `Kind` is a
/// template argument: each rule's seed is its own type, and the caller's backward kernel is
/// instantiated once per seed type, so a run-time switch compiled all five for every reduction.
template <nabla::detail::reduction_kind Kind, class T, class E, class G, class K>
void reduction_rule(const E& input, const tensor<T>& result, const G& g, const shape& keep, K&& k) {
    using R = nabla::detail::reduction_kind;
    // The output gradient, shaped with the reduced dims kept so that it broadcasts back. (A
    // one-element g of a full reduction broadcasts as it is.)
    const auto gk = [&] {
        if constexpr (std::is_same_v<G, tensor<T>>) return g.dim() == 0 ? g : g.reshape(keep);
        else return g;
    }();
    // The reduced dims of the input that have more than one element.
    const auto reduced_dims = [&] {
        shape dims;
        for (int d = 0; d < keep.size(); ++d)
            if (keep[d] == 1 && input.shape()[d] != 1) dims.push_back(d);
        return dims;
    };
    if constexpr (Kind == R::sum) {
        k(gk);
    } else if constexpr (Kind == R::mean) {
        std::int64_t count = 1;
        for (int d = 0; d < keep.size(); ++d)
            if (keep[d] == 1) count *= input.shape()[d];
        k(gk / static_cast<double>(count));
    } else if constexpr (Kind == R::prod) {
        // d prod / d x_i = prod / x_i without zeros; with them (as PyTorch), per group: the
        // product of the others at a group's only zero, 0 everywhere else in that group.
        // A zero makes its group's product 0 (or NaN, with an inf or a NaN): only then look
        // for zeros (the look is a full pass over the input; the products are few or one).
        const auto zero_or_nan = [](const auto& p) { return (p == 0) | (p != p); };
        const bool maybe_zero = result.numel() == 1 ? zero_or_nan(result.item()) : any(zero_or_nan(result)).item();
        const tensor<T> x = maybe_zero ? value_of(input) : tensor<T>();
        if (!maybe_zero || !any(x == 0).item()) {
            k(gk * result.reshape(keep) / input);
            return;
        }
        const shape dims = reduced_dims();
        if (dims.empty()) {  // groups of one element: d x / d x = 1
            k(gk);
            return;
        }
        const tensor<std::int64_t> zeros_in = sum(x == 0, dims, true);
        const tensor<T> others = nabla::detail::reduce_staged<ops::prod_op, false, R::prod>(
            where(x == 0, 1.0, x), nabla::detail::reduced_mask(dims, x.dim()), true, "prod");  // (x is a plain tensor: nothing is recorded)
        k(where(x == 0, where(zeros_in == 1, gk * others, 0.0), where(zeros_in == 0, gk * result.reshape(keep) / input, 0.0)));
    } else {
        static_assert(Kind == R::amax || Kind == R::amin);
        // The gradient is shared evenly among the elements equal to the extremum.
        const tensor<T> rk = result.reshape(keep);
        const tensor<std::int64_t> ties = sum(input == rk, reduced_dims(), true);
        k(where(input == rk, gk / ties, 0.0));
    }
}

/// `t` read backwards along `dim` (a view with a negative stride; read-only use).
template <class T>
tensor<T> flip_view(const tensor<T>& t, int dim) {
    strides s = t.strides();
    const std::int64_t n = t.shape()[dim];
    const std::int64_t offset = t.offset() + (n > 0 ? (n - 1) * s[dim] : 0);
    s[dim] = -s[dim];
    return tensor<T>(t.storage(), t.shape(), s, offset);
}

/// Cumulative sum along `dim`: the input's gradient is the reversed cumulative sum of g,
/// sum_{j >= i} g_j, scanned from the end (not total - cumsum(g) + g, which cancels
/// catastrophically when g decays).
template <class T>
tensor<T> cumsum_rule(const tensor<T>& g, int dim) {
    if (g.dim() == 0) return g;
    return flip_view(tensor<T>(cumsum(flip_view(g, dim), dim)), dim);
}

/// Cumulative product along `dim`, y = cumprod(x): the input's gradient from x, y and the output's
/// gradient g, row by row along `dim` (eval::cumprod_backward_rows; zeros in x are handled).
template <class T>
tensor<T> cumprod_rule(const tensor<T>& x, const tensor<T>& y, const tensor<T>& g, int dim) {
    if (x.dim() == 0) return g;
    const int rank = x.dim();
    shape order, back = shape::filled(rank, 0);
    for (int d = 0; d < rank; ++d)
        if (d != dim) order.push_back(d);
    order.push_back(dim);
    for (int k = 0; k < rank; ++k) back[order[k]] = k;
    const tensor<T> xs = x.permute(order).contiguous(), ys = y.permute(order).contiguous(),
                    gs = g.permute(order).contiguous();
    tensor<T> out = empty<T>(xs.shape());
    const std::int64_t n = x.shape()[dim];
    if (n > 0) eval::cumprod_backward_rows(out.data(), xs.data(), ys.data(), gs.data(), out.numel() / n, n);
    return out.permute(back).contiguous();
}

/// Matrix products c = a b: d(a b) = da b + a db, so ga = g b^T and gb = a^T g. Gradients of
/// broadcast batch dimensions come out unsummed; the continuations sum them to the input's shape.
template <class T, class KA, class KB>
void product_rule(nabla::detail::product_kind kind, const tensor<T>& a, const tensor<T>& b, const tensor<T>& g, bool need_a,
                  bool need_b, KA&& ka, KB&& kb) {
    using P = nabla::detail::product_kind;
    switch (kind) {
        case P::mm:
            if (need_a) ka(mm(g, b.t()));
            if (need_b) kb(mm(a.t(), g));
            break;
        case P::mv:  // y = A x: dA = g x^T (an outer product), dx = A^T g
            if (need_a) ka(g.reshape({-1, 1}) * b.reshape({1, -1}));
            if (need_b) kb(mv(a.t(), g));
            break;
        case P::batched:
            if (need_a) ka(matmul(g, b.transpose(-1, -2)));
            if (need_b) kb(matmul(a.transpose(-1, -2), g));
            break;
        case P::matmul: {  // any ranks: 1-D operands are promoted to matrices, as matmul does
            const tensor<T> a2 = a.dim() == 1 ? a.reshape({1, -1}) : a, b2 = b.dim() == 1 ? b.reshape({-1, 1}) : b;
            shape out2 = broadcast_shapes(shape(a2.shape().begin(), a2.shape().end() - 2), shape(b2.shape().begin(), b2.shape().end() - 2));
            out2.push_back(a2.shape()[a2.dim() - 2]);
            out2.push_back(b2.shape()[b2.dim() - 1]);
            const tensor<T> g2 = g.reshape(out2);
            if (need_a) {
                tensor<T> ga = matmul(g2, b2.transpose(-1, -2));
                if (a.dim() == 1) {  // drop the promoted row: [..., 1, k] -> [..., k]
                    shape s = ga.shape();
                    s.erase(s.size() - 2);
                    ga = ga.reshape(s);
                }
                ka(ga);
            }
            if (need_b) {
                tensor<T> gb = matmul(a2.transpose(-1, -2), g2);
                if (b.dim() == 1) {  // drop the promoted column: [..., k, 1] -> [..., k]
                    shape s = gb.shape();
                    s.erase(s.size() - 1);
                    gb = gb.reshape(s);
                }
                kb(gb);
            }
            break;
        }
    }
}

}  // namespace nabla::autodiff
