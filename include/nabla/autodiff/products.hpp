#pragma once
/// \file products.hpp
/// Tape nodes for matrix products: d(A B) = dA B + A dB, so the gradients are
/// dA = G B^T and dB = A^T G (summed over broadcast batch dimensions).

#include <memory>
#include <optional>

#include "../linalg/products.hpp"
#include "tape.hpp"

namespace nabla::autodiff {

template <class T>
struct product_node final : nabla::detail::autograd_node {
    product_node(const tensor<T>& a, const tensor<T>& b, nabla::detail::product_kind k) : a(a), b(b), kind(k) {}
    void backward(const void* g) override {
        using K = nabla::detail::product_kind;
        const tensor<T>& gt = *static_cast<const tensor<T>*>(g);
        switch (kind) {
            case K::mm:
                if (a->requires_grad()) accumulate(*a, mm(gt, b->t()));
                if (b->requires_grad()) accumulate(*b, mm(a->t(), gt));
                break;
            case K::mv:  // y = A x: dA = g x^T (an outer product), dx = A^T g
                if (a->requires_grad()) accumulate(*a, gt.reshape({-1, 1}) * b->reshape({1, -1}));
                if (b->requires_grad()) accumulate(*b, mv(a->t(), gt));
                break;
            case K::batched:
                if (a->requires_grad()) accumulate(*a, matmul(gt, b->transpose(-1, -2)));
                if (b->requires_grad()) accumulate(*b, matmul(a->transpose(-1, -2), gt));
                break;
        }
    }
    void inputs(std::vector<nabla::detail::autograd_meta*>& out) const override {
        if (a && a->autograd()) out.push_back(a->autograd().get());
        if (b && b->autograd()) out.push_back(b->autograd().get());
    }
    void release() override {
        a.reset();
        b.reset();
    }
    std::optional<tensor<T>> a, b;
    nabla::detail::product_kind kind;
};

}  // namespace nabla::autodiff

namespace nabla::detail {
template <class T>
void record_product(tensor<T>& out, const tensor<T>& a, const tensor<T>& b, product_kind kind) {
    const std::string_view name = kind == product_kind::mm ? "MmBackward0" : kind == product_kind::mv ? "MvBackward0" : "BmmBackward0";
    autodiff::mark_output(out, std::make_shared<autodiff::product_node<T>>(a, b, kind), name);
}
}  // namespace nabla::detail
