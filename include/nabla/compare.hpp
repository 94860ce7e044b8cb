#pragma once
/// \file compare.hpp
/// Whole-tensor comparisons that answer one `bool`: `equal` and `allclose`.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "factories.hpp"
#include "tensor.hpp"

namespace nabla {

/// True when a and b have the same shape and equal elements (PyTorch's `torch.equal`; NaN != NaN).
template <expression A, expression B>
bool equal(const A& a, const B& b) {
    if (!(a.shape() == b.shape())) return false;
    const tensor<bool> same = evaluate(a == b);
    const bool* p = same.data();
    return std::all_of(p, p + same.numel(), [](bool v) { return v; });
}

/// True when |a - b| <= atol + rtol * |b| everywhere, broadcasting (PyTorch's `torch.allclose`).
/// NaNs compare equal only with `equal_nan`; infinities must match exactly.
template <expression A, expression B>
bool allclose(const A& a, const B& b, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false) {
    const auto shape = broadcast_shapes(a.shape(), b.shape());
    const tensor<double> x(a), y(b);
    tensor<double> xb = empty<double>(shape), yb = empty<double>(shape);
    xb.copy_(x);
    yb.copy_(y);
    const double *px = xb.data(), *py = yb.data();
    for (std::int64_t i = 0, n = xb.numel(); i < n; ++i) {
        const double u = px[i], v = py[i];
        if (std::isnan(u) || std::isnan(v)) {
            if (!(equal_nan && std::isnan(u) && std::isnan(v))) return false;
        } else if (u != v && !(std::fabs(u - v) <= atol + rtol * std::fabs(v))) {
            return false;
        }
    }
    return true;
}

}  // namespace nabla
