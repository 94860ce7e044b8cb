#pragma once
/// \file print.hpp
/// `std::cout << t` prints what PyTorch 1.13 prints for the same tensor (see io/format.hpp for the
/// rules); an expression is evaluated first; an undefined tensor prints `None`.

#include <ostream>
#include <span>

#include "../tensor.hpp"
#include "format.hpp"

namespace nabla {

template <element T>
std::ostream& operator<<(std::ostream& os, const tensor<T>& t) {
    if (!t.defined()) {
        io::format_undefined(os);
        return os;
    }
    io::print_suffix sfx;
    sfx.requires_grad = t.requires_grad();
    sfx.grad_fn = t.grad_fn_name();
    io::format_tensor<T>(os, t.data(), std::span<const std::int64_t>(t.shape().begin(), t.shape().end()),
                         std::span<const std::int64_t>(t.strides().begin(), t.strides().end()), sfx);
    return os;
}

/// Prints an unevaluated expression by evaluating it.
template <expression E>
    requires(!leaf_expression<E>)
std::ostream& operator<<(std::ostream& os, const E& e) {
    return os << evaluate(e);
}

}  // namespace nabla
