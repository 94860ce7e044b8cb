#pragma once
/// \file products.hpp
/// Tape nodes for matrix products: d(A B) = dA B + A dB, so the gradients are
/// dA = G B^T and dB = A^T G (summed over broadcast batch dimensions).

#include <memory>
#include <optional>

#include "../linalg/products.hpp"
#include "rules.hpp"
#include "tape.hpp"

namespace nabla::autodiff {

template <class T>
struct product_node final : nabla::detail::autograd_node {
    product_node(const tensor<T>& a, const tensor<T>& b, nabla::detail::product_kind k) : a(a), b(b), kind(k) {}
    void backward(const void* g) override {
        product_rule(kind, *a, *b, *static_cast<const tensor<T>*>(g), a->requires_grad(), b->requires_grad(),
                     [&](const auto& ga) { accumulate(*a, ga); }, [&](const auto& gb) { accumulate(*b, gb); });
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
    autodiff::mark_output(out, autodiff::make_on_tape<autodiff::product_node<T>>(a, b, kind), name);
}
}  // namespace nabla::detail
