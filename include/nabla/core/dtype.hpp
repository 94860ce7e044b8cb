#pragma once
/// \file dtype.hpp
/// Element types, their names, dtype tags and PyTorch's type promotion, all at compile time.

#include <concepts>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace nabla {

/// True for `nabla::dual<float, N>` and `nabla::dual<double, N>` (specialised in autodiff/dual.hpp):
/// dual numbers are tensor elements too (forward mode on tensors, `jvp`, `hessian`).
template <class T>
inline constexpr bool is_dual_element = false;

/// The element types a tensor may hold.
template <class T>
concept element = std::same_as<T, float> || std::same_as<T, double> || std::same_as<T, std::int32_t> ||
                  std::same_as<T, std::int64_t> || std::same_as<T, bool> || is_dual_element<T>;

/// Floating-point elements and dual numbers of them: what true division, transcendental
/// functions, mean and norm produce and accept.
template <class T>
concept inexact_element = std::is_floating_point_v<T> || is_dual_element<T>;

/// Element types that can require gradients.
template <class T>
concept floating_element = std::same_as<T, float> || std::same_as<T, double>;

/// C++ arithmetic values usable as scalars in expressions (`2 * x`, `x + 0.5f`).
template <class S>
concept arithmetic_scalar = std::is_arithmetic_v<std::remove_cvref_t<S>>;

/// A dtype tag, `nabla::float32` etc., for factories such as `arange(20, nabla::float32)`.
template <element T>
struct dtype_tag {
    using type = T;
};
inline constexpr dtype_tag<float> float32{};
inline constexpr dtype_tag<double> float64{};
inline constexpr dtype_tag<std::int32_t> int32{};
inline constexpr dtype_tag<std::int64_t> int64{};
inline constexpr dtype_tag<bool> boolean{};

/// PyTorch's name of an element type without the `torch.` prefix: "float32", "int64", ...
template <element T>
constexpr std::string_view dtype_name() {
    if constexpr (std::same_as<T, float>) return "float32";
    else if constexpr (std::same_as<T, double>) return "float64";
    else if constexpr (std::same_as<T, std::int32_t>) return "int32";
    else if constexpr (std::same_as<T, std::int64_t>) return "int64";
    else return "bool";
}

namespace detail {

// Promotion category, as in PyTorch: bool < integral < floating.
template <class T>
constexpr int category = std::is_same_v<T, bool> ? 0 : std::is_integral_v<T> ? 1 : 2;

// Rank of a type on the promotion lattice bool < int32 < int64 < float < double.
template <class T>
constexpr int lattice_rank = std::is_same_v<T, bool>            ? 0
                             : std::is_same_v<T, std::int32_t> ? 1
                             : std::is_same_v<T, std::int64_t> ? 2
                             : std::is_same_v<T, float>        ? 3
                             : std::is_same_v<T, double>       ? 4
                                                               : 5;  // duals

}  // namespace detail

/// The element type PyTorch gives a C++ scalar or literal of type S on its own:
/// floating -> float (the default dtype), bool -> bool, other integers -> int64.
template <class S>
using default_element_t = std::conditional_t<std::is_floating_point_v<S>, float,
                                             std::conditional_t<std::is_same_v<S, bool>, bool, std::int64_t>>;

/// The element type of combining two tensors (PyTorch's `promote_types`).
template <element A, element B>
using promote_t = std::conditional_t<(detail::lattice_rank<A> >= detail::lattice_rank<B>), A, B>;

/// The element type of combining a tensor of type T with a scalar of C++ type S: a scalar never
/// widens a tensor within its kind; a scalar of a higher kind gives that kind's default type.
template <element T, class S>
using promote_scalar_t =
    std::conditional_t<(detail::category<default_element_t<S>> > detail::category<T>), default_element_t<S>, T>;

/// T when floating, else float: the result type of true division and of transcendental functions.
template <element T>
using floating_t = std::conditional_t<inexact_element<T>, T, float>;

}  // namespace nabla
