#pragma once
/// \file layout.hpp
/// What a tensor handle points at: its storage, the view's shape, strides and offset. A layout is
/// immutable once made — a view is a new layout over the same storage, a copied handle shares the
/// layout — so a handle is one pointer, and copying it into an expression node is one count
/// increment and 8 bytes, not a copy of two inline shapes (LibTorch's TensorImpl, for the same reason).

#include <cstdint>
#include <new>
#include <utility>

#include "shape.hpp"
#include "storage.hpp"

namespace nabla::detail {

/// One view of a storage block. `first` is the address of element 0 of the view; `numel` and
/// `contiguous` are worked out once, when the layout is made (every evaluation asks for them).
/// The constructors build every member in place: a shape copied out of a temporary that was just
/// written element by element costs a failed store-to-load forward (a wide load of narrow stores).
struct tensor_layout {
    tensor_layout() noexcept = default;
    /// A row-major layout of shape `s` over all of `st`.
    tensor_layout(nabla::storage&& st, const nabla::shape& s)
        : first(st.data()), shape(s), strides(contiguous_strides(s)), numel(s.numel()), storage(std::move(st)) {}
    /// Any view of `st`: `offset` and the strides count elements of `elem_bytes` bytes.
    tensor_layout(nabla::storage&& st, const nabla::shape& s, const nabla::strides& str, std::int64_t off,
                  std::size_t elem_bytes)
        : first(st ? static_cast<char*>(st.data()) + off * static_cast<std::int64_t>(elem_bytes) : nullptr),
          shape(s), strides(str), offset(off), numel(s.numel()), contiguous(nabla::is_contiguous(s, str)),
          storage(std::move(st)) {}

    biased_count refs;
    void* first = nullptr;
    nabla::shape shape;
    nabla::strides strides;
    std::int64_t offset = 0;
    std::int64_t numel = 1;
    bool contiguous = true;
    bool in_storage_block = false;  ///< made by layout_ref::contiguous, inside its storage's block
    nabla::storage storage;
};

/// The layout of an undefined tensor: no storage, shape `[]`. Shared by every undefined handle and
/// never counted, so default-constructed and moved-from tensors cost no allocation.
inline tensor_layout null_layout{};

/// Frees a layout whose last reference went.
struct layout_traits {
    using type = tensor_layout;
    static constexpr type* empty() noexcept { return &null_layout; }
    static void release(tensor_layout* p) noexcept {
        if (p->in_storage_block) {
            // The layout's memory belongs to the storage block: end the layout first, then drop
            // its storage reference (which frees the block unless a view still holds it).
            nabla::storage last = std::move(p->storage);
            p->~tensor_layout();
        } else {
            p->~tensor_layout();
            block_cache::deallocate(p, sizeof(tensor_layout));
        }
    }
};

/// An intrusive, counted reference to a layout (never null: undefined handles use null_layout).
class layout_ref : public counted_ref<layout_traits> {
public:
    layout_ref() noexcept = default;
    /// A new view of `st`: the arguments are tensor_layout's.
    layout_ref(nabla::storage st, const nabla::shape& s, const nabla::strides& str, std::int64_t offset,
               std::size_t elem_bytes)
        : counted_ref(new (block_cache::allocate(sizeof(tensor_layout)))
                          tensor_layout(std::move(st), s, str, offset, elem_bytes)) {}
    /// A new row-major tensor of shape `s` with `bytes` bytes of uninitialised storage. The layout
    /// lives in the storage's own block (one allocation, as a tensor without a layout had).
    static layout_ref contiguous(std::size_t bytes, const nabla::shape& s) {
        void* mem = nullptr;
        nabla::storage st = nabla::storage::allocate_with<sizeof(tensor_layout)>(bytes, mem);
        auto* p = new (mem) tensor_layout(std::move(st), s);
        p->in_storage_block = true;
        return layout_ref(p);
    }

    const tensor_layout* operator->() const noexcept { return get(); }
    const tensor_layout& operator*() const noexcept { return *get(); }

private:
    explicit layout_ref(tensor_layout* p) noexcept : counted_ref(p) {}
};

}  // namespace nabla::detail
