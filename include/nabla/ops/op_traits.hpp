#pragma once
/// \file op_traits.hpp
/// What every element-wise functor declares besides its function and derivative: the type it
/// computes in and the type it produces (given the promoted operand type P), and whether it has a
/// SIMD form for P. Functors derive from one of these bases and override what differs.

#include <cstddef>
#include <type_traits>

#include "../core/dtype.hpp"

namespace nabla::ops {

/// Arithmetic-like ops: computed in, and producing, the promoted type.
struct same_type_op {
    template <element P> using compute_t = P;
    template <element P> using result_t = P;
    template <element P> static constexpr bool simd = !std::is_same_v<P, bool>;
    static constexpr bool differentiable = true;
    /// Leading operands that are conditions, left out of type promotion (`where`'s first).
    static constexpr std::size_t condition_operands = 0;
};

/// True division and transcendental functions: integers are computed in float.
struct floating_op : same_type_op {
    template <element P> using compute_t = floating_t<P>;
    template <element P> using result_t = floating_t<P>;
    template <element P> static constexpr bool simd = floating_element<P>;
};

/// Comparisons and logical ops: computed in the promoted type, producing bool; no gradient.
struct predicate_op : same_type_op {
    template <element P> using result_t = bool;
    template <element P> static constexpr bool simd = false;
    static constexpr bool differentiable = false;
};

}  // namespace nabla::ops
