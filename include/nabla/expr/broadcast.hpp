#pragma once
/// \file broadcast.hpp
/// NumPy/PyTorch broadcasting of shapes, checked when an expression is built.

#include <string>

#include "../core/error.hpp"
#include "../core/shape.hpp"

namespace nabla {

/// The broadcast of two shapes, or a `shape_error` in PyTorch's words.
inline shape broadcast_shapes(const shape& a, const shape& b) {
    if (a == b) return a;
    const int r = a.size() > b.size() ? a.size() : b.size();
    shape out = shape::filled(r, 1);
    for (int i = r - 1; i >= 0; --i) {
        const int ia = i - (r - a.size()), ib = i - (r - b.size());
        const std::int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
        if (sa != sb && sa != 1 && sb != 1)
            throw shape_error("The size of tensor a (" + std::to_string(sa) + ") must match the size of tensor b (" +
                              std::to_string(sb) + ") at non-singleton dimension " + std::to_string(i));
        out[i] = sa == 1 ? sb : sa;
    }
    return out;
}

/// True when `from` broadcasts to exactly `to` (used by in-place writes, which cannot grow the target).
inline bool broadcasts_to(const shape& from, const shape& to) {
    if (from.size() > to.size()) return false;
    for (int i = 0; i < from.size(); ++i) {
        const std::int64_t f = from[from.size() - 1 - i], t = to[to.size() - 1 - i];
        if (f != t && f != 1) return false;
    }
    return true;
}

/// Strides that read a tensor of shape `s` and strides `st` as if it had the (broadcast) shape `to`:
/// 0 along new and size-1 dimensions.
inline strides broadcast_strides(const shape& s, const strides& st, const shape& to) {
    strides out = shape::filled(to.size(), 0);
    const int off = to.size() - s.size();
    for (int i = 0; i < s.size(); ++i) out[off + i] = s[i] == 1 ? 0 : st[i];
    return out;
}

}  // namespace nabla
