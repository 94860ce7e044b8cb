#pragma once
/// \file grad.hpp
/// `nabla::grad(f)`, `nabla::value_and_grad(f)` and `nabla::jacobian(f)`: reverse mode without
/// a tape. `f` is called once with symbolic arguments (`var<T, I>`, staged.hpp); the type of its
/// result is the graph. The static reverse pass walks that type: through each element-wise region
/// in ONE fused loop (eval/reverse_region.hpp) that evaluates the region's tree once per element
/// and hands every symbolic leaf its adjoint, composed from the op functors' `partial<I>` (so
/// `exp(x)` is computed once for all the derivatives that use it, and broadcast leaves sum in
/// registers); and across staged nodes with the rules of rules.hpp. Nothing is recorded at run
/// time and no node is allocated; memory is the staged values (computed once, in `f`) and one
/// buffer per gradient.
///
/// When `f` cannot take symbolic arguments — it takes `nabla::tensor<T>` and branches or loops on
/// values, like the tutorial's `f` — `grad(f)` runs it on the tape instead and returns the same
/// gradients.
///
///     auto f = [](auto x) { return 2 * nb::dot(x, x); };
///     nb::tensor<float> g = nb::grad(f)(x);               // 4 * x
///     auto [ga, gb] = nb::grad([](auto a, auto b) { return (a * b + nb::exp(a)).sum(); })(a, b);

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../core/autograd.hpp"
#include "../core/error.hpp"
#include "../eval/reduce.hpp"
#include "../eval/reverse_region.hpp"
#include "../factories.hpp"
#include "../staged.hpp"
#include "backward.hpp"
#include "reverse.hpp"
#include "rules.hpp"

namespace nabla {

namespace autodiff {

template <class E> struct is_var : std::false_type {};
template <class T, std::size_t I> struct is_var<var<T, I>> : std::true_type {};

/// Writes (first touch) or adds `adj`, broadcast from its shape and summed over dims that `dst`
/// does not have, into `dst`.
template <class T, class A>
void add_to(tensor<T>& dst, bool& touched, const A& adj, const shape& region = {}) {
    if (!touched && broadcasts_to(shape_of(adj), dst.shape()) && broadcasts_to(region, dst.shape())) {
        eval::assign(dst.target(), adj);  // the first adjoint, of dst's shape: no zero fill, no read
    } else {
        const shape s = broadcast_shapes(broadcast_shapes(shape_of(adj), region), dst.shape());
        if (!touched) eval::assign(dst.target(), scalar<T>{T(0)});
        eval::reduce(eval::target<T>{dst.data(), s, broadcast_strides(dst.shape(), dst.strides(), s)}, adj, ops::sum_op{});
    }
    touched = true;
}

/// Which leaves of E take an adjoint: symbolic ones reached through differentiable operands.
template <class E>
constexpr auto active_leaves() {
    std::array<bool, eval::leaf_count<E>> m{};
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        ((m[K] = symbolic<std::remove_cvref_t<decltype(leaf_at<K>(std::declval<const E&>()))>> && differentiable_path<K, E>), ...);
    }(std::make_index_sequence<eval::leaf_count<E>>{});
    return m;
}

template <class T, class L>
inline constexpr bool same_leaf_type = std::is_same_v<value_t<L>, T>;

/// The fused region kernel applies when every active leaf and the seed hold the region's type.
template <class E, class G, class S>
inline constexpr bool fused_region = [] {
    using T = value_t<E>;
    if (!std::is_same_v<value_t<G>, T>) return false;
    constexpr auto m = active_leaves<E>();
    bool ok = true;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        ((ok = ok && (!m[K] || same_leaf_type<T, std::remove_cvref_t<decltype(leaf_at<K>(std::declval<const E&>()))>>)), ...);
    }(std::make_index_sequence<eval::leaf_count<E>>{});
    return ok;
}();

/// Across a staged node: the rule of the operation that made it, with the node's gradient `g`.
template <class E, class V, class T, class K>
void staged_backward(const staged_view<E, V>& n, const tensor<T>& g, K&& k) {
    // Every view picks elements of its input: scatter g into zeros through the same view.
    tensor<T> z = zeros<T>(n.input.shape());
    n.view(z).copy_(g);
    k(n.input, z);
}
template <class E, class G, class K>
void staged_backward(const staged_eval<E>& n, const G& g, K&& k) {
    k(n.input, g);
}
template <class E, bool Full, class R, nabla::detail::reduction_kind Kind, class G, class K>
void staged_backward(const staged_reduce<E, Full, R, Kind>& n, const G& g, K&& k) {
    if constexpr (derivative_from_output<E>) {
        if (n.input_value.defined()) {  // E = op(x): d/dx = s * op'(y), y kept from the forward pass
            const auto& x = std::get<0>(n.input.args);
            reduction_rule<Kind>(n.input_value, n.value(), g, kept_shape(n.input.shape(), n.mask),
                                 [&](const auto& s) { k(x, s * n.input.op.template partial<0>(n.input_value, x)); });
            return;
        }
    }
    reduction_rule<Kind>(n.input, n.value(), g, kept_shape(n.input.shape(), n.mask), [&](const auto& s) { k(n.input, s); });
}
template <class E, class R, class T, class K>
void staged_backward(const staged_scan<E, R>& n, const tensor<T>& g, K&& k) {
    k(n.input, cumsum_rule(g, n.dim));
}
template <class A, class B, class T, class K>
void staged_backward(const staged_product<A, B>& n, const tensor<T>& g, K&& k) {
    product_rule(n.kind, n.a_value, n.b_value, g, symbolic<A>, symbolic<B>, [&](const auto& ga) { k(n.a, ga); },
                 [&](const auto& gb) { k(n.b, gb); });
}
template <class E, bool Full, class G, class K>
void staged_backward(const staged_norm<E, Full>& n, const G& g, K&& k) {
    // A norm is composed of element-wise ops and a reduction: differentiate that composition
    // (no rule of its own). p is known only at run time, so each case is its own small graph.
    const auto& x = n.input;
    const auto s = [&](const auto& e) {
        if constexpr (Full) return sum(e);
        else return sum(e, n.dim, n.keepdim);
    };
    const auto m = [&](const auto& e) {
        if constexpr (Full) return amax(e);
        else return amax(e, n.dim, n.keepdim);
    };
    if (n.p == 2) k(sqrt(s(square(x))), g);
    else if (n.p == 1) k(s(abs(x)), g);
    else if (std::isinf(n.p)) k(m(abs(x)), g);
    else k(pow(s(pow(abs(x), n.p)), 1 / n.p), g);
}

template <class E, class G, class S>
void backprop(const E& e, const G& seed, S& sink);

/// The gradients being accumulated, one per argument of f, and the adjoints of the staged
/// nodes not yet passed on. A staged node may feed several consumers (the graph is a DAG: `h`
/// in `f(h) + g(h)`); its adjoints are summed in one buffer and the node is differentiated once,
/// after every consumer, i.e. in reverse creation order (`drain`).
template <class... Ts>
struct gradients {
    std::tuple<tensor<Ts>...> g;
    std::array<bool, sizeof...(Ts)> touched{};

    struct deferred_base {
        std::uint64_t seq = 0;
        virtual ~deferred_base() = default;
        virtual void run(gradients& sink) = 0;
        // One or two per pass, freed at its end: from the thread's block cache, not malloc (with
        // the pending list's buffer, 163 of the 2,128 instructions of value_and_grad(x.sum()) at
        // n = 16 went to malloc and free).
        static void* operator new(std::size_t bytes) { return nabla::detail::block_cache::allocate(bytes); }
        static void operator delete(void* p, std::size_t bytes) noexcept { nabla::detail::block_cache::deallocate(p, bytes); }
    };
    template <class L, class T>
    struct deferred final : deferred_base {
        deferred(const L& n, tensor<T> a) : node(n), adj(std::move(a)) {}
        void run(gradients& sink) override {
            staged_backward(node, adj, [&](const auto& input, const auto& s) { backprop(input, s, sink); });
        }
        L node;  // by value: the backward of a norm builds temporary staged nodes
        tensor<T> adj;
    };
    std::vector<std::unique_ptr<deferred_base>, nabla::detail::cache_allocator<std::unique_ptr<deferred_base>>> pending;

    /// The adjoint buffer of staged node `n` (cleared to -0 when first asked for), to add into.
    template <class T, class L>
    tensor<T>& staged_buffer(const L& n) {
        for (auto& p : pending)
            if (p->seq == n.seq()) return static_cast<deferred<L, T>*>(p.get())->adj;
        auto d = std::make_unique<deferred<L, T>>(n, full<T>(n.shape(), T(-0.0)));
        d->seq = n.seq();
        tensor<T>& buf = d->adj;
        pending.push_back(std::move(d));
        return buf;
    }
    /// Differentiates the staged nodes reached so far, newest first (each once); they may
    /// reach older ones.
    void drain() {
        while (!pending.empty()) {
            auto newest = std::max_element(pending.begin(), pending.end(),
                                           [](const auto& a, const auto& b) { return a->seq < b->seq; });
            std::unique_ptr<deferred_base> d = std::move(*newest);
            pending.erase(newest);
            d->run(*this);
        }
    }

    template <std::size_t I, class A>
    void add(const A& adj, const shape& region = {}) { add_to(std::get<I>(g), touched[I], adj, region); }
    /// Gradient I, cleared to -0 (the additive identity: -0 + x is x, signed zeros included) if
    /// nothing was added yet, for a kernel that adds into it.
    template <std::size_t I>
    auto& buffer() {
        using T = std::tuple_element_t<I, std::tuple<Ts...>>;
        auto& t = std::get<I>(g);
        if (!touched[I]) eval::assign(t.target(), scalar<T>{T(-0.0)});
        touched[I] = true;
        return t;
    }
    /// Arguments that f ignored get zero gradients (as torch.func.grad).
    void finish() {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((touched[I] ? void() : (void)eval::assign(std::get<I>(g).target(), scalar<Ts>{Ts(0)})), ...);
        }(std::index_sequence_for<Ts...>{});
    }
};

/// The static reverse pass: hands `seed`, the gradient of `e` (an expression broadcastable to
/// e's shape), down to the arguments of f.
template <class E, class G, class S>
void backprop(const E& e, const G& seed, S& sink) {
    if constexpr (!symbolic<E>) {
        return;  // a constant: no gradient flows into it
    } else if constexpr (is_var<E>::value) {
        sink.template add<E::index>(seed);
    } else if constexpr (nabla::detail::is_node<E>::value && fused_region<E, G, S>) {
        // An element-wise region: one fused loop computes every symbolic leaf's adjoint
        // (eval/reverse_region.hpp); staged leaves then pass theirs on.
        using T = value_t<E>;
        constexpr std::size_t LE = eval::leaf_count<E>;
        constexpr auto mask = active_leaves<E>();
        const shape sizes = broadcast_shapes(e.shape(), shape_of(seed));
        std::array<eval::sink<T>, LE> sinks{};
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            (
                [&] {
                    if constexpr (mask[K]) {
                        const auto& leaf = leaf_at<K>(e);
                        using L = std::remove_cvref_t<decltype(leaf)>;
                        tensor<T>* buf;
                        if constexpr (is_var<L>::value) buf = &sink.template buffer<L::index>();
                        else buf = &sink.template staged_buffer<T>(leaf);  // passed on later (drain)
                        sinks[K] = {buf->data(), leaf.shape() == sizes ? buf->strides()
                                                                        : broadcast_strides(leaf.shape(), buf->strides(), sizes)};
                    }
                }(),
                ...);
        }(std::make_index_sequence<LE>{});
        eval::reverse_region<mask, T>(e, seed, sizes, sinks);
    } else if constexpr (nabla::detail::is_node<E>::value) {
        // Mixed element types: the adjoint of each symbolic leaf is one expression (the seed
        // times the partials on the path), evaluated in its own fused loop.
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            (
                [&] {
                    using L = std::remove_cvref_t<decltype(leaf_at<K>(e))>;
                    if constexpr (symbolic<L> && differentiable_path<K, E>) {
                        // the adjoint stands for every element of e: broadcast it to e's shape
                        const auto adj = leaf_adjoint<K>(e, seed);
                        const auto& leaf = leaf_at<K>(e);
                        if constexpr (is_var<L>::value) sink.template add<L::index>(adj, e.shape());
                        else {
                            bool touched = true;  // add to what other consumers gave
                            add_to(sink.template staged_buffer<value_t<L>>(leaf), touched, adj, e.shape());
                        }
                    }
                }(),
                ...);
        }(std::make_index_sequence<eval::leaf_count<E>>{});
    } else {
        using T = value_t<E>;  // a staged node
        bool touched = true;
        add_to(sink.template staged_buffer<T>(e), touched, seed);
    }
}

template <class T>
tensor<T> as_tensor(const tensor<T>& t) { return t; }
template <expression E>
    requires(!leaf_expression<E>)
tensor<value_t<E>> as_tensor(const E& e) { return evaluate(e); }

/// The value of grad's result, as a tensor of its own. A staged result (a full reduction, a norm,
/// a product: `scalar_result` admits no view and no argument) was computed into fresh storage that
/// the graph, about to be dropped, is the only one to keep: it is handed over, not copied.
template <class R>
tensor<value_t<R>> value_tensor(const R& out) {
    if constexpr (leaf_expression<R> && !is_var<R>::value) return out.value();
    else return tensor<value_t<R>>(out);
}

template <class F, class... Ts>
concept static_differentiable = []<std::size_t... I>(std::index_sequence<I...>) {
    if constexpr (std::is_invocable_v<const F&, var<Ts, I>...>) return symbolic<std::invoke_result_t<const F&, var<Ts, I>...>>;
    else return false;
}(std::index_sequence_for<Ts...>{});

template <class... Ts>
auto unpack(std::tuple<tensor<Ts>...>&& g) {
    if constexpr (sizeof...(Ts) == 1) return std::get<0>(std::move(g));
    else return std::move(g);
}

/// grad on the tape: f takes tensors (and may branch and loop on their values).
template <bool WithValue, class F, class... Ts>
auto tape_grad(const F& f, const tensor<Ts>&... xs) {
    enable_grad_guard on;
    std::tuple<tensor<Ts>...> args{xs.detach().requires_grad_(true)...};
    const auto out = as_tensor(std::apply(f, args));
    if (out.numel() != 1) throw autograd_error("grad can be implicitly created only for scalar outputs");
    if (out.requires_grad()) out.backward();
    auto g = std::apply([](const auto&... a) {
        return std::tuple{(a.grad().defined() ? a.grad() : zeros_like(a))...};
    }, args);
    if constexpr (WithValue) return std::pair{out.detach(), unpack(std::move(g))};
    else return unpack(std::move(g));
}

/// grad without a tape: f takes symbolic arguments and returns a scalar expression.
template <bool WithValue, class F, class... Ts>
auto static_grad(const F& f, const tensor<Ts>&... xs) {
    no_grad_guard off;  // nothing f builds is recorded: the graph is the type of its result
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        const auto out = f(var<Ts, I>(xs)...);
        using R = std::remove_cvref_t<decltype(out)>;
        static_assert(scalar_result<R>,
                      "nabla::grad(f)(x...): f must return a scalar: end it with a full reduction "
                      "(.sum(), .mean(), nb::dot, nb::norm, ...); for a vector-valued f use nabla::jacobian(f)");
        using T = value_t<R>;
        if (out.shape().numel() != 1) throw autograd_error("grad can be implicitly created only for scalar outputs");
        gradients<Ts...> sink{{empty<Ts>(xs.shape())...}, {}, {}};
        const scalar<T> one{T(1)};  // the seed: one value, broadcast (no tensor to allocate)
        if constexpr (leaf_expression<R> && !is_var<R>::value) {
            // A staged node (f ends in .sum(), nb::dot, ...): the newest node, which nothing else
            // consumes, so it goes first, with no deferred record (drain would run it first too).
            const auto pass = [&](const auto& input, const auto& s) { backprop(input, s, sink); };
            if constexpr (requires { staged_backward(out, one, pass); }) staged_backward(out, one, pass);
            else staged_backward(out, tensor<T>(T(1)), pass);  // rules that take a tensor
        } else {
            backprop(out, one, sink);
        }
        sink.drain();
        sink.finish();
        if constexpr (WithValue) return std::pair{value_tensor(out), unpack(std::move(sink.g))};
        else return unpack(std::move(sink.g));
    }(std::index_sequence_for<Ts...>{});
}

template <bool WithValue, class F>
struct grad_function {
    F f;
    template <expression... As>
        requires(sizeof...(As) > 0)
    auto operator()(const As&... as) const {
        static_assert((floating_element<value_t<As>> && ...),
                      "nabla::grad(f)(x...): every argument must be a float or double tensor, as PyTorch requires");
        if constexpr (static_differentiable<F, value_t<As>...>) return static_grad<WithValue>(f, as_tensor(as)...);
        else return tape_grad<WithValue>(f, as_tensor(as)...);
    }
};

}  // namespace autodiff

/// The gradient of a scalar function: `nb::grad(f)(a, b)` returns one gradient per argument (a
/// tensor for one argument, a tuple for several). Generic functions are differentiated at compile
/// time; functions of `nb::tensor<T>` run on the tape.
template <class F>
auto grad(F f) {
    return autodiff::grad_function<false, F>{std::move(f)};
}

/// `auto [value, gradient] = nb::value_and_grad(f)(x);` — the value is a 0-d tensor.
template <class F>
auto value_and_grad(F f) {
    return autodiff::grad_function<true, F>{std::move(f)};
}

/// The Jacobian of a tensor-valued function of one tensor, shaped `out.shape() + x.shape()` (as
/// `torch.autograd.functional.jacobian`): one static reverse pass per output element, over the
/// graph that one call of f built.
template <class F>
auto jacobian(F f) {
    return [f = std::move(f)]<expression X>(const X& x_in) {
        using T = value_t<X>;
        static_assert(floating_element<T>, "nabla::jacobian(f)(x): x must be a float or double tensor");
        const tensor<T> x = autodiff::as_tensor(x_in);
        no_grad_guard off;
        const auto out = f(var<T, 0>(x));
        static_assert(symbolic<std::remove_cvref_t<decltype(out)>>,
                      "nabla::jacobian(f)(x): f must be generic (take `auto`) and return an expression of its argument");
        using U = value_t<std::remove_cvref_t<decltype(out)>>;
        const shape out_shape = out.shape();
        shape js = out_shape;
        for (auto e : x.shape()) js.push_back(e);
        tensor<T> jac = empty<T>(js);
        const tensor<T> rows = jac.reshape({out_shape.numel(), x.numel()});
        tensor<U> seed = zeros<U>(out_shape);
        const tensor<U> flat_seed = seed.reshape({-1});
        for (std::int64_t i = 0; i < out_shape.numel(); ++i) {
            flat_seed[i] = U(1);
            autodiff::gradients<T> sink{{empty<T>(x.shape())}, {}, {}};
            autodiff::backprop(out, seed, sink);
            sink.drain();
            sink.finish();
            rows[i] = std::get<0>(sink.g).reshape({-1});
            flat_seed[i] = U(0);
        }
        return jac;
    };
}

}  // namespace nabla
