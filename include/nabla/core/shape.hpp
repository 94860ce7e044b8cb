#pragma once
/// \file shape.hpp
/// `nabla::shape`: a short list of int64_t extents stored inline (no allocation), used for shapes
/// and strides alike.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>

#include "config.hpp"
#include "error.hpp"

namespace nabla {

/// The extents of a tensor (also used for its strides). Prints like a Python list: `[2, 5, 4]`,
/// and `[]` for a 0-d tensor. Compares equal to a brace list: `x.shape() == shape{4}`.
class shape {
public:
    static constexpr int max_rank = NABLA_MAX_RANK;

    constexpr shape() noexcept = default;
    /// Copies the extents one at a time. A shape is usually copied right after it was written one
    /// extent at a time (`shape{n}`, a broadcast, a reduced shape); the implicit copy, one 64-byte
    /// load, cannot take its data from those narrow stores while they are in flight and waits for
    /// them (~20 cycles on Zen 4, about a third of a small tensor's construction); 8-byte loads
    /// forward from them at once.
    constexpr shape(const shape& o) noexcept : rank_(o.rank_) { copy_extents(o); }
    constexpr shape& operator=(const shape& o) noexcept {
        rank_ = o.rank_;
        copy_extents(o);
        return *this;
    }
    constexpr shape(std::initializer_list<std::int64_t> dims) { assign(dims.begin(), dims.end()); }
    template <class It>
    constexpr shape(It first, It last) {
        assign(first, last);
    }
    /// A shape of `rank` extents, each `fill`.
    static constexpr shape filled(int rank, std::int64_t fill) {
        check_rank(rank);
        shape s;
        s.rank_ = rank;
        for (int i = 0; i < rank; ++i) s.d_[i] = fill;
        return s;
    }

    constexpr int size() const noexcept { return rank_; }
    constexpr bool empty() const noexcept { return rank_ == 0; }
    constexpr std::int64_t& operator[](int i) noexcept { return d_[i]; }
    constexpr std::int64_t operator[](int i) const noexcept { return d_[i]; }
    constexpr std::int64_t* begin() noexcept { return d_; }
    constexpr std::int64_t* end() noexcept { return d_ + rank_; }
    constexpr const std::int64_t* begin() const noexcept { return d_; }
    constexpr const std::int64_t* end() const noexcept { return d_ + rank_; }
    constexpr const std::int64_t* data() const noexcept { return d_; }
    constexpr std::int64_t back() const noexcept { return d_[rank_ - 1]; }

    /// Product of the extents (1 for a 0-d shape).
    constexpr std::int64_t numel() const noexcept {
        // The early exit keeps GCC from vectorising this loop: its AVX-512 form multiplies with
        // vpmullq (15 cycles of latency on Zen 4, two in a row) for what is one or two multiplies.
        std::int64_t n = 1;
        for (int i = 0; i < rank_; ++i) {
            if (d_[i] == 0) return 0;
            n *= d_[i];
        }
        return n;
    }
    constexpr void push_back(std::int64_t v) {
        check_rank(rank_ + 1);
        d_[rank_++] = v;
    }
    constexpr void insert(int pos, std::int64_t v) {
        check_rank(rank_ + 1);
        for (int i = rank_; i > pos; --i) d_[i] = d_[i - 1];
        d_[pos] = v;
        ++rank_;
    }
    constexpr void erase(int pos) noexcept {
        for (int i = pos; i + 1 < rank_; ++i) d_[i] = d_[i + 1];
        --rank_;
    }
    constexpr void resize(int rank) {
        check_rank(rank);
        for (int i = rank_; i < rank; ++i) d_[i] = 0;
        rank_ = rank;
    }

    friend constexpr bool operator==(const shape& a, const shape& b) noexcept {
        // A plain loop: std::equal on int64 becomes a call to memcmp, which costs more than the
        // comparison itself at these lengths (shapes are compared on every evaluation).
        if (a.rank_ != b.rank_) return false;
        for (int i = 0; i < a.rank_; ++i)
            if (a.d_[i] != b.d_[i]) return false;
        return true;
    }

    /// `[2, 5, 4]`
    std::string str() const {
        std::string s = "[";
        for (int i = 0; i < rank_; ++i) {
            if (i) s += ", ";
            s += std::to_string(d_[i]);
        }
        return s + "]";
    }
    friend std::ostream& operator<<(std::ostream& os, const shape& s) { return os << s.str(); }

private:
    // A loop over the fixed maximum with an early exit: GCC unrolls it into scalar moves, where a
    // loop to rank_ becomes a call to memcpy.
    constexpr void copy_extents(const shape& o) noexcept {
        for (int i = 0; i < max_rank; ++i) {
            if (i >= rank_) break;
            d_[i] = o.d_[i];
        }
    }
    static constexpr void check_rank(int r) {
        if (r > max_rank)
            throw shape_error("nabla supports tensors of at most " + std::to_string(max_rank) +
                              " dimensions, got " + std::to_string(r));
    }
    template <class It>
    constexpr void assign(It first, It last) {
        rank_ = 0;
        for (; first != last; ++first) push_back(static_cast<std::int64_t>(*first));
    }

    std::int64_t d_[max_rank]{};
    int rank_ = 0;
};

/// A number as Python's repr prints it (`-1`, `2.5`, `inf`, `nan`): for error messages.
inline std::string number_repr(double v) {
    if (v != v) return "nan";
    if (v == static_cast<double>(static_cast<long long>(v)) && v > -1e16 && v < 1e16)
        return std::to_string(static_cast<long long>(v));
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

/// Strides are counted in elements and stored like shapes.
using strides = shape;

/// Row-major (C-order) strides of a shape.
constexpr strides contiguous_strides(const shape& s) {
    strides st = shape::filled(s.size(), 1);
    for (int i = s.size() - 2; i >= 0; --i) st[i] = st[i + 1] * std::max<std::int64_t>(s[i + 1], 1);
    return st;
}

/// True when the strides walk the shape in row-major order without gaps (size-1 dimensions may
/// have any stride, as in PyTorch).
constexpr bool is_contiguous(const shape& sizes, const strides& st) noexcept {
    std::int64_t expected = 1;
    for (int i = sizes.size() - 1; i >= 0; --i) {
        if (sizes[i] == 1) continue;
        if (st[i] != expected) return false;
        expected *= sizes[i];
    }
    return true;
}

/// Wraps a dimension for indexing ops (size, stride): a 0-d tensor has none, as PyTorch says.
inline int wrap_index_dim(std::int64_t d, int rank) {
    if (rank == 0)
        throw index_error("Dimension specified as " + std::to_string(d) + " but tensor has no dimensions");
    if (d < -rank || d >= rank)
        throw index_error("Dimension out of range (expected to be in range of [" + std::to_string(-rank) + ", " +
                          std::to_string(rank - 1) + "], but got " + std::to_string(d) + ")");
    return static_cast<int>(d < 0 ? d + rank : d);
}

/// Wraps a possibly negative dimension `d` of a rank-`rank` tensor into [0, rank), or throws
/// PyTorch's message. A 0-d tensor accepts the dimensions -1 and 0 for reductions, like PyTorch.
inline int wrap_dim(std::int64_t d, int rank) {
    const int r = rank == 0 ? 1 : rank;
    if (d < -r || d >= r)
        throw index_error("Dimension out of range (expected to be in range of [" + std::to_string(-r) + ", " +
                          std::to_string(r - 1) + "], but got " + std::to_string(d) + ")");
    return static_cast<int>(d < 0 ? d + r : d);
}

}  // namespace nabla
