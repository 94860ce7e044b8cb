#pragma once
/// \file autograd_meta.hpp
/// The autograd slot a tensor handle carries. Lower layers only store it; `autodiff/` gives it meaning.

#include <memory>
#include <string_view>

namespace nabla::detail {

/// Shared by a tensor handle and the copies made from it: whether it requires grad, its
/// accumulated gradient (type-erased; the tape knows the element type) and the node that
/// produced it, if any. A handle without autograd state holds a null pointer (copying it costs nothing).
struct autograd_meta {
    bool requires_grad = false;
    std::shared_ptr<void> grad;      ///< a `tensor<T>` once a backward pass reached this tensor
    std::shared_ptr<void> grad_fn;   ///< the producing node; empty for leaves
    std::string_view grad_fn_name;   ///< e.g. "MulBackward0"; empty for leaves
};

}  // namespace nabla::detail
