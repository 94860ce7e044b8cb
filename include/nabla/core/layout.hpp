#pragma once
/// \file layout.hpp
/// What a tensor handle points at: its storage, the view's shape, strides and offset. A layout is
/// immutable once made — a view is a new layout over the same storage, a copied handle shares the
/// layout — so a handle is one pointer, and copying it into an expression node is one count
/// increment and 8 bytes, not a copy of two inline shapes (LibTorch's TensorImpl, for the same reason).

#include <atomic>
#include <cstdint>
#include <new>
#include <utility>

#include "shape.hpp"
#include "storage.hpp"

namespace nabla::detail {

/// One view of a storage block. `first` is the address of element 0 of the view; `numel` and
/// `contiguous` are worked out once, when the layout is made (every evaluation asks for them).
struct tensor_layout {
    std::atomic<std::int64_t> refs{1};
    void* first = nullptr;
    nabla::shape shape;
    nabla::strides strides;
    std::int64_t offset = 0;
    std::int64_t numel = 1;
    bool contiguous = true;
    nabla::storage storage;
};

/// The layout of an undefined tensor: no storage, shape `[]`. Shared by every undefined handle and
/// never counted, so default-constructed and moved-from tensors cost no allocation.
inline tensor_layout null_layout{};

/// An intrusive, counted reference to a layout (never null: undefined handles use null_layout).
class layout_ref {
public:
    layout_ref() noexcept = default;
    /// A new layout viewing `st` with the given shape, strides and offset (in elements of `elem_bytes`).
    layout_ref(nabla::storage st, const nabla::shape& s, const nabla::strides& str, std::int64_t offset,
               std::size_t elem_bytes)
        : p_(new (block_cache::allocate(sizeof(tensor_layout))) tensor_layout{}) {
        if (st) p_->first = static_cast<char*>(st.data()) + offset * static_cast<std::int64_t>(elem_bytes);
        p_->shape = s;
        p_->strides = str;
        p_->offset = offset;
        p_->numel = s.numel();
        p_->contiguous = nabla::is_contiguous(s, str);
        p_->storage = std::move(st);
    }
    layout_ref(const layout_ref& o) noexcept : p_(o.p_) {
        if (p_ != &null_layout) count_up(p_->refs);
    }
    layout_ref(layout_ref&& o) noexcept : p_(std::exchange(o.p_, &null_layout)) {}
    layout_ref& operator=(const layout_ref& o) noexcept {
        layout_ref(o).swap(*this);
        return *this;
    }
    layout_ref& operator=(layout_ref&& o) noexcept {
        layout_ref(std::move(o)).swap(*this);
        return *this;
    }
    ~layout_ref() {
        if (p_ != &null_layout && count_down(p_->refs) == 0) {
            // The storage is released last, so that its block is the first a thread's cache hands
            // out again: the next tensor of this size reuses the same data block and layout block.
            nabla::storage last = std::move(p_->storage);
            p_->~tensor_layout();
            block_cache::deallocate(p_, sizeof(tensor_layout));
        }
    }
    void swap(layout_ref& o) noexcept { std::swap(p_, o.p_); }
    /// Handles sharing this layout (0 for an undefined tensor).
    std::int64_t use_count() const noexcept { return p_ == &null_layout ? 0 : p_->refs.load(std::memory_order_relaxed); }

    const tensor_layout* operator->() const noexcept { return p_; }
    const tensor_layout& operator*() const noexcept { return *p_; }

private:
    tensor_layout* p_ = &null_layout;
};

}  // namespace nabla::detail
