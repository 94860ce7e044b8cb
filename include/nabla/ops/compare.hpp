#pragma once
/// \file compare.hpp
/// Comparisons and logical connectives: bool results, no derivative.

#include <string_view>

#include "op_traits.hpp"

namespace nabla::ops {

struct eq : predicate_op {
    static constexpr std::string_view name = "Eq";
    template <class A, class B> auto operator()(const A& a, const B& b) const { return a == b; }
};
struct ne : predicate_op {
    static constexpr std::string_view name = "Ne";
    template <class A, class B> auto operator()(const A& a, const B& b) const { return a != b; }
};
struct lt : predicate_op {
    static constexpr std::string_view name = "Lt";
    template <class A, class B> auto operator()(const A& a, const B& b) const { return a < b; }
};
struct le : predicate_op {
    static constexpr std::string_view name = "Le";
    template <class A, class B> auto operator()(const A& a, const B& b) const { return a <= b; }
};
struct gt : predicate_op {
    static constexpr std::string_view name = "Gt";
    template <class A, class B> auto operator()(const A& a, const B& b) const { return a > b; }
};
struct ge : predicate_op {
    static constexpr std::string_view name = "Ge";
    template <class A, class B> auto operator()(const A& a, const B& b) const { return a >= b; }
};
struct logical_and : predicate_op {
    static constexpr std::string_view name = "LogicalAnd";
    template <class A, class B> auto operator()(const A& a, const B& b) const { return bool(a) && bool(b); }
};
struct logical_or : predicate_op {
    static constexpr std::string_view name = "LogicalOr";
    template <class A, class B> auto operator()(const A& a, const B& b) const { return bool(a) || bool(b); }
};
struct logical_not : predicate_op {
    static constexpr std::string_view name = "LogicalNot";
    template <class A> auto operator()(const A& a) const { return !bool(a); }
};

}  // namespace nabla::ops
