#pragma once
/// \file arena.hpp
/// The tape's memory. Each thread records into its own arena: nodes (one per evaluated
/// expression), their autograd slots and the gradients pending during a backward pass are carved
/// from 64 KiB chunks in 64-byte size classes, and a freed block goes back to its class's free
/// list — so a training loop reuses the same few chunks every step and never calls malloc for
/// its graph. Graphs still live exactly as long as a tensor can reach them (PyTorch's rule); the
/// arena only decides where they live.
///
/// Threads: allocation touches only the calling thread's arena. A block freed by another thread
/// (a tensor handed across threads) is pushed on its owner's lock-free return stack, which the
/// owner drains when a free list runs dry. An arena outlives its thread while any of its blocks
/// does: it is counted by its thread plus its live blocks, and whoever drops the count to zero
/// deletes it.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "../core/autograd.hpp"
#include "../core/storage.hpp"

namespace nabla::autodiff {

class tape_arena {
public:
    static constexpr std::size_t granule = 64;         ///< block sizes are multiples of this
    static constexpr std::size_t classes = 64;         ///< blocks up to 4 KiB; larger go to operator new
    static constexpr std::size_t chunk_bytes = 64 << 10;

    /// The calling thread's arena, or null once the thread's arena has been retired (during
    /// thread exit), in which case allocations fall back to operator new.
    static tape_arena* local() noexcept {
        if (!current_ && !retired_) {
            thread_local owner_ref ref;  // made on first use; retires the arena at thread exit
            (void)ref;
        }
        return current_;
    }

    static void* allocate(tape_arena* a, std::size_t bytes) {
        if (!a || bytes > granule * classes) return ::operator new(bytes, std::align_val_t{granule});
        return a->take((bytes - 1) / granule);
    }

    static void deallocate(tape_arena* a, void* p, std::size_t bytes) noexcept {
        if (!a || bytes > granule * classes) {
            ::operator delete(p, std::align_val_t{granule});
            return;
        }
        const std::size_t c = (bytes - 1) / granule;
        auto* b = static_cast<free_block*>(p);
        if (a == current_) {
            b->next = a->free_[c];
            a->free_[c] = b;
        } else {  // another thread's block: hand it back through the owner's return stack
            b->size_class = c;
            b->next = a->returned_.load(std::memory_order_relaxed);
            while (!a->returned_.compare_exchange_weak(b->next, b, std::memory_order_release, std::memory_order_relaxed)) {
            }
        }
        a->unref();
    }

    /// Blocks of this arena in use (nodes, slots, pending gradients): a graph's footprint.
    std::size_t live_blocks() const noexcept { return static_cast<std::size_t>(refs_.count()) - (owned_ ? 1 : 0); }
    /// Chunks this arena has taken from the system.
    std::size_t chunks() const noexcept { return chunks_.size(); }
    /// Arenas alive in the process (threads with a tape, plus retired arenas still holding blocks).
    static std::size_t arenas_alive() noexcept { return alive_.load(std::memory_order_relaxed); }

    tape_arena(const tape_arena&) = delete;
    tape_arena& operator=(const tape_arena&) = delete;

private:
    struct free_block {
        free_block* next;
        std::size_t size_class;  // set only on the return stack, where classes mix
    };

    /// The thread's reference: creating it makes the arena, destroying it (thread exit) retires it.
    struct owner_ref {
        owner_ref() { current_ = new tape_arena; }
        ~owner_ref() {
            tape_arena* a = current_;
            current_ = nullptr;
            retired_ = true;
            a->owned_ = false;
            a->unref();
        }
    };

    tape_arena() noexcept { alive_.fetch_add(1, std::memory_order_relaxed); }
    ~tape_arena() {
        for (void* c : chunks_) ::operator delete(c, std::align_val_t{granule});
        alive_.fetch_sub(1, std::memory_order_relaxed);
    }

    void* take(std::size_t c) {
        ref();
        if (!free_[c]) reclaim();
        if (free_block* b = free_[c]) {
            free_[c] = b->next;
            return b;
        }
        const std::size_t bytes = (c + 1) * granule;
        if (static_cast<std::size_t>(end_ - next_) < bytes) {
            try {
                chunks_.reserve(chunks_.size() + 1);
                next_ = static_cast<std::byte*>(::operator new(chunk_bytes, std::align_val_t{granule}));
            } catch (...) {
                unref();  // the owning thread still counts: this never deletes the arena
                throw;
            }
            chunks_.push_back(next_);
            end_ = next_ + chunk_bytes;
        }
        void* p = next_;
        next_ += bytes;
        return p;
    }

    /// Moves the blocks other threads gave back onto the free lists.
    void reclaim() noexcept {
        free_block* b = returned_.exchange(nullptr, std::memory_order_acquire);
        while (b) {
            free_block* n = b->next;
            b->next = free_[b->size_class];
            free_[b->size_class] = b;
            b = n;
        }
    }

    // Counted like tensor storage (core/refcount.hpp): plainly by the arena's own thread, which
    // takes and frees nearly every block; atomically by the others.
    void ref() noexcept { refs_.up(); }
    void unref() noexcept {
        if (refs_.down(this, &owner_unref)) delete this;
    }
    static void owner_unref(void* p) noexcept {
        auto* a = static_cast<tape_arena*>(p);
        if (a->refs_.owner_down()) delete a;
    }

    std::array<free_block*, classes> free_{};
    std::atomic<free_block*> returned_{nullptr};
    nabla::detail::biased_count refs_;  // the owning thread + live blocks
    bool owned_ = true;
    std::byte* next_ = nullptr;
    std::byte* end_ = nullptr;
    std::vector<void*> chunks_;

    static inline thread_local tape_arena* current_ = nullptr;
    static inline thread_local bool retired_ = false;
    static inline std::atomic<std::size_t> alive_{0};
};

/// A standard allocator over the calling thread's tape arena (for `std::allocate_shared`: the
/// object and its control block share one block).
template <class T>
struct tape_allocator {
    using value_type = T;
    tape_arena* arena = tape_arena::local();

    tape_allocator() noexcept = default;
    template <class U>
    tape_allocator(const tape_allocator<U>& o) noexcept : arena(o.arena) {}

    T* allocate(std::size_t n) { return static_cast<T*>(tape_arena::allocate(arena, n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { tape_arena::deallocate(arena, p, n * sizeof(T)); }

    template <class U>
    friend bool operator==(const tape_allocator& a, const tape_allocator<U>& b) noexcept {
        return a.arena == b.arena;
    }
};

/// A recorded tensor's autograd slot, in this thread's arena (handed back to it when the slot's
/// last handle goes, on whichever thread).
inline nabla::detail::meta_ref make_meta_on_tape() {
    using nabla::detail::autograd_meta;
    tape_arena* const a = tape_arena::local();
    void* const p = tape_arena::allocate(a, sizeof(autograd_meta));
    auto* const m = ::new (p) autograd_meta;  // noexcept
    m->home = a;
    m->free = [](autograd_meta* s) noexcept {
        auto* const home = static_cast<tape_arena*>(s->home);
        s->~autograd_meta();
        tape_arena::deallocate(home, s, sizeof(autograd_meta));
    };
    return nabla::detail::meta_ref(m);
}

/// Makes a tape object (node, pending gradient) in this thread's arena.
template <class T, class... A>
std::shared_ptr<T> make_on_tape(A&&... args) {
    static_assert(alignof(T) <= tape_arena::granule, "a tape object must not need more than 64-byte alignment");
    return std::allocate_shared<T>(tape_allocator<T>{}, std::forward<A>(args)...);
}

}  // namespace nabla::autodiff
