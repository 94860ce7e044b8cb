#pragma once
/// \file refcount.hpp
/// Reference counts for tensor storage, layouts and tape arenas: biased towards the thread that
/// made the object.
///
/// An expression node holds its tensors by value, so `a.copy_(b + s * c)` copies two handles and
/// drops them again: four count updates. As atomic read-modify-writes, once a process has a second
/// thread (any program that uses LibTorch, OpenMP or a thread pool), each costs ~5 ns on a Zen 5
/// core — 17 of the 28 ns that call took. Biased reference counting (Choi, Shull and Torrellas,
/// PACT 2018; CPython's free-threaded build counts the same way) makes the common case plain again:
///  - the thread that made the object (its owner) counts in `local`, with plain loads and stores;
///  - every other thread counts in `shared`, atomically;
///  - when `local` reaches 0 the owner merges: it marks `shared` as the whole count, and from then on
///    every thread counts there; the object is freed when that count reaches 0;
///  - a reference counted in `local` may be dropped on another thread (a handle copied on the owner
///    and moved to a worker). Taking it from `shared` there could free the object while the owner
///    still counts it, so the dropping thread sends the owner a request instead, which the owner
///    applies the next time it allocates a tensor or when it exits. A request to a thread that has
///    exited is applied at once: the dropping thread adopts the object (its count becomes shared).
/// So memory whose last reference goes on another thread comes back when its owner next allocates.

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "config.hpp"

namespace nabla::detail {

/// What an owner does with a reference another thread dropped: its count's `owner_down`, then free.
using owner_drop_fn = void (*)(void*);

/// The threads' mailboxes for dropped references, and each thread's identity (1, 2, ... in order
/// of first use, never reused; `exited` once the thread's own clean-up has run).
class owner_registry {
public:
    static constexpr std::uint64_t exited = ~std::uint64_t{0};

    static std::uint64_t this_thread() noexcept {
        const std::uint64_t id = tl_id_;
        return id != 0 ? id : enroll();
    }

    /// Applies the references other threads sent this one (a load and a branch when there are none).
    static void collect() noexcept {
        if (mailbox* const m = tl_box_; m != nullptr && m->pending.load(std::memory_order_relaxed)) drain(*m);
    }

    /// Sends the owner a reference dropped on this thread. False when the owner has exited: the
    /// caller then adopts the object under `mutex()`.
    static bool send(std::uint64_t owner, void* object, owner_drop_fn drop) {
        std::lock_guard<std::mutex> g(mutex());
        auto it = boxes().find(owner);
        if (it == boxes().end()) return false;
        it->second->requests.emplace_back(object, drop);
        it->second->pending.store(true, std::memory_order_release);
        return true;
    }
    static std::mutex& mutex() noexcept {
        static auto* m = new std::mutex;  // never destroyed: threads may drop references during exit
        return *m;
    }

private:
    struct mailbox {
        std::vector<std::pair<void*, owner_drop_fn>> requests;  // guarded by mutex()
        std::atomic<bool> pending{false};
    };
    /// At thread exit: apply what is pending, leave the registry, and count as no one's owner.
    struct leaver {
        ~leaver() {
            mailbox* const m = tl_box_;
            for (;;) {
                std::vector<std::pair<void*, owner_drop_fn>> todo;
                {
                    std::lock_guard<std::mutex> g(mutex());
                    if (m->requests.empty()) {
                        boxes().erase(tl_id_);
                        break;
                    }
                    todo.swap(m->requests);
                }
                for (auto [obj, drop] : todo) drop(obj);
            }
            tl_id_ = exited;  // from now on this thread's objects count as if it were another thread
            tl_box_ = nullptr;
            delete m;
        }
    };
    static std::unordered_map<std::uint64_t, mailbox*>& boxes() noexcept {
        static auto* b = new std::unordered_map<std::uint64_t, mailbox*>;
        return *b;
    }
    static std::uint64_t enroll() {
        static std::atomic<std::uint64_t> next{0};
        auto* m = new mailbox;
        const std::uint64_t id = next.fetch_add(1, std::memory_order_relaxed) + 1;
        {
            std::lock_guard<std::mutex> g(mutex());
            boxes().emplace(id, m);
        }
        tl_box_ = m;
        tl_id_ = id;
        thread_local leaver l;
        (void)l;
        return id;
    }
    static void drain(mailbox& m) noexcept {
        std::vector<std::pair<void*, owner_drop_fn>> todo;
        {
            std::lock_guard<std::mutex> g(mutex());
            todo.swap(m.requests);
            m.pending.store(false, std::memory_order_relaxed);
        }
        for (auto [obj, drop] : todo) drop(obj);
    }

    static inline thread_local std::uint64_t tl_id_ = 0;  // constant-initialised: no TLS wrapper
    static inline thread_local mailbox* tl_box_ = nullptr;
};

/// One object's reference count, biased towards its owner (see the top of this file).
class biased_count {
public:
    /// One reference, held by the calling thread.
    biased_count() noexcept : owner_(owner_registry::this_thread()) {}
    biased_count(const biased_count&) = delete;
    biased_count& operator=(const biased_count&) = delete;

    void up() noexcept {
        if (owner_.load(std::memory_order_relaxed) == owner_registry::this_thread())
            local_.store(local_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        else
            shared_.fetch_add(unit, std::memory_order_relaxed);
    }
    /// Drops one reference; true when it was the last (the caller frees the object). `object` and
    /// `drop` are what the owner is sent when the reference must go back to it.
    bool down(void* object, owner_drop_fn drop) noexcept {
        if (owner_.load(std::memory_order_relaxed) == owner_registry::this_thread()) return owner_down();
        return shared_down(object, drop);
    }
    /// Drops one reference on the owning thread.
    bool owner_down() noexcept {
        const std::int64_t left = local_.load(std::memory_order_relaxed) - 1;
        local_.store(left, std::memory_order_relaxed);
        if (left != 0) return false;
        // No local references are left, so every reference is counted in shared_: when that is 0
        // too, no thread holds one (and none can appear). The common case, without an atomic
        // read-modify-write; the acquire pairs with other threads' last decrements.
        if (shared_.load(std::memory_order_acquire) == 0) return true;
        return merge();
    }
    /// References to the object (exact when no other thread is changing them).
    std::int64_t count() const noexcept {
        const std::int64_t s = shared_.load(std::memory_order_relaxed);
        return (s & merged) ? s / unit : s / unit + local_.load(std::memory_order_relaxed);
    }

private:
    static constexpr std::int64_t merged = 1, unit = 2;  // shared_ = 2 * count + merged bit

    // The owner's last local reference went while other threads hold some: `shared` becomes the
    // whole count. Marked before the owner is cleared, so that a thread that sees the object
    // unmerged still finds its owner.
    NABLA_NOINLINE bool merge() noexcept {
        const std::int64_t before = shared_.fetch_or(merged, std::memory_order_acq_rel);
        owner_.store(0, std::memory_order_release);
        return before < unit;  // the other threads dropped theirs meanwhile
    }
    NABLA_NOINLINE bool shared_down(void* object, owner_drop_fn drop) noexcept {
        std::int64_t s = shared_.load(std::memory_order_relaxed);
        for (;;) {
            if (!(s & merged) && s < unit) {
                // This reference is one the owner counts: hand it back to the owner.
                const std::uint64_t owner = owner_.load(std::memory_order_acquire);
                if (owner == 0) {  // merged meanwhile: count it in shared_
                    s = shared_.load(std::memory_order_relaxed);
                    continue;
                }
                if (owner_registry::send(owner, object, drop)) return false;
                adopt(owner);
                s = shared_.load(std::memory_order_relaxed);
                continue;
            }
            if (shared_.compare_exchange_weak(s, s - unit, std::memory_order_acq_rel, std::memory_order_relaxed))
                return s - unit == merged;  // merged, and that was the last reference
        }
    }
    // The owner has exited: its count joins shared_ (under the registry's lock, so that one thread
    // adopts; the owner wrote local_ for the last time before it left the registry).
    void adopt(std::uint64_t owner) noexcept {
        std::lock_guard<std::mutex> g(owner_registry::mutex());
        if (owner_.load(std::memory_order_relaxed) != owner) return;  // adopted by another thread
        shared_.fetch_add(local_.load(std::memory_order_relaxed) * unit + merged, std::memory_order_acq_rel);
        local_.store(0, std::memory_order_relaxed);
        owner_.store(0, std::memory_order_release);
    }

    std::atomic<std::uint64_t> owner_;     // the owning thread, or 0 once merged
    std::atomic<std::int64_t> local_{1};   // the owner's count: plain loads and stores, by the owner only
    std::atomic<std::int64_t> shared_{0};  // everyone else's
};

/// A counted reference to an object with a `biased_count refs` member: the copy, move and release
/// rules shared by storage and layout handles. `Traits` names the type (`type`), the pointer an
/// empty handle holds (`empty()`, never counted) and what happens when the last reference goes
/// (`release(type*)`).
template <class Traits>
class counted_ref {
public:
    using type = typename Traits::type;

    counted_ref() noexcept = default;
    /// Adopts one reference that `p` already holds (a new object starts at 1).
    explicit counted_ref(type* p) noexcept : p_(p) {}
    // Copies and moves read the other pointer as a scalar (NABLA_SCALAR_LOAD): a handle is two
    // such pointers side by side, which the compiler would otherwise read with one 16-byte load,
    // and a wide load of two values that were just written by two separate stores (a handle
    // made a moment ago, moved into a node) waits until those stores retire instead of taking
    // their values: 5-20 ns per call of a 16-element `a.copy_(b + s * c)` or `value_and_grad`.
    counted_ref(const counted_ref& o) noexcept : p_(NABLA_SCALAR_LOAD(o.p_)) {
        if (p_ != Traits::empty()) p_->refs.up();
    }
    counted_ref(counted_ref&& o) noexcept : p_(NABLA_SCALAR_LOAD(o.p_)) { o.p_ = Traits::empty(); }
    counted_ref& operator=(const counted_ref& o) noexcept {
        counted_ref(o).swap(*this);
        return *this;
    }
    counted_ref& operator=(counted_ref&& o) noexcept {
        counted_ref(std::move(o)).swap(*this);
        return *this;
    }
    ~counted_ref() {
        if (p_ != Traits::empty()) {
            if constexpr (requires { requires Traits::rarely_held; }) drop_out_of_line(p_);
            else drop(p_);
        }
    }
    void swap(counted_ref& o) noexcept { std::swap(p_, o.p_); }

    type* get() const noexcept { return p_; }
    /// References to the object (0 for an empty handle).
    std::int64_t use_count() const noexcept { return p_ == Traits::empty() ? 0 : p_->refs.count(); }

private:
    // The count inline, the release (rare, and long: it frees memory) out of line, so that a
    // handle's destructor stays small enough to inline into every node that holds one.
    static void drop(type* p) noexcept {
        if (p->refs.down(p, &owner_drop)) release(p);
    }
    NABLA_NOINLINE static void release(type* p) noexcept { Traits::release(p); }
    // For a pointer that is null in most handles (`Traits::rarely_held`: the autograd slot): only
    // the emptiness test is inlined, so that the destructor of a handle, which holds one such
    // pointer and one that is always set, stays small enough to inline.
    NABLA_NOINLINE static void drop_out_of_line(type* p) noexcept { drop(p); }
    static void owner_drop(void* p) noexcept {
        auto* t = static_cast<type*>(p);
        if (t->refs.owner_down()) Traits::release(t);
    }
    type* p_ = Traits::empty();
};

}  // namespace nabla::detail
