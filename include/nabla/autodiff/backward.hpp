#pragma once
/// \file backward.hpp
/// `backward()`: walks the graph that produced a tensor, newest node first, handing each node the
/// gradient of its output; leaves accumulate into `.grad()`. Without `retain_graph` the nodes
/// drop their saved tensors afterwards, and a second pass throws as PyTorch does.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "../core/autograd.hpp"
#include "../core/error.hpp"
#include "../factories.hpp"
#include "../tensor.hpp"
#include "tape.hpp"

namespace nabla {

namespace autodiff {

template <class T>
void run_backward(const tensor<T>& root, tensor<T> seed, bool retain) {
    const auto& meta = root.autograd();
    if (!meta || !meta->requires_grad)
        throw autograd_error("element 0 of tensors does not require grad and does not have a grad_fn");
    if (!(seed.shape() == root.shape()))
        throw shape_error("Mismatch in shape: grad_output[0] has a shape of " + seed.shape().str() +
                          " and output[0] has a shape of " + root.shape().str() + ".");
    no_grad_guard no_grad;
    if (!meta->grad_fn) {  // backward of a leaf: its gradient is the seed
        accumulate(root, seed);
        return;
    }
    // Every node reachable from the root; creation order is a topological order. Each pass has
    // its own number (one counter for all threads), stamped on the nodes it reaches.
    // Owning pointers: releasing one node's saved tensors may drop the last reference to another.
    const std::uint64_t pass = nabla::detail::next_backward_pass();
    // Scratch vectors kept per thread (no allocation in a steady loop); a nested pass, if a
    // node's backward ever ran one, takes fresh ones.
    struct scratch {
        std::vector<std::shared_ptr<nabla::detail::autograd_node>> order, stack;
        std::vector<nabla::detail::autograd_meta*> ins;
        bool busy = false;
    };
    thread_local scratch mine;
    scratch fresh;
    scratch& s = mine.busy ? fresh : mine;
    s.busy = true;
    struct done_t {
        scratch& s;
        ~done_t() {
            s.order.clear();
            s.stack.clear();
            s.busy = false;
        }
    } done{s};
    auto& order = s.order;
    auto& stack = s.stack;
    auto& ins = s.ins;
    stack.push_back(meta->grad_fn);
    meta->grad_fn->visited = pass;
    while (!stack.empty()) {
        auto n = std::move(stack.back());
        stack.pop_back();
        if (n->released)
            throw autograd_error(
                "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.");
        ins.clear();
        n->inputs(ins);
        for (auto* m : ins)
            if (m->grad_fn && m->grad_fn->visited != pass) {
                m->grad_fn->visited = pass;
                stack.push_back(m->grad_fn);
            }
        order.push_back(std::move(n));
    }
    if (order.size() > 1)
        std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a->sequence > b->sequence; });
    // The seed becomes the root's pending gradient as it is: nothing accumulates into the root's
    // slot (no node of the graph reads the root), and backward() made it for this pass.
    meta->grad_fn->pending = make_on_tape<tensor<T>>(std::move(seed));
    for (const auto& n : order) {
        if (!n->pending) continue;
        const std::shared_ptr<void> g = std::move(n->pending);
        n->pending.reset();
        n->backward(g.get());
    }
    if (!retain)
        for (const auto& n : order) {
            n->release();
            n->released = true;
        }
}

}  // namespace autodiff

/// Computes the gradient of a one-element tensor or expression with respect to every leaf that
/// requires grad, accumulating into their `.grad()`.
template <expression E>
void backward(const E& e, retain_graph_t) {
    const auto t = evaluate(e);
    if (t.requires_grad() && t.numel() != 1) throw autograd_error("grad can be implicitly created only for scalar outputs");
    autodiff::run_backward(t, ones_like(t), true);
}
template <expression E>
void backward(const E& e) {
    const auto t = evaluate(e);
    if (t.requires_grad() && t.numel() != 1) throw autograd_error("grad can be implicitly created only for scalar outputs");
    autodiff::run_backward(t, ones_like(t), false);
}
/// Backward with an explicit gradient of the output (any shape): `y.backward(g)`.
template <expression E, expression G>
void backward(const E& e, const G& gradient, bool retain) {
    const auto t = evaluate(e);
    autodiff::run_backward(t, tensor<value_t<E>>(gradient), retain);
}

}  // namespace nabla
