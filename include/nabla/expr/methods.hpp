#pragma once
/// \file methods.hpp
/// The read-only methods every expression offers (tensors and nodes alike), so that
/// `(x * y).sum()`, `e.numel()` or `nb::norm(a - b).item()` read as in PyTorch.
/// Bodies call free functions of upper layers, found by argument-dependent lookup where they are
/// used; this header depends on nothing above it.

#include <cstdint>

#include "../core/shape.hpp"
#include "../core/autograd.hpp"
#include "traits.hpp"

namespace nabla {

// The free functions the methods forward to, defined in upper layers (reductions.hpp, linalg/).
template <expression E> auto sum(const E& e);
template <expression E> auto sum(const E& e, std::int64_t dim, bool keepdim = false);
template <expression E> auto sum(const E& e, const shape& dims, bool keepdim = false);
template <expression E> auto mean(const E& e);
template <expression E> auto mean(const E& e, std::int64_t dim, bool keepdim = false);
template <expression E> auto mean(const E& e, const shape& dims, bool keepdim = false);
template <expression E> auto prod(const E& e);
template <expression E> auto prod(const E& e, std::int64_t dim, bool keepdim = false);
template <expression E> auto amax(const E& e);
template <expression E> auto amax(const E& e, std::int64_t dim, bool keepdim = false);
template <expression E> auto amin(const E& e);
template <expression E> auto amin(const E& e, std::int64_t dim, bool keepdim = false);
template <expression E> auto max(const E& e);
template <expression E> auto max(const E& e, std::int64_t dim, bool keepdim = false);
template <expression E> auto min(const E& e);
template <expression E> auto min(const E& e, std::int64_t dim, bool keepdim = false);
template <expression E> auto cumsum(const E& e, std::int64_t dim);
template <expression E> auto cumprod(const E& e, std::int64_t dim);
template <expression E> auto norm(const E& e, double p = 2);
template <expression E> void backward(const E& e);
template <expression E> void backward(const E& e, retain_graph_t);
template <expression E, expression G> void backward(const E& e, const G& gradient, bool retain);
template <expression E> auto norm(const E& e, double p, std::int64_t dim, bool keepdim = false);

/// CRTP base of tensors and expression nodes; `D` provides `shape()`.
template <class D>
struct expr_methods {
    /// Number of dimensions.
    std::int64_t dim() const { return self().shape().size(); }
    /// Number of elements.
    std::int64_t numel() const { return self().shape().numel(); }
    /// Extent of dimension `d` (negative counts from the end).
    std::int64_t size(std::int64_t d) const { return self().shape()[wrap_index_dim(d, self().shape().size())]; }

    /// Reductions (see reductions.hpp): `x.sum()`, `A.sum(1, true)`, `A.mean({0, 2})`, ...
    auto sum() const { return nabla::sum(self()); }
    auto sum(std::int64_t dim, bool keepdim = false) const { return nabla::sum(self(), dim, keepdim); }
    auto sum(const shape& dims, bool keepdim = false) const { return nabla::sum(self(), dims, keepdim); }
    auto mean() const { return nabla::mean(self()); }
    auto mean(std::int64_t dim, bool keepdim = false) const { return nabla::mean(self(), dim, keepdim); }
    auto mean(const shape& dims, bool keepdim = false) const { return nabla::mean(self(), dims, keepdim); }
    auto prod() const { return nabla::prod(self()); }
    auto prod(std::int64_t dim, bool keepdim = false) const { return nabla::prod(self(), dim, keepdim); }
    auto amax() const { return nabla::amax(self()); }
    auto amax(std::int64_t dim, bool keepdim = false) const { return nabla::amax(self(), dim, keepdim); }
    auto amin() const { return nabla::amin(self()); }
    auto amin(std::int64_t dim, bool keepdim = false) const { return nabla::amin(self(), dim, keepdim); }
    auto max() const { return nabla::max(self()); }
    auto max(std::int64_t dim, bool keepdim = false) const { return nabla::max(self(), dim, keepdim); }
    auto min() const { return nabla::min(self()); }
    auto min(std::int64_t dim, bool keepdim = false) const { return nabla::min(self(), dim, keepdim); }
    auto cumsum(std::int64_t dim) const { return nabla::cumsum(self(), dim); }
    auto cumprod(std::int64_t dim) const { return nabla::cumprod(self(), dim); }
    /// `x.norm()`: L2 (Frobenius) norm; `x.norm(1)`, `x.norm(2, dim, keepdim)`.
    auto norm(double p = 2) const { return nabla::norm(self(), p); }
    auto norm(double p, std::int64_t dim, bool keepdim = false) const { return nabla::norm(self(), p, dim, keepdim); }

    /// Backpropagates from this one-element result (see autodiff/backward.hpp).
    void backward() const { nabla::backward(self()); }
    void backward(retain_graph_t r) const { nabla::backward(self(), r); }
    /// Backpropagates an explicit output gradient `g`.
    template <expression G>
    void backward(const G& g, bool retain = false) const { nabla::backward(self(), g, retain); }

protected:
    const D& self() const noexcept { return static_cast<const D&>(*this); }
};

/// Methods of unevaluated nodes: whatever needs values evaluates the node into a new tensor first.
template <class D>
struct node_methods : expr_methods<D> {
    /// Evaluates the expression into a new tensor (one fused loop).
    /// Inside `nabla::grad`, a symbolic expression is evaluated into a staged node instead, so that
    /// what follows (views, `item`, branches) stays differentiable.
    auto eval() const {
        if constexpr (symbolic<D>) return stage(this->self());
        else return evaluate(this->self());
    }
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
    auto detach() const { return eval().detach(); }
    bool requires_grad() const { return eval().requires_grad(); }
};

}  // namespace nabla
