#pragma once
/// \file autograd.hpp
/// The autograd slot a tensor handle carries, the thread's grad mode, and the recording hooks
/// that evaluation calls. Lower layers only store and call these; `autodiff/` defines them.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "dtype.hpp"
#include "refcount.hpp"

namespace nabla {

template <element T>
class tensor;

namespace detail {

struct autograd_meta;

/// One recorded evaluation on the tape: an expression, a reduction, a product or a view.
/// Its backward receives the gradient of its output and passes gradients to its inputs.
struct autograd_node {
    virtual ~autograd_node() = default;
    /// `grad` points at a tensor<T> of the node's output type and shape.
    virtual void backward(const void* grad) = 0;
    /// The autograd slots of the inputs (for walking the graph); empty after release.
    virtual void inputs(std::vector<autograd_meta*>& out) const = 0;
    /// Drops the saved tensors (after a backward pass without retain_graph).
    virtual void release() = 0;

    std::uint64_t sequence = 0;     ///< creation order: a topological order of the graph
    std::uint64_t visited = 0;      ///< the last backward pass that reached this node
    bool released = false;
    std::shared_ptr<void> pending;  ///< gradient of the output accumulated during a backward pass
};

/// Shared by a tensor handle and the copies made from it: whether it requires grad, its
/// accumulated gradient (leaves) and the node that produced it (non-leaves). A handle without
/// autograd state holds a null pointer, so copying it costs nothing extra. Counted like storage
/// (refcount.hpp): every expression node copies the handles it reads, and a `std::shared_ptr`'s
/// locked count updates cost ~5 ns each in any process that has started a second thread.
struct autograd_meta {
    biased_count refs;                         ///< the handles sharing this slot
    void (*free)(autograd_meta*) noexcept = nullptr;  ///< ends the slot when its last handle goes
    void* home = nullptr;                      ///< where `free` returns the memory (a tape arena)
    bool requires_grad = false;
    std::shared_ptr<void> grad;                ///< a `tensor<T>` once a backward pass reached this leaf
    std::shared_ptr<autograd_node> grad_fn;    ///< the producing node; empty for leaves
    std::string_view grad_fn_name;             ///< e.g. "MulBackward0"; empty for leaves
};

struct autograd_meta_traits {
    using type = autograd_meta;
    static constexpr type* empty() noexcept { return nullptr; }
    static constexpr bool rarely_held = true;  // null unless the tensor requires grad or was recorded
    static void release(type* m) noexcept { m->free(m); }
};

/// A tensor handle's autograd slot: a counted pointer to an `autograd_meta`, or null.
class meta_ref : public counted_ref<autograd_meta_traits> {
public:
    using counted_ref::counted_ref;
    explicit operator bool() const noexcept { return get() != nullptr; }
    autograd_meta* operator->() const noexcept { return get(); }
    autograd_meta& operator*() const noexcept { return *get(); }
    void reset() noexcept { meta_ref().swap(*this); }
};

/// A new autograd slot on the heap (a leaf's: `requires_grad_()`).
inline meta_ref make_meta() {
    auto* m = new autograd_meta;
    m->free = [](autograd_meta* p) noexcept { delete p; };
    return meta_ref(m);
}

/// Whether operations are recorded on this thread (false inside `no_grad_guard`).
inline bool& grad_mode() noexcept {
    thread_local bool enabled = true;
    return enabled;
}

/// Next creation number for a node on this thread.
inline std::uint64_t next_sequence() noexcept {
    thread_local std::uint64_t n = 0;
    return ++n;
}

/// A new number for a backward pass, unique across threads and element types (the nodes a pass
/// reaches are stamped with it; a graph may mix element types).
inline std::uint64_t next_backward_pass() noexcept {
    static std::atomic<std::uint64_t> n{0};
    return ++n;
}

}  // namespace detail

/// Disables recording on this thread for its lifetime (PyTorch's `with torch.no_grad():`).
class no_grad_guard {
public:
    no_grad_guard() noexcept : previous_(detail::grad_mode()) { detail::grad_mode() = false; }
    ~no_grad_guard() { detail::grad_mode() = previous_; }
    no_grad_guard(const no_grad_guard&) = delete;
    no_grad_guard& operator=(const no_grad_guard&) = delete;

private:
    bool previous_;
};

/// Turns recording on in a scope (PyTorch's `torch.enable_grad()`), e.g. inside a `no_grad_guard`.
class enable_grad_guard {
public:
    enable_grad_guard() noexcept : previous_(detail::grad_mode()) { detail::grad_mode() = true; }
    ~enable_grad_guard() { detail::grad_mode() = previous_; }
    enable_grad_guard(const enable_grad_guard&) = delete;
    enable_grad_guard& operator=(const enable_grad_guard&) = delete;

private:
    bool previous_;
};

/// Tag: keep the graph after `backward(nb::retain_graph)` so that it can run again.
struct retain_graph_t {
    explicit retain_graph_t() = default;
};
inline constexpr retain_graph_t retain_graph{};

namespace detail {
/// Which reduction a recorded reduction node undoes.
enum class reduction_kind { sum, mean, prod, amax, amin };
/// Which product a recorded product node undoes.
enum class product_kind { mm, mv, batched, matmul };

/// Records the evaluation `out = e` when a leaf of `e` requires grad (defined in autodiff/tape.hpp).
template <class T, class E>
void record_expression(tensor<T>& out, const E& e);
/// Records a view `out` of `base` made by `make_view(base)`; backward maps the gradient back.
template <class T, class F>
void record_view(tensor<T>& out, const tensor<T>& base, std::string_view name, F backward_map);
/// Records `out = reduction(e)` over the dims in `mask`. The kind is a template argument, so that
/// the backward of a recorded sum instantiates the sum's rule only, not all five.
template <reduction_kind Kind, class T, class E>
void record_reduction(tensor<T>& out, const E& e, unsigned mask, bool keepdim);
/// Records `out = cumsum(e, dim)`.
template <class T, class E>
void record_scan(tensor<T>& out, const E& e, int dim);
/// Records `out = cumprod(e, dim)`.
template <class T, class E>
void record_cumprod(tensor<T>& out, const E& e, int dim);
/// Records a matrix product `out = a @ b`.
template <class T>
void record_product(tensor<T>& out, const tensor<T>& a, const tensor<T>& b, product_kind kind);
}  // namespace detail

}  // namespace nabla
