#pragma once
/// \file storage.hpp
/// Reference-counted, 64-byte-aligned storage shared by a tensor and all of its views.
///
/// Two things keep small tensors cheap (their cost is the handle, not the elements):
///  - the thread that made a block counts its references without atomic instructions, however
///    many threads the process has (biased counts, refcount.hpp);
///  - blocks of up to 1 KiB go back to a small per-thread cache when freed and are reused by the
///    next allocation of the same size class, instead of a malloc/free round trip.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

#include "config.hpp"
#include "refcount.hpp"

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
/// Counts storage blocks freed by the calling thread (tests: which thread frees a shared tensor).
inline std::int64_t& release_counter() noexcept {
    thread_local std::int64_t n = 0;
    return n;
}

/// One allocation: this header followed by the elements, which start at the first 64-byte
/// boundary after it; or, for `from_blob`, a header that points at memory the caller owns.
struct storage_block {
    biased_count refs;
    void* data = nullptr;
    std::size_t bytes = 0;
    std::uint32_t extra = 0;  ///< bytes of another object kept between this header and the data (a tensor's layout)
    bool owns = true;
};

/// The calling thread's cache of small freed blocks (whole allocations of up to `classes`
/// granules), a few per size class. Blocks are plain operator-new memory, so a block freed on
/// another thread simply joins that thread's cache. Off under AddressSanitizer, which must see
/// every free to catch a use after it.
class block_cache {
public:
    static constexpr std::size_t granule = 64, classes = 16, depth = 8;

private:
    struct state {
        void* slot_[classes][depth];
        std::uint8_t count_[classes];
        bool armed_, dead_;
    };
    static inline thread_local state tl_{};  // trivially destructible: no guard on access

public:

    static void* allocate(std::size_t bytes) {
        owner_registry::collect();  // references to this thread's objects that other threads dropped
#if !NABLA_SANITIZE_ADDRESS
        const std::size_t c = (bytes - 1) / granule;
        state& t = tl_;
        if (c < classes && t.count_[c] != 0) return t.slot_[c][--t.count_[c]];
        if (c < classes) bytes = (c + 1) * granule;  // every block of a class has the class's size
#endif
        return ::operator new(bytes);
    }
    static void deallocate(void* p, [[maybe_unused]] std::size_t bytes) noexcept {
#if !NABLA_SANITIZE_ADDRESS
        const std::size_t c = (bytes - 1) / granule;
        state& t = tl_;
        if (c < classes && t.count_[c] < depth && !t.dead_) {
            if (!t.armed_) arm();
            t.slot_[c][t.count_[c]++] = p;
            return;
        }
#endif
        ::operator delete(p);
    }
    /// Blocks cached by the calling thread (for tests).
    static std::size_t cached() noexcept {
        std::size_t n = 0;
        for (auto c : tl_.count_) n += c;
        return n;
    }

private:
    /// Made on the first block the thread caches; at thread exit it frees the cache and turns it off.
    struct cleaner {
        ~cleaner() {
            state& t = tl_;
            t.dead_ = true;
            for (std::size_t c = 0; c < classes; ++c)
                while (t.count_[c] != 0) ::operator delete(t.slot_[c][--t.count_[c]]);
        }
    };
    static void arm() noexcept {
        thread_local cleaner c;
        (void)c;
        tl_.armed_ = true;
    }
};

/// A standard allocator over the calling thread's block cache, for small containers that live
/// for one call (the static pass's list of pending nodes): no malloc/free pair each time.
template <class T>
struct cache_allocator {
    using value_type = T;
    cache_allocator() noexcept = default;
    template <class U>
    cache_allocator(const cache_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(block_cache::allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { block_cache::deallocate(p, n * sizeof(T)); }
    friend bool operator==(const cache_allocator&, const cache_allocator&) noexcept { return true; }
};

}  // namespace detail

/// An intrusive reference to a storage block, safe to share across threads. Copying a handle is
/// one increment (atomic only on a thread other than the one that made the block).
class storage {
public:
    storage() noexcept = default;

    /// Allocates `bytes` bytes, 64-byte aligned, uninitialised.
    static storage allocate(std::size_t bytes) {
        void* unused;
        return allocate_with<0>(bytes, unused);
    }
    /// Allocates `bytes` bytes as above and, in the same block, `Extra` bytes (at most 1 KiB,
    /// 16-byte aligned) at `*extra_mem` for an object whose lifetime the caller ends before
    /// releasing this handle: a new tensor's layout lives next to its data, one allocation for both.
    template <std::size_t Extra>
    static storage allocate_with(std::size_t bytes, void*& extra_mem) {
        static_assert(Extra <= 1024, "nabla: the object kept in a storage block is at most 1 KiB");
        constexpr std::size_t extra = (Extra + 15) / 16 * 16;
        // Plain operator new, then align by hand: the aligned operator new goes through
        // memalign, which costs several times a small malloc (most of a small reduction's time).
        void* raw = detail::block_cache::allocate(block_bytes(bytes) + extra);
        auto* b = new (raw) detail::storage_block{};
        extra_mem = b + 1;
        const auto first = reinterpret_cast<std::uintptr_t>(b + 1) + extra;
        b->data = reinterpret_cast<void*>((first + slack) / storage_alignment * storage_alignment);
        b->bytes = bytes;
        b->extra = static_cast<std::uint32_t>(extra);
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

    explicit operator bool() const noexcept { return ref_.get() != nullptr; }
    void* data() const noexcept { return ref_.get() ? ref_.get()->data : nullptr; }
    std::size_t bytes() const noexcept { return ref_.get() ? ref_.get()->bytes : 0; }
    std::int64_t use_count() const noexcept { return ref_.use_count(); }
    friend bool operator==(const storage& a, const storage& b) noexcept { return a.ref_.get() == b.ref_.get(); }

private:
    static constexpr std::size_t slack = storage_alignment - 1;
    static std::size_t block_bytes(std::size_t bytes) noexcept {
        const std::size_t padded = (bytes + slack) / storage_alignment * storage_alignment;
        return sizeof(detail::storage_block) + slack + padded;
    }
    struct block_traits {
        using type = detail::storage_block;
        static constexpr type* empty() noexcept { return nullptr; }
        static void release(type* b) noexcept {
            ++detail::release_counter();
            if (b->owns) {
                const std::size_t total = block_bytes(b->bytes) + b->extra;
                b->~storage_block();
                detail::block_cache::deallocate(b, total);
            } else {
                delete b;
            }
        }
    };
    explicit storage(detail::storage_block* b) noexcept : ref_(b) {}

    detail::counted_ref<block_traits> ref_;
};

}  // namespace nabla
