#pragma once
/// \file products.hpp
/// dot, mv, mm and matmul (with batch broadcasting). dot of expressions is a fused reduction
/// (`nb::dot(a * b, c)` makes no temporary); mv and mm run the packed GEMM/GEMV kernels of
/// eval/gemm.hpp on any strides (transposed and sliced operands are not copied).

#include <cstdint>
#include <string>
#include <type_traits>

#include "../eval/gemm.hpp"
#include "../factories.hpp"
#include "../reductions.hpp"
#include "../staged.hpp"
#include "../tensor.hpp"

namespace nabla {

namespace detail {
inline std::string dims_str(const shape& s) {
    std::string r;
    for (int i = 0; i < s.size(); ++i) r += (i ? "x" : "") + std::to_string(s[i]);
    return r;
}
// Both operands hold the same element type — or one holds dual numbers (forward mode, `hessian`)
// and the other plain constants, which then convert.
template <class A, class B>
inline constexpr bool same_or_dual = std::is_same_v<value_t<A>, value_t<B>> || is_dual_element<value_t<A>> || is_dual_element<value_t<B>>;

template <class T, class E>
tensor<T> value_as(const E& e) {
    if constexpr (std::is_same_v<value_t<E>, T>) return value_of(e);
    else return value_of(e).template to<T>();
}
}  // namespace detail

/// Inner product of two 1-D tensors or expressions of the same length.
template <expression A, expression B>
auto dot(const A& a, const B& b) {
    static_assert(detail::same_or_dual<A, B>,
                  "nabla::dot(a, b) requires both operands to have the same element type, as PyTorch does");
    using T = promote_t<value_t<A>, value_t<B>>;
    static_assert(!std::is_same_v<T, bool>, "nabla::dot(a, b) is not defined for bool tensors (as in PyTorch)");
    if (a.shape().size() != 1 || b.shape().size() != 1)
        throw shape_error("1D tensors expected, but got " + std::to_string(a.shape().size()) + "D and " +
                          std::to_string(b.shape().size()) + "D tensors");
    if (a.shape()[0] != b.shape()[0])
        throw shape_error("inconsistent tensor size, expected tensor [" + std::to_string(a.shape()[0]) + "] and src [" +
                          std::to_string(b.shape()[0]) + "] to have the same number of elements, but got " +
                          std::to_string(a.shape()[0]) + " and " + std::to_string(b.shape()[0]) + " elements respectively");
    auto s = sum(a * b);
    if constexpr (std::is_same_v<typename decltype(s)::value_type, T>) return s;
    else return s.template to<T>();
}

/// Matrix-vector product: A [m, k] times x [k].
template <expression A, expression X>
auto mv(const A& a, const X& x) {
    static_assert(detail::same_or_dual<A, X>,
                  "nabla::mv(A, x) requires both operands to have the same element type, as PyTorch does");
    using T = promote_t<value_t<A>, value_t<X>>;
    static_assert(!std::is_same_v<T, bool>, "nabla::mv(A, x) is not defined for bool tensors (as in PyTorch)");
    if (a.shape().size() != 2 || x.shape().size() != 1)
        throw shape_error("vector + matrix @ vector expected, got 1, " + std::to_string(a.shape().size()) + ", " +
                          std::to_string(x.shape().size()));
    if (a.shape()[1] != x.shape()[0])
        throw shape_error("size mismatch, got input (" + std::to_string(a.shape()[0]) + "), mat (" + detail::dims_str(a.shape()) +
                          "), vec (" + std::to_string(x.shape()[0]) + ")");
    const tensor<T> ma = detail::value_as<T>(a), vx = detail::value_as<T>(x);
    tensor<T> y = empty<T>({ma.shape()[0]});
    eval::gemv<T>(ma.shape()[0], ma.shape()[1], ma.data(), ma.strides()[0], ma.strides()[1], vx.data(), vx.strides()[0],
                  y.data(), 1);
    if constexpr (floating_element<T>)
        if (detail::grad_mode() && (ma.requires_grad() || vx.requires_grad()))
            detail::record_product(y, ma, vx, detail::product_kind::mv);
    if constexpr (symbolic<A> || symbolic<X>) return staged_product<A, X>(std::move(y), a, x, ma, vx, detail::product_kind::mv);
    else return y;
}

namespace detail {
template <class T>
void mm_into(const tensor<T>& a, const tensor<T>& b, tensor<T>& c) {
    eval::gemm<T>(a.shape()[0], b.shape()[1], a.shape()[1], a.data(), a.strides()[0], a.strides()[1], b.data(),
                  b.strides()[0], b.strides()[1], c.data(), c.strides()[0], c.strides()[1]);
}
}  // namespace detail

/// Matrix product: A [m, k] times B [k, n].
template <expression A, expression B>
auto mm(const A& a, const B& b) {
    static_assert(detail::same_or_dual<A, B>,
                  "nabla::mm(a, b) requires both operands to have the same element type, as PyTorch does");
    using T = promote_t<value_t<A>, value_t<B>>;
    static_assert(!std::is_same_v<T, bool>, "nabla::mm(a, b) is not defined for bool tensors (as in PyTorch)");
    if (a.shape().size() != 2) throw shape_error("self must be a matrix");
    if (b.shape().size() != 2) throw shape_error("mat2 must be a matrix");
    if (a.shape()[1] != b.shape()[0])
        throw shape_error("mat1 and mat2 shapes cannot be multiplied (" + detail::dims_str(a.shape()) + " and " +
                          detail::dims_str(b.shape()) + ")");
    const tensor<T> ma = detail::value_as<T>(a), mb = detail::value_as<T>(b);
    tensor<T> c = empty<T>({ma.shape()[0], mb.shape()[1]});
    detail::mm_into(ma, mb, c);
    if constexpr (floating_element<T>)
        if (detail::grad_mode() && (ma.requires_grad() || mb.requires_grad()))
            detail::record_product(c, ma, mb, detail::product_kind::mm);
    if constexpr (symbolic<A> || symbolic<B>) return staged_product<A, B>(std::move(c), a, b, ma, mb, detail::product_kind::mm);
    else return c;
}

/// PyTorch's matmul: dot for 1-D x 1-D, mv, mm, and batched products whose leading (batch)
/// dimensions broadcast.
template <expression A, expression B>
auto matmul(const A& a, const B& b) {
    static_assert(detail::same_or_dual<A, B>,
                  "nabla::matmul(a, b) requires both operands to have the same element type, as PyTorch does");
    using T = promote_t<value_t<A>, value_t<B>>;
    if constexpr (symbolic<A> || symbolic<B>) {  // inside grad: one staged product whatever the ranks
        const tensor<T> va = detail::value_as<T>(a), vb = detail::value_as<T>(b);
        tensor<T> out = matmul(va, vb);
        return staged_product<A, B>(std::move(out), a, b, va, vb, detail::product_kind::matmul);
    } else {
    const int ra = a.shape().size(), rb = b.shape().size();
    if (ra == 0 || rb == 0)
        throw shape_error("both arguments to matmul need to be at least 1D, but they are " + std::to_string(ra) + "D and " +
                          std::to_string(rb) + "D");
    if (ra == 1 && rb == 1) return dot(a, b);
    if (ra == 2 && rb == 1) return mv(a, b);
    if (ra == 1 && rb == 2) return mm(evaluate(a).reshape({1, -1}), b).reshape({-1});
    if (ra == 2 && rb == 2) return mm(a, b);
    // Batched: promote 1-D operands to matrices, broadcast the batch dimensions.
    tensor<T> ta = detail::value_as<T>(a), tb = detail::value_as<T>(b);
    if (ra == 1) ta = ta.reshape({1, -1});
    if (rb == 1) tb = tb.reshape({-1, 1});
    const std::int64_t m = ta.shape()[ta.dim() - 2], k = ta.shape()[ta.dim() - 1];
    const std::int64_t k2 = tb.shape()[tb.dim() - 2], n = tb.shape()[tb.dim() - 1];
    if (k != k2)
        throw shape_error("mat1 and mat2 shapes cannot be multiplied (" + std::to_string(m) + "x" + std::to_string(k) + " and " +
                          std::to_string(k2) + "x" + std::to_string(n) + ")");
    shape ba(ta.shape().begin(), ta.shape().end() - 2), bb(tb.shape().begin(), tb.shape().end() - 2);
    const shape batch = broadcast_shapes(ba, bb);
    shape out_shape = batch;
    out_shape.push_back(m);
    out_shape.push_back(n);
    tensor<T> out = empty<T>(out_shape);
    const strides sa = broadcast_strides(ba, strides(ta.strides().begin(), ta.strides().end() - 2), batch);
    const strides sb = broadcast_strides(bb, strides(tb.strides().begin(), tb.strides().end() - 2), batch);
    const strides so = contiguous_strides(out_shape);
    std::int64_t idx[NABLA_MAX_RANK] = {};
    for (std::int64_t i = 0, nb = batch.numel(); i < nb; ++i) {
        std::int64_t oa = 0, ob = 0, oo = 0;
        for (int d = 0; d < batch.size(); ++d) oa += idx[d] * sa[d], ob += idx[d] * sb[d], oo += idx[d] * so[d];
        eval::gemm<T>(m, n, k, ta.data() + oa, ta.strides()[ta.dim() - 2], ta.strides()[ta.dim() - 1], tb.data() + ob,
                      tb.strides()[tb.dim() - 2], tb.strides()[tb.dim() - 1], out.data() + oo, n, 1);
        for (int d = batch.size() - 1; d >= 0; --d) {
            if (++idx[d] < batch[d]) break;
            idx[d] = 0;
        }
    }
    if constexpr (floating_element<T>)
        if (detail::grad_mode() && (ta.requires_grad() || tb.requires_grad()))
            detail::record_product(out, ta, tb, detail::product_kind::batched);
    if (ra == 1) {  // drop the promoted dimensions again
        shape s = out_shape;
        s.erase(s.size() - 2);
        return out.reshape(s);
    }
    if (rb == 1) {
        shape s = out_shape;
        s.erase(s.size() - 1);
        return out.reshape(s);
    }
    return out;
    }
}

}  // namespace nabla
