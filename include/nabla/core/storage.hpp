#pragma once
/// \file storage.hpp
/// Reference-counted, 64-byte-aligned storage shared by a tensor and all of its views.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

#include "config.hpp"

namespace nabla {

/// Alignment of every buffer nabla allocates: one cache line, one AVX-512 register.
inline constexpr std::size_t storage_alignment = 64;

namespace detail {

/// Counts storage allocations. Read by tests that prove an expression is fused (it allocates only
/// its result); thread-local so that concurrent tests do not disturb each other.
inline std::int64_t& allocation_counter() noexcept {
    thread_local std::int64_t n = 0;
    return n;
}

/// One allocation: this header followed by the elements, which start at the first 64-byte
/// boundary after it; or, for `from_blob`, a header that points at memory the caller owns.
struct storage_block {
    std::atomic<std::int64_t> refs{1};
    void* data = nullptr;
    std::size_t bytes = 0;
    bool owns = true;
};

}  // namespace detail

/// An intrusive, thread-safe reference to a storage block. Copying a handle is one atomic increment.
class storage {
public:
    storage() noexcept = default;

    /// Allocates `bytes` bytes, 64-byte aligned, uninitialised.
    static storage allocate(std::size_t bytes) {
        // Plain operator new, then align by hand: the aligned operator new goes through
        // memalign, which costs several times a small malloc (most of a small reduction's time).
        constexpr std::size_t slack = storage_alignment - 1;
        const std::size_t padded = (bytes + slack) / storage_alignment * storage_alignment;
        void* raw = ::operator new(sizeof(detail::storage_block) + slack + padded);
        auto* b = new (raw) detail::storage_block{};
        const auto first = reinterpret_cast<std::uintptr_t>(b + 1);
        b->data = reinterpret_cast<void*>((first + slack) / storage_alignment * storage_alignment);
        b->bytes = bytes;
        ++detail::allocation_counter();
        return storage(b);
    }
    /// Wraps memory the caller owns; the caller keeps it alive as long as any tensor views it.
    static storage borrow(void* data, std::size_t bytes) {
        auto* b = new detail::storage_block{};
        b->data = data;
        b->bytes = bytes;
        b->owns = false;
        return storage(b);
    }

    storage(const storage& o) noexcept : b_(o.b_) {
        if (b_) b_->refs.fetch_add(1, std::memory_order_relaxed);
    }
    storage(storage&& o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
    storage& operator=(const storage& o) noexcept {
        storage(o).swap(*this);
        return *this;
    }
    storage& operator=(storage&& o) noexcept {
        storage(std::move(o)).swap(*this);
        return *this;
    }
    ~storage() { release(); }
    void swap(storage& o) noexcept { std::swap(b_, o.b_); }

    explicit operator bool() const noexcept { return b_ != nullptr; }
    void* data() const noexcept { return b_ ? b_->data : nullptr; }
    std::size_t bytes() const noexcept { return b_ ? b_->bytes : 0; }
    std::int64_t use_count() const noexcept { return b_ ? b_->refs.load(std::memory_order_relaxed) : 0; }
    friend bool operator==(const storage& a, const storage& b) noexcept { return a.b_ == b.b_; }

private:
    explicit storage(detail::storage_block* b) noexcept : b_(b) {}
    void release() noexcept {
        if (b_ && b_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            if (b_->owns) {
                b_->~storage_block();
                ::operator delete(static_cast<void*>(b_));
            } else {
                delete b_;
            }
        }
        b_ = nullptr;
    }
    detail::storage_block* b_ = nullptr;
};

}  // namespace nabla
