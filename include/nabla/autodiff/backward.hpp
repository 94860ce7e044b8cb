#pragma once
/// \file backward.hpp
/// `backward()`: walks the graph that produced a tensor, newest node first, handing each node the
/// gradient of its output; leaves accumulate into `.grad()`. Without `retain_graph` the nodes
/// drop their saved tensors afterwards, and a second pass throws as PyTorch does.

#include <algorithm>
#include <memory>
#include <unordered_set>
#include <vector>

#include "../core/autograd.hpp"
#include "../core/error.hpp"
#include "../factories.hpp"
#include "../tensor.hpp"
#include "tape.hpp"

namespace nabla {

namespace autodiff {

template <class T>
void run_backward(const tensor<T>& root, const tensor<T>& seed, bool retain) {
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
    // Every node reachable from the root; creation order is a topological order.
    // Owning pointers: releasing one node's saved tensors may drop the last reference to another.
    std::vector<std::shared_ptr<nabla::detail::autograd_node>> order, stack{meta->grad_fn};
    std::unordered_set<nabla::detail::autograd_node*> seen{meta->grad_fn.get()};
    std::vector<nabla::detail::autograd_meta*> ins;
    while (!stack.empty()) {
        auto n = std::move(stack.back());
        stack.pop_back();
        if (n->released)
            throw autograd_error(
                "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.");
        order.push_back(n);
        ins.clear();
        n->inputs(ins);
        for (auto* m : ins)
            if (m->grad_fn && seen.insert(m->grad_fn.get()).second) stack.push_back(m->grad_fn);
    }
    std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a->sequence > b->sequence; });
    meta->grad_fn->pending = std::make_shared<tensor<T>>(seed.clone());
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
