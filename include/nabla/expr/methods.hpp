#pragma once
/// \file methods.hpp
/// The read-only methods every expression offers (tensors and nodes alike), so that
/// `(x * y).sum()`, `e.numel()` or `nb::norm(a - b).item()` read as in PyTorch.
/// Bodies call free functions of upper layers, found by argument-dependent lookup where they are
/// used; this header depends on nothing above it.

#include <cstdint>

#include "../core/shape.hpp"

namespace nabla {

/// CRTP base of tensors and expression nodes; `D` provides `shape()`.
template <class D>
struct expr_methods {
    /// Number of dimensions.
    std::int64_t dim() const { return self().shape().size(); }
    /// Number of elements.
    std::int64_t numel() const { return self().shape().numel(); }
    /// Extent of dimension `d` (negative counts from the end).
    std::int64_t size(std::int64_t d) const { return self().shape()[wrap_dim(d, self().shape().size())]; }

protected:
    const D& self() const noexcept { return static_cast<const D&>(*this); }
};

/// Methods of unevaluated nodes: whatever needs values evaluates the node into a new tensor first.
template <class D>
struct node_methods : expr_methods<D> {
    /// Evaluates the expression into a new tensor (one fused loop).
    auto eval() const { return evaluate(this->self()); }
    /// The single value of a one-element expression.
    auto item() const { return eval().item(); }
    /// A one-element expression in a condition: `while (b.norm() < 1000)`.
    explicit operator bool() const { return static_cast<bool>(eval()); }
    /// Views of the evaluated result.
    auto operator[](std::int64_t i) const { return eval()[i]; }
    auto T() const { return eval().T(); }
    auto t() const { return eval().t(); }
    auto transpose(std::int64_t d0, std::int64_t d1) const { return eval().transpose(d0, d1); }
    auto reshape(const shape& s) const { return eval().reshape(s); }
    auto select(std::int64_t d, std::int64_t i) const { return eval().select(d, i); }
    auto slice(std::int64_t d, std::int64_t b, std::int64_t e, std::int64_t step = 1) const {
        return eval().slice(d, b, e, step);
    }
    auto contiguous() const { return eval(); }
};

}  // namespace nabla
