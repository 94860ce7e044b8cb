// Element-wise kernels: nabla beside a hand-written loop, Eigen, xtensor and LibTorch, one thread,
// float, in one binary so that the ratios come from one run.
//
//   triad   a = b + s * c                              (in place into a pre-allocated a)
//   chain   a = exp(b) * c + sin(b) - c / 2            (in place into a pre-allocated a)
//   alloc   r = b * c + b                              (a new result every call)
//
// Sizes: 16, 4096 and 4M (4 * 1024 * 1024) elements. Bytes processed count what a kernel must
// move at the least: two inputs read and one output written, 12 bytes per element.
//
// Extra rows, to explain the numbers rather than to rank libraries:
//   xsimd        the same loop written by hand on xsimd batches (what nabla's evaluator compiles to
//                at best: same instruction set, same exp/sin);
//   torch_copy   the triad as the natural expression `a.copy_(b + s * c)` (torch's best is add_out);
//   torch_out    the chain through out= calls into pre-allocated temporaries (no allocation).
//
// Build by hand (peers are optional; each is used when its headers are found):
//   g++ -std=c++20 -O3 -march=native -DNDEBUG -I include -I/usr/include/eigen3
//       -isystem /usr/include/torch/csrc/api/include bench/bench_elementwise.cpp -o bench_ew
//       -lbenchmark -lpthread -ltorch -ltorch_cpu -lc10
//   (add -mprefer-vector-width=512 to let GCC's own vectorizer use zmm everywhere)
//   ./bench_ew --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// Under meson (-Dbenchmarks=true) the NABLA_BENCH_HAVE_* macros decide instead of __has_include.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/single_threaded.h>  // glibc: has this process started a second thread?

#include <nabla/nabla.hpp>

#include <xsimd/xsimd.hpp>

namespace nb = nabla;

// ---- which peers ----------------------------------------------------------------------------------
#if defined(NABLA_BENCH_HAVE_EIGEN)
#define EW_EIGEN NABLA_BENCH_HAVE_EIGEN
#elif __has_include(<Eigen/Core>)
#define EW_EIGEN 1
#else
#define EW_EIGEN 0
#endif

#if defined(NABLA_BENCH_HAVE_XTENSOR)
#define EW_XTENSOR NABLA_BENCH_HAVE_XTENSOR
#elif __has_include(<xtensor/xtensor.hpp>)
#define EW_XTENSOR 1
#else
#define EW_XTENSOR 0
#endif

#if defined(NABLA_BENCH_HAVE_TORCH)
#define EW_TORCH NABLA_BENCH_HAVE_TORCH
#elif __has_include(<torch/torch.h>)
#define EW_TORCH 1
#else
#define EW_TORCH 0
#endif

#if EW_EIGEN
#include <Eigen/Core>
#endif
#if EW_XTENSOR
#ifndef XTENSOR_USE_XSIMD
#define XTENSOR_USE_XSIMD
#endif
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xtensor.hpp>
#endif
#if EW_TORCH
#include <torch/torch.h>
#endif

namespace {

constexpr float s_value = 0.75f;

/// `s_value`, hidden from the optimiser by a volatile read. Not `benchmark::DoNotOptimize(s)`: its
/// `"+m,r"` asm let GCC 12.2 skip storing 0.75, and the rows multiplied by stack garbage (on Intel,
/// a denormal's microcode assists made a 4096-element triad take 10 us; bench/README run 13).
float opaque_s() {
    volatile float v = s_value;
    return v;
}
constexpr double bytes_per_element = 3 * sizeof(float);  // read b and c, write a

/// The inputs every library starts from: uniform in [-1, 1] (exp and sin stay normal), fixed seed.
struct inputs {
    std::vector<float> b, c;
    explicit inputs(std::int64_t n) : b(static_cast<std::size_t>(n)), c(static_cast<std::size_t>(n)) {
        std::mt19937 gen(12345);
        std::uniform_real_distribution<float> u(-1.f, 1.f);
        for (auto& x : b) x = u(gen);
        for (auto& x : c) x = u(gen);
    }
};

/// Stops the row with an error unless `a` holds the triad b + s * c of `in` (checked after timing).
void check_triad(benchmark::State& state, const float* a, const inputs& in) {
    for (std::size_t i = 0; i < in.b.size(); ++i)
        if (std::abs(a[i] - (in.b[i] + s_value * in.c[i])) > 1e-6f) {
            state.SkipWithError("triad: wrong result");
            return;
        }
}

void set_counters(benchmark::State& state) {
    const auto n = state.range(0);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * bytes_per_element));
    state.SetItemsProcessed(state.iterations() * n);
}

/// A 64-byte-aligned float buffer for the hand-written loops (the same alignment nabla, Eigen with
/// AVX-512, xtensor with xsimd and LibTorch give their data).
struct buffer {
    float* p;
    explicit buffer(std::int64_t n)
        : p(static_cast<float*>(::operator new(static_cast<std::size_t>(n > 0 ? n : 1) * sizeof(float), std::align_val_t{64}))) {}
    buffer(const buffer&) = delete;
    buffer& operator=(const buffer&) = delete;
    ~buffer() { ::operator delete(p, std::align_val_t{64}); }
};

nb::tensor<float> to_nabla(const std::vector<float>& v) {
    nb::tensor<float> t(nb::shape{static_cast<std::int64_t>(v.size())});
    std::memcpy(t.data(), v.data(), v.size() * sizeof(float));
    return t;
}

// ==== triad: a = b + s * c ===========================================================================

void triad_nabla(benchmark::State& state) {
    const auto n = state.range(0);
    const inputs in(n);
    const auto b = to_nabla(in.b), c = to_nabla(in.c);
    auto a = nb::empty<float>({n});
    const float s = opaque_s();
    for (auto _ : state) {
        a.copy_(b + s * c);
        benchmark::ClobberMemory();
    }
    check_triad(state, a.data(), in);
    set_counters(state);
}

void triad_hand(benchmark::State& state) {
    const auto n = state.range(0);
    const inputs in(n);
    buffer a(n), b(n), c(n);
    std::memcpy(b.p, in.b.data(), n * sizeof(float));
    std::memcpy(c.p, in.c.data(), n * sizeof(float));
    const float s = opaque_s();
    float *pa = a.p, *pb = b.p, *pc = c.p;
    benchmark::DoNotOptimize(pa);
    benchmark::DoNotOptimize(pb);
    benchmark::DoNotOptimize(pc);
    for (auto _ : state) {
        for (std::int64_t i = 0; i < n; ++i) pa[i] = pb[i] + s * pc[i];
        benchmark::ClobberMemory();
    }
    check_triad(state, a.p, in);
    set_counters(state);
}

void triad_xsimd(benchmark::State& state) {
    using V = xsimd::batch<float>;
    constexpr std::int64_t W = V::size;
    const auto n = state.range(0);
    const inputs in(n);
    buffer a(n), b(n), c(n);
    std::memcpy(b.p, in.b.data(), n * sizeof(float));
    std::memcpy(c.p, in.c.data(), n * sizeof(float));
    const float s = opaque_s();
    float *pa = a.p, *pb = b.p, *pc = c.p;
    benchmark::DoNotOptimize(pa);
    benchmark::DoNotOptimize(pb);
    benchmark::DoNotOptimize(pc);
    for (auto _ : state) {
        const V vs(s);
        std::int64_t i = 0;
        for (; i + W <= n; i += W) (V::load_unaligned(pb + i) + vs * V::load_unaligned(pc + i)).store_unaligned(pa + i);
        for (; i < n; ++i) pa[i] = pb[i] + s * pc[i];
        benchmark::ClobberMemory();
    }
    check_triad(state, a.p, in);
    set_counters(state);
}

#if EW_EIGEN
void triad_eigen(benchmark::State& state) {
    const auto n = state.range(0);
    const inputs in(n);
    Eigen::ArrayXf a(n), b = Eigen::Map<const Eigen::ArrayXf>(in.b.data(), n), c = Eigen::Map<const Eigen::ArrayXf>(in.c.data(), n);
    const float s = opaque_s();
    benchmark::DoNotOptimize(a.data());
    for (auto _ : state) {
        a = b + s * c;  // coefficient-wise on arrays: evaluated in place, no temporary
        benchmark::ClobberMemory();
    }
    check_triad(state, a.data(), in);
    set_counters(state);
}
#endif

#if EW_XTENSOR
xt::xtensor<float, 1> to_xtensor(const std::vector<float>& v) {
    xt::xtensor<float, 1> t = xt::empty<float>({v.size()});
    std::memcpy(t.data(), v.data(), v.size() * sizeof(float));
    return t;
}

void triad_xtensor(benchmark::State& state) {
    const auto n = state.range(0);
    const inputs in(n);
    const auto b = to_xtensor(in.b), c = to_xtensor(in.c);
    xt::xtensor<float, 1> a = xt::empty<float>({static_cast<std::size_t>(n)});
    const float s = opaque_s();
    benchmark::DoNotOptimize(a.data());
    for (auto _ : state) {
        xt::noalias(a) = b + s * c;
        benchmark::ClobberMemory();
    }
    check_triad(state, a.data(), in);
    set_counters(state);
}
#endif

#if EW_TORCH
torch::Tensor to_torch(const std::vector<float>& v) {
    return torch::from_blob(const_cast<float*>(v.data()), {static_cast<std::int64_t>(v.size())}, torch::kFloat32).clone();
}

void triad_torch(benchmark::State& state) {
    c10::InferenceMode guard;
    const auto n = state.range(0);
    const inputs in(n);
    const auto b = to_torch(in.b), c = to_torch(in.c);
    auto a = torch::empty({n}, torch::kFloat32);
    const double s = s_value;
    for (auto _ : state) {
        at::add_out(a, b, c, s);  // a = b + s * c, one fused kernel, no allocation
        benchmark::ClobberMemory();
    }
    check_triad(state, a.data_ptr<float>(), in);
    set_counters(state);
}

void triad_torch_copy(benchmark::State& state) {
    c10::InferenceMode guard;
    const auto n = state.range(0);
    const inputs in(n);
    const auto b = to_torch(in.b), c = to_torch(in.c);
    auto a = torch::empty({n}, torch::kFloat32);
    const double s = s_value;
    for (auto _ : state) {
        a.copy_(b + s * c);  // the natural spelling: two temporaries, three kernels
        benchmark::ClobberMemory();
    }
    check_triad(state, a.data_ptr<float>(), in);
    set_counters(state);
}
#endif

// ==== chain: a = exp(b) * c + sin(b) - c / 2 =========================================================

void chain_nabla(benchmark::State& state) {
    const auto n = state.range(0);
    const inputs in(n);
    const auto b = to_nabla(in.b), c = to_nabla(in.c);
    auto a = nb::empty<float>({n});
    for (auto _ : state) {
        a.copy_(nb::exp(b) * c + nb::sin(b) - c / 2);
        benchmark::ClobberMemory();
    }
    set_counters(state);
}

void chain_hand(benchmark::State& state) {
    const auto n = state.range(0);
    const inputs in(n);
    buffer a(n), b(n), c(n);
    std::memcpy(b.p, in.b.data(), n * sizeof(float));
    std::memcpy(c.p, in.c.data(), n * sizeof(float));
    float *pa = a.p, *pb = b.p, *pc = c.p;
    benchmark::DoNotOptimize(pa);
    benchmark::DoNotOptimize(pb);
    benchmark::DoNotOptimize(pc);
    for (auto _ : state) {
        // Plain C++: without -ffast-math GCC does not vectorize expf/sinf (libmvec's vector
        // variants are declared only under __FAST_MATH__), so this is one libm call pair per element.
        for (std::int64_t i = 0; i < n; ++i) pa[i] = std::exp(pb[i]) * pc[i] + std::sin(pb[i]) - pc[i] / 2;
        benchmark::ClobberMemory();
    }
    set_counters(state);
}

void chain_xsimd(benchmark::State& state) {
    using V = xsimd::batch<float>;
    constexpr std::int64_t W = V::size;
    const auto n = state.range(0);
    const inputs in(n);
    buffer a(n), b(n), c(n);
    std::memcpy(b.p, in.b.data(), n * sizeof(float));
    std::memcpy(c.p, in.c.data(), n * sizeof(float));
    float *pa = a.p, *pb = b.p, *pc = c.p;
    benchmark::DoNotOptimize(pa);
    benchmark::DoNotOptimize(pb);
    benchmark::DoNotOptimize(pc);
    for (auto _ : state) {
        const V two(2.f);
        std::int64_t i = 0;
        for (; i + W <= n; i += W) {
            const V vb = V::load_unaligned(pb + i), vc = V::load_unaligned(pc + i);
            (xsimd::exp(vb) * vc + xsimd::sin(vb) - vc / two).store_unaligned(pa + i);
        }
        for (; i < n; ++i) pa[i] = std::exp(pb[i]) * pc[i] + std::sin(pb[i]) - pc[i] / 2;
        benchmark::ClobberMemory();
    }
    set_counters(state);
}

#if EW_EIGEN
void chain_eigen(benchmark::State& state) {
    const auto n = state.range(0);
    const inputs in(n);
    Eigen::ArrayXf a(n), b = Eigen::Map<const Eigen::ArrayXf>(in.b.data(), n), c = Eigen::Map<const Eigen::ArrayXf>(in.c.data(), n);
    benchmark::DoNotOptimize(a.data());
    for (auto _ : state) {
        a = b.exp() * c + b.sin() - c / 2.f;
        benchmark::ClobberMemory();
    }
    set_counters(state);
}
#endif

#if EW_XTENSOR
void chain_xtensor(benchmark::State& state) {
    const auto n = state.range(0);
    const inputs in(n);
    const auto b = to_xtensor(in.b), c = to_xtensor(in.c);
    xt::xtensor<float, 1> a = xt::empty<float>({static_cast<std::size_t>(n)});
    benchmark::DoNotOptimize(a.data());
    for (auto _ : state) {
        xt::noalias(a) = xt::exp(b) * c + xt::sin(b) - c / 2.f;
        benchmark::ClobberMemory();
    }
    set_counters(state);
}
#endif

#if EW_TORCH
void chain_torch(benchmark::State& state) {
    c10::InferenceMode guard;
    const auto n = state.range(0);
    const inputs in(n);
    const auto b = to_torch(in.b), c = to_torch(in.c);
    auto a = torch::empty({n}, torch::kFloat32);
    for (auto _ : state) {
        a.copy_(torch::exp(b) * c + torch::sin(b) - c / 2);  // the natural expression: 5 kernels, 5 temporaries
        benchmark::ClobberMemory();
    }
    set_counters(state);
}

void chain_torch_out(benchmark::State& state) {
    c10::InferenceMode guard;
    const auto n = state.range(0);
    const inputs in(n);
    const auto b = to_torch(in.b), c = to_torch(in.c);
    auto a = torch::empty({n}, torch::kFloat32), t = torch::empty({n}, torch::kFloat32);
    for (auto _ : state) {
        at::exp_out(a, b);      // a = exp(b)
        a.mul_(c);              // a = exp(b) * c
        at::sin_out(t, b);      // t = sin(b)
        a.add_(t);              // a += sin(b)
        a.sub_(c, 0.5);         // a -= c / 2
        benchmark::ClobberMemory();
    }
    set_counters(state);
}
#endif

// ==== alloc: r = b * c + b, a new result each call ===================================================

void alloc_nabla(benchmark::State& state) {
    const auto n = state.range(0);
    const inputs in(n);
    const auto b = to_nabla(in.b), c = to_nabla(in.c);
    for (auto _ : state) {
        nb::tensor<float> r = b * c + b;
        benchmark::DoNotOptimize(r.data());
        benchmark::ClobberMemory();
    }
    set_counters(state);
}

void alloc_hand(benchmark::State& state) {
    const auto n = state.range(0);
    const inputs in(n);
    buffer b(n), c(n);
    std::memcpy(b.p, in.b.data(), n * sizeof(float));
    std::memcpy(c.p, in.c.data(), n * sizeof(float));
    float *pb = b.p, *pc = c.p;
    benchmark::DoNotOptimize(pb);
    benchmark::DoNotOptimize(pc);
    for (auto _ : state) {
        const std::unique_ptr<float[]> r(new float[static_cast<std::size_t>(n)]);  // plain new[], uninitialised
        float* pr = r.get();
        for (std::int64_t i = 0; i < n; ++i) pr[i] = pb[i] * pc[i] + pb[i];
        benchmark::DoNotOptimize(pr);
        benchmark::ClobberMemory();
    }
    set_counters(state);
}

#if EW_EIGEN
void alloc_eigen(benchmark::State& state) {
    const auto n = state.range(0);
    const inputs in(n);
    const Eigen::ArrayXf b = Eigen::Map<const Eigen::ArrayXf>(in.b.data(), n), c = Eigen::Map<const Eigen::ArrayXf>(in.c.data(), n);
    for (auto _ : state) {
        Eigen::ArrayXf r = b * c + b;
        benchmark::DoNotOptimize(r.data());
        benchmark::ClobberMemory();
    }
    set_counters(state);
}
#endif

#if EW_XTENSOR
void alloc_xtensor(benchmark::State& state) {
    const auto n = state.range(0);
    const inputs in(n);
    const auto b = to_xtensor(in.b), c = to_xtensor(in.c);
    for (auto _ : state) {
        xt::xtensor<float, 1> r = b * c + b;
        benchmark::DoNotOptimize(r.data());
        benchmark::ClobberMemory();
    }
    set_counters(state);
}
#endif

#if EW_TORCH
void alloc_torch(benchmark::State& state) {
    c10::InferenceMode guard;
    const auto n = state.range(0);
    const inputs in(n);
    const auto b = to_torch(in.b), c = to_torch(in.c);
    for (auto _ : state) {
        auto r = b * c + b;
        benchmark::DoNotOptimize(r.data_ptr());
        benchmark::ClobberMemory();
    }
    set_counters(state);
}
#endif

// ==== a one-off check that every row computes the same numbers =====================================

/// Largest |row - reference| over the three kernels at n = 1000 (a non-multiple of any SIMD width),
/// the reference computed in double. Printed in the context header; the run stops if it is not small.
double check_all() {
    constexpr std::int64_t n = 1000;
    const inputs in(n);
    const float s = s_value;
    std::vector<double> ref[3];
    for (auto& r : ref) r.resize(n);
    for (std::int64_t i = 0; i < n; ++i) {
        const double b = in.b[i], c = in.c[i];
        ref[0][i] = b + s * c;
        ref[1][i] = std::exp(b) * c + std::sin(b) - c / 2;
        ref[2][i] = b * c + b;
    }
    double worst = 0;
    auto compare = [&](int k, const float* p) {
        for (std::int64_t i = 0; i < n; ++i) worst = std::max(worst, std::abs(p[i] - ref[k][i]));
    };
    {
        const auto b = to_nabla(in.b), c = to_nabla(in.c);
        auto a = nb::empty<float>({n});
        a.copy_(b + s * c);
        compare(0, a.data());
        a.copy_(nb::exp(b) * c + nb::sin(b) - c / 2);
        compare(1, a.data());
        const nb::tensor<float> r = b * c + b;
        compare(2, r.data());
    }
#if EW_EIGEN
    {
        const Eigen::ArrayXf b = Eigen::Map<const Eigen::ArrayXf>(in.b.data(), n), c = Eigen::Map<const Eigen::ArrayXf>(in.c.data(), n);
        Eigen::ArrayXf a = b + s * c;
        compare(0, a.data());
        a = b.exp() * c + b.sin() - c / 2.f;
        compare(1, a.data());
        a = b * c + b;
        compare(2, a.data());
    }
#endif
#if EW_XTENSOR
    {
        const auto b = to_xtensor(in.b), c = to_xtensor(in.c);
        xt::xtensor<float, 1> a = xt::empty<float>({static_cast<std::size_t>(n)});
        xt::noalias(a) = b + s * c;
        compare(0, a.data());
        xt::noalias(a) = xt::exp(b) * c + xt::sin(b) - c / 2.f;
        compare(1, a.data());
        xt::noalias(a) = b * c + b;
        compare(2, a.data());
    }
#endif
#if EW_TORCH
    {
        c10::InferenceMode guard;
        const auto b = to_torch(in.b), c = to_torch(in.c);
        auto a = torch::empty({n}, torch::kFloat32);
        at::add_out(a, b, c, static_cast<double>(s));
        compare(0, a.data_ptr<float>());
        a.copy_(torch::exp(b) * c + torch::sin(b) - c / 2);
        compare(1, a.data_ptr<float>());
        const auto r = b * c + b;
        compare(2, r.data_ptr<float>());
    }
#endif
    return worst;
}

void sizes(benchmark::internal::Benchmark* b) {
    b->Arg(16)->Arg(4096)->Arg(4 * 1024 * 1024);
}

}  // namespace

BENCHMARK(triad_nabla)->Apply(sizes);
BENCHMARK(triad_hand)->Apply(sizes);
BENCHMARK(triad_xsimd)->Apply(sizes);
#if EW_EIGEN
BENCHMARK(triad_eigen)->Apply(sizes);
#endif
#if EW_XTENSOR
BENCHMARK(triad_xtensor)->Apply(sizes);
#endif
#if EW_TORCH
BENCHMARK(triad_torch)->Apply(sizes);
BENCHMARK(triad_torch_copy)->Apply(sizes);
#endif

BENCHMARK(chain_nabla)->Apply(sizes);
BENCHMARK(chain_hand)->Apply(sizes);
BENCHMARK(chain_xsimd)->Apply(sizes);
#if EW_EIGEN
BENCHMARK(chain_eigen)->Apply(sizes);
#endif
#if EW_XTENSOR
BENCHMARK(chain_xtensor)->Apply(sizes);
#endif
#if EW_TORCH
BENCHMARK(chain_torch)->Apply(sizes);
BENCHMARK(chain_torch_out)->Apply(sizes);
#endif

BENCHMARK(alloc_nabla)->Apply(sizes);
BENCHMARK(alloc_hand)->Apply(sizes);
#if EW_EIGEN
BENCHMARK(alloc_eigen)->Apply(sizes);
#endif
#if EW_XTENSOR
BENCHMARK(alloc_xtensor)->Apply(sizes);
#endif
#if EW_TORCH
BENCHMARK(alloc_torch)->Apply(sizes);
#endif

static bool single_thread_run() {
    const char* t = std::getenv("NABLA_BENCH_SINGLE_THREAD");
    return t && *t == '1';
}

int main(int argc, char** argv) {
#if EW_TORCH
    if (!single_thread_run()) {
        torch::set_num_threads(1);
        torch::set_num_interop_threads(1);
    }
#endif
#if EW_EIGEN
    Eigen::setNbThreads(1);
#endif
    const double worst = check_all();
    if (!(worst < 1e-5)) {
        std::fprintf(stderr, "bench_elementwise: rows disagree with the reference by %g\n", worst);
        return 1;
    }
    // LibTorch's set_num_threads starts a thread, so by default every row runs in a process with a
    // second thread: start one here too. nabla's tensor counts do not depend on it (refcount.hpp),
    // but std::shared_ptr (a tensor's autograd slot) and malloc do. NABLA_BENCH_SINGLE_THREAD=1
    // (with a filter that leaves out the LibTorch rows) measures a process that never had one.
    if (!single_thread_run()) std::thread([] {}).join();
    benchmark::AddCustomContext("process_single_threaded", __libc_single_threaded ? "yes" : "no");
    benchmark::AddCustomContext("check_max_abs_error", std::to_string(worst));
    benchmark::AddCustomContext("nabla_simd", nb::simd_arch_name());
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
