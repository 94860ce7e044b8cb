// What the fixed cost of one small element-wise call is made of: the triad `a.copy_(b + s * c)` at
// n = 16 (and at 2048 to 8192), taken apart, beside Eigen and xtensor and beside a minimal model of any library that
// keeps issue 3's contract (nodes hold their tensors by value, shapes checked when the expression
// is built, overlap with the destination checked before the write).
//
//   eigen / xtensor / nabla   the whole call, as in bench_elementwise;
//   nabla_build/triad         the expression built and dropped, not evaluated;
//   nabla_eval/triad          a kept expression evaluated (copy_ of an expression built once);
//   nabla_build/chain, nabla_eval/chain   the same for exp(b) * c + sin(b) - c / 2;
//   handles                   only the two handle copies and drops a node holding b and c makes;
//   hand_extra_lines/n/k      GCC's plain loop after touching k other cache lines;
//   model<count>              the minimal model: a handle is one pointer to {count, data, n}; the
//                             node holds two handles, a scalar and its extent; the call checks the
//                             extents and the overlap, runs the loop, drops the node. Three counts:
//                               plain  - not thread-safe: a lower bound no shareable tensor meets;
//                               biased - nabla's (plain on the owning thread, atomic elsewhere);
//                               atomic - std::atomic, as std::shared_ptr and LibTorch count.
//
// Build by hand: g++ -std=c++20 -O3 -march=native -DNDEBUG -I include -I/usr/include/eigen3
//   bench/bench_call_floor.cpp -o bench_call_floor -lbenchmark -lpthread

#include <benchmark/benchmark.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <tuple>

#include <nabla/nabla.hpp>

#if defined(NABLA_BENCH_HAVE_EIGEN) ? NABLA_BENCH_HAVE_EIGEN : __has_include(<Eigen/Core>)
#define CF_EIGEN 1
#include <Eigen/Core>
#else
#define CF_EIGEN 0
#endif
#if defined(NABLA_BENCH_HAVE_XTENSOR) ? NABLA_BENCH_HAVE_XTENSOR : __has_include(<xtensor/xtensor.hpp>)
#define CF_XTENSOR 1
#ifndef XTENSOR_USE_XSIMD
#define XTENSOR_USE_XSIMD
#endif
#include <xtensor/xnoalias.hpp>
#include <xtensor/xtensor.hpp>
#else
#define CF_XTENSOR 0
#endif

namespace nb = nabla;

namespace {

/// Rows run at n = 16 (the fixed cost), and some at 2048, 4096 and 8192: 4096 is 3 x 16 KiB, this
/// Xeon's whole 48 KiB L1 data cache, where every other line a call touches evicts data the next
/// call needs; 2048 fits L1 with room to spare and 8192 runs from L2 either way.
constexpr std::int64_t max_n = 8192;

void cache_sizes(benchmark::internal::Benchmark* b) {
    b->Arg(16)->Arg(2048)->Arg(4096)->Arg(8192);
}

/// 0.75, hidden from the optimiser (a volatile read; see opaque_s in bench_elementwise.cpp).
float opaque_s() {
    volatile float v = 0.75f;
    return v;
}

nb::tensor<float> filled(std::int64_t n, float v) {
    auto t = nb::empty<float>({n});
    t.fill_(v);
    return t;
}

/// Stops the row unless every element of `a` is within `tol` of `want`.
void check(benchmark::State& state, const float* a, float want, float tol = 0) {
    for (std::int64_t i = 0; i < state.range(0); ++i)
        if (std::abs(a[i] - want) > tol) {
            state.SkipWithError("wrong result");
            return;
        }
}

#if CF_EIGEN
void eigen(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    Eigen::ArrayXf a(n), b = Eigen::ArrayXf::Constant(n, 0.5f), c = Eigen::ArrayXf::Constant(n, 2.f);
    const float s = opaque_s();
    for (auto _ : state) {
        a = b + s * c;
        benchmark::ClobberMemory();
    }
    check(state, a.data(), 2.f);
}
#endif

#if CF_XTENSOR
void xtensor(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const auto un = static_cast<std::size_t>(n);
    xt::xtensor<float, 1> a = xt::empty<float>({un});
    const xt::xtensor<float, 1> b = xt::ones<float>({un}) * 0.5f, c = xt::ones<float>({un}) * 2.f;
    const float s = opaque_s();
    for (auto _ : state) {
        xt::noalias(a) = b + s * c;
        benchmark::ClobberMemory();
    }
    check(state, a.data(), 2.f);
}
#endif

void nabla_call(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const auto b = filled(n, 0.5f), c = filled(n, 2.f);
    auto a = nb::empty<float>({n});
    const float s = opaque_s();
    for (auto _ : state) {
        a.copy_(b + s * c);
        benchmark::ClobberMemory();
    }
    check(state, a.data(), 2.f);
}

/// The triad's and the chain's expressions over b = 0.5 and c = 2 (`s` is 0.75), and their value.
struct triad_expr {
    auto operator()(const nb::tensor<float>& b, const nb::tensor<float>& c, float s) const { return b + s * c; }
    static float value() { return 2.f; }
};
struct chain_expr {
    auto operator()(const nb::tensor<float>& b, const nb::tensor<float>& c, float) const {
        return nb::exp(b) * c + nb::sin(b) - c / 2;
    }
    static float value() { return static_cast<float>(std::exp(0.5) * 2 + std::sin(0.5) - 1); }
};

/// The expression built and dropped, not evaluated.
template <class Expr>
void nabla_build(benchmark::State& state, Expr make) {
    const std::int64_t n = state.range(0);
    const auto b = filled(n, 0.5f), c = filled(n, 2.f);
    const float s = opaque_s();
    for (auto _ : state) {
        auto e = make(b, c, s);
        benchmark::DoNotOptimize(&e);
        benchmark::ClobberMemory();
    }
}

/// An expression built once, evaluated into a each time.
template <class Expr>
void nabla_eval(benchmark::State& state, Expr make) {
    const std::int64_t n = state.range(0);
    const auto b = filled(n, 0.5f), c = filled(n, 2.f);
    auto a = nb::empty<float>({n});
    const auto e = make(b, c, opaque_s());
    for (auto _ : state) {
        a.copy_(e);
        benchmark::ClobberMemory();
    }
    check(state, a.data(), Expr::value(), 1e-6f);
}

void handles(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    const auto b = filled(n, 0.5f), c = filled(n, 2.f);
    for (auto _ : state) {
        std::tuple<nb::tensor<float>, nb::tensor<float>> held(b, c);
        benchmark::DoNotOptimize(&held);
        benchmark::ClobberMemory();
    }
}

/// GCC's auto-vectorised loop, touching `state.range(1)` other cache lines before each call (as a
/// library's handles, layouts and stack frame are): what a line costs when the data fill L1.
void hand_extra_lines(benchmark::State& state) {
    const std::int64_t n = state.range(0), lines = state.range(1);
    alignas(64) static float a[max_n], b[max_n], c[max_n];
    alignas(64) static volatile std::int64_t other[64 * 8];
    for (std::int64_t i = 0; i < n; ++i) b[i] = 0.5f, c[i] = 2.f;
    float *pa = a, *pb = b, *pc = c;
    benchmark::DoNotOptimize(pa);
    benchmark::DoNotOptimize(pb);
    benchmark::DoNotOptimize(pc);
    const float s = opaque_s();
    for (auto _ : state) {
        for (std::int64_t k = 0; k < lines; ++k) (void)other[k * 8];
        for (std::int64_t i = 0; i < n; ++i) pa[i] = pb[i] + s * pc[i];
        benchmark::ClobberMemory();
    }
    check(state, a, 2.f);
}

// ---- the minimal model --------------------------------------------------------------------------

struct plain_count {
    std::int64_t v = 1;
    void up() noexcept { ++v; }
    bool down() noexcept { return --v == 0; }
};
struct biased_count {
    nb::detail::biased_count c;
    void up() noexcept { c.up(); }
    bool down() noexcept { return c.down(nullptr, nullptr); }
};
struct atomic_count {
    std::atomic<std::int64_t> v{1};
    void up() noexcept { v.fetch_add(1, std::memory_order_relaxed); }
    bool down() noexcept { return v.fetch_sub(1, std::memory_order_acq_rel) == 1; }
};

template <class Count>
struct block {
    Count refs;
    float* data;
    std::int64_t n;
};

template <class Count>
struct handle {
    block<Count>* p;
    explicit handle(block<Count>* q) noexcept : p(q) { p->refs.up(); }
    handle(const handle& o) noexcept : p(o.p) { p->refs.up(); }
    handle& operator=(const handle&) = delete;
    ~handle() {
        if (p->refs.down()) std::abort();  // the benchmark holds one reference throughout
    }
};

template <class Count>
void model(benchmark::State& state) {
    const std::int64_t n = state.range(0);
    alignas(64) static float a[max_n], bd[max_n], cd[max_n];
    for (std::int64_t i = 0; i < n; ++i) bd[i] = 0.5f, cd[i] = 2.f;
    block<Count> bb{{}, bd, n}, cb{{}, cd, n};
    block<Count>* pb = &bb;
    block<Count>* pc = &cb;
    float* pa = a;
    std::int64_t na = n;
    benchmark::DoNotOptimize(pb);
    benchmark::DoNotOptimize(pc);
    benchmark::DoNotOptimize(pa);
    benchmark::DoNotOptimize(na);
    const float s = opaque_s();
    for (auto _ : state) {
        if (pb->n != pc->n) std::abort();  // broadcast check, when the node is built
        const struct {
            handle<Count> b;
            float s;
            handle<Count> c;
            std::int64_t n;
        } e{handle<Count>(pb), s, handle<Count>(pc), pb->n};
        if (na != e.n) std::abort();  // copy_'s shape check
        const float *lb = e.b.p->data, *lc = e.c.p->data;
        const bool clash = (lb < pa + na && pa < lb + na && lb != pa) || (lc < pa + na && pa < lc + na && lc != pa);
        if (clash) std::abort();  // overlap with the destination
        for (std::int64_t i = 0; i < na; ++i) pa[i] = lb[i] + e.s * lc[i];
        benchmark::ClobberMemory();
    }
    check(state, a, 2.f);
}

}  // namespace

#if CF_EIGEN
BENCHMARK(eigen)->Apply(cache_sizes);
#endif
#if CF_XTENSOR
BENCHMARK(xtensor)->Arg(16)->Arg(4096);
#endif
BENCHMARK(nabla_call)->Name("nabla")->Apply(cache_sizes);
BENCHMARK_CAPTURE(nabla_build, triad, triad_expr{})->Arg(16);
BENCHMARK_CAPTURE(nabla_eval, triad, triad_expr{})->Arg(16)->Arg(4096);
BENCHMARK_CAPTURE(nabla_build, chain, chain_expr{})->Arg(16);
BENCHMARK_CAPTURE(nabla_eval, chain, chain_expr{})->Arg(16);
BENCHMARK(handles)->Arg(16);
BENCHMARK(hand_extra_lines)->ArgsProduct({{16, 4096}, {0, 8, 16, 32}});
BENCHMARK(hand_extra_lines)->ArgsProduct({{2048, 8192}, {0}});
BENCHMARK(model<plain_count>)->Name("model_plain")->Arg(16)->Arg(4096);
BENCHMARK(model<biased_count>)->Name("model_biased")->Arg(16)->Arg(4096);
BENCHMARK(model<atomic_count>)->Name("model_atomic")->Arg(16)->Arg(4096);

BENCHMARK_MAIN();
