// Autograd: nabla's tape beside LibTorch's autograd (and a hand-written loop as the floor), one
// thread, float, in one binary so that the ratios come from one run.
//
//   fwdbwd   zero the grads; l = sum(x * y + exp(x)); l.backward()     n = 1, 16, 64, 1024, 16384, 65536
//   chain    zero the grad; h = h0; 10 x { h = tanh(h * 0.9 + 0.1) }; h.sum().backward()
//            n = 8, 16, 64, 1024, 16384 elements
//   fwd      the forward of fwdbwd alone (recorded, graph dropped), n = 16 and 65536:
//            backward / forward = (fwdbwd - fwd) / fwd
//   bwd      backward alone over a graph built once (backward(retain_graph) + zeroing the grads),
//            a cross-check of the subtraction above
//   fwd_nograd  the forward under no_grad: the cost of recording, by difference with fwd
//
// Items processed are elements of x. Every row's gradients are checked against the analytical
// ones (dx = y + exp(x), dy = x; the chain against LibTorch's or a scalar loop) before timing.
//
// Build by hand:
//   g++ -std=c++20 -O3 -march=native -DNDEBUG -I include -isystem /usr/include/torch/csrc/api/include
//       bench/bench_autograd.cpp -o bench_ag -lbenchmark -lpthread -ltorch -ltorch_cpu -lc10
//   ./bench_ag --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// Under meson (-Dbenchmarks=true) NABLA_BENCH_HAVE_TORCH decides instead of __has_include.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <nabla/nabla.hpp>

#if defined(NABLA_BENCH_HAVE_TORCH)
#define AG_TORCH NABLA_BENCH_HAVE_TORCH
#elif __has_include(<torch/torch.h>)
#define AG_TORCH 1
#else
#define AG_TORCH 0
#endif

#if AG_TORCH
#include <torch/torch.h>
#endif

namespace nb = nabla;

namespace {

constexpr int chain_steps = 10;

// ---- inputs shared by every row ------------------------------------------------------------------
std::vector<float> inputs(std::int64_t n, std::uint64_t seed) {
    nb::manual_seed(seed);
    const nb::tensor<float> t = nb::rand<float>({n}) * 2 - 1;  // in [-1, 1): exp stays tame
    return {t.data(), t.data() + n};
}

// ---- nabla ---------------------------------------------------------------------------------------
nb::tensor<float> nabla_input(std::int64_t n, std::uint64_t seed) {
    const auto v = inputs(n, seed);
    auto t = nb::empty<float>({n});
    std::copy(v.begin(), v.end(), t.data());
    return t.requires_grad_(true);
}
void zero_grad(const nb::tensor<float>& t) {
    if (auto g = t.grad(); g.defined()) g.zero_();
}
nb::tensor<float> nabla_forward(const nb::tensor<float>& x, const nb::tensor<float>& y) {
    return (x * y + nb::exp(x)).sum();
}
nb::tensor<float> nabla_chain(const nb::tensor<float>& h0) {
    nb::tensor<float> h = h0;
    for (int i = 0; i < chain_steps; ++i) h = nb::tanh(h * 0.9f + 0.1f);
    return h.sum();
}

// Largest |gradient - expected| of the sum(x * y + exp(x)) rows.
double fwdbwd_error(const float* x, const float* y, const float* gx, const float* gy, std::int64_t n) {
    double worst = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        worst = std::max(worst, std::fabs(gx[i] - (double(y[i]) + std::exp(double(x[i])))));
        worst = std::max(worst, std::fabs(gy[i] - double(x[i])));
    }
    return worst;
}
// The chain's gradient by a scalar forward/backward in double.
std::vector<double> chain_reference(const std::vector<float>& h0) {
    std::vector<double> g(h0.size());
    for (std::size_t i = 0; i < h0.size(); ++i) {
        double h = h0[i], d = 1;
        for (int s = 0; s < chain_steps; ++s) {
            h = std::tanh(h * 0.9 + 0.1);
            d *= (1 - h * h) * 0.9;
        }
        g[i] = d;
    }
    return g;
}
double chain_error(const float* g, const std::vector<float>& h0) {
    const auto ref = chain_reference(h0);
    double worst = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::fabs(g[i] - ref[i]));
    return worst;
}
void check(benchmark::State& st, double err) {
    if (!(err < 1e-4)) st.SkipWithError(("gradient wrong by " + std::to_string(err)).c_str());
}

void fwdbwd_nabla(benchmark::State& st) {
    const std::int64_t n = st.range(0);
    const auto x = nabla_input(n, 1), y = nabla_input(n, 2);
    for (auto _ : st) {
        zero_grad(x);
        zero_grad(y);
        nabla_forward(x, y).backward();
        benchmark::ClobberMemory();
    }
    check(st, fwdbwd_error(x.data(), y.data(), x.grad().data(), y.grad().data(), n));
    st.SetItemsProcessed(st.iterations() * n);
}

void fwd_nabla(benchmark::State& st) {
    const std::int64_t n = st.range(0);
    const auto x = nabla_input(n, 1), y = nabla_input(n, 2);
    for (auto _ : st) {
        auto l = nabla_forward(x, y);
        benchmark::DoNotOptimize(l.data());
    }
    st.SetItemsProcessed(st.iterations() * n);
}

void fwd_nograd_nabla(benchmark::State& st) {
    const std::int64_t n = st.range(0);
    const auto x = nabla_input(n, 1), y = nabla_input(n, 2);
    nb::no_grad_guard no_grad;
    for (auto _ : st) {
        auto l = nabla_forward(x, y);
        benchmark::DoNotOptimize(l.data());
    }
    st.SetItemsProcessed(st.iterations() * n);
}

void bwd_nabla(benchmark::State& st) {
    const std::int64_t n = st.range(0);
    const auto x = nabla_input(n, 1), y = nabla_input(n, 2);
    const auto l = nabla_forward(x, y);
    for (auto _ : st) {
        zero_grad(x);
        zero_grad(y);
        l.backward(nb::retain_graph);
        benchmark::ClobberMemory();
    }
    check(st, fwdbwd_error(x.data(), y.data(), x.grad().data(), y.grad().data(), n));
    st.SetItemsProcessed(st.iterations() * n);
}

void chain_nabla(benchmark::State& st) {
    const std::int64_t chain_n = st.range(0);
    const auto h0 = nabla_input(chain_n, 3);
    for (auto _ : st) {
        zero_grad(h0);
        nabla_chain(h0).backward();
        benchmark::ClobberMemory();
    }
    check(st, chain_error(h0.grad().data(), inputs(chain_n, 3)));
    st.SetItemsProcessed(st.iterations() * chain_n);
}

// ---- hand-written: the forward and the analytical gradient in one loop (the floor) --------------
void fwdbwd_hand(benchmark::State& st) {
    const std::int64_t n = st.range(0);
    const auto x = inputs(n, 1), y = inputs(n, 2);
    std::vector<float> gx(x.size()), gy(x.size());
    for (auto _ : st) {
        float l = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            const float e = std::exp(x[i]);
            l += x[i] * y[i] + e;
            gx[i] = y[i] + e;  // d/dx (x y + e^x)
            gy[i] = x[i];      // d/dy (x y)
        }
        benchmark::DoNotOptimize(l);
        benchmark::ClobberMemory();
    }
    check(st, fwdbwd_error(x.data(), y.data(), gx.data(), gy.data(), n));
    st.SetItemsProcessed(st.iterations() * n);
}

void chain_hand(benchmark::State& st) {
    const std::int64_t chain_n = st.range(0);
    const auto h0 = inputs(chain_n, 3);
    std::vector<float> hs(chain_n * (chain_steps + 1)), g(chain_n);
    for (auto _ : st) {
        float l = 0;
        for (std::int64_t i = 0; i < chain_n; ++i) {
            float h = h0[i], d = 1;
            for (int s = 0; s < chain_steps; ++s) {
                h = std::tanh(h * 0.9f + 0.1f);
                d *= (1 - h * h) * 0.9f;
            }
            l += h;
            g[i] = d;
        }
        benchmark::DoNotOptimize(l);
        benchmark::ClobberMemory();
    }
    check(st, chain_error(g.data(), h0));
    st.SetItemsProcessed(st.iterations() * chain_n);
}

// ---- LibTorch ------------------------------------------------------------------------------------
#if AG_TORCH
torch::Tensor torch_input(std::int64_t n, std::uint64_t seed) {
    const auto v = inputs(n, seed);
    return torch::tensor(v, torch::dtype(torch::kFloat32)).requires_grad_(true);
}
void zero_grad(const torch::Tensor& t) {
    if (t.grad().defined()) t.mutable_grad().zero_();
}
torch::Tensor torch_forward(const torch::Tensor& x, const torch::Tensor& y) {
    return (x * y + torch::exp(x)).sum();
}
torch::Tensor torch_chain(const torch::Tensor& h0) {
    torch::Tensor h = h0;
    for (int i = 0; i < chain_steps; ++i) h = torch::tanh(h * 0.9 + 0.1);
    return h.sum();
}

void fwdbwd_torch(benchmark::State& st) {
    const std::int64_t n = st.range(0);
    const auto x = torch_input(n, 1), y = torch_input(n, 2);
    for (auto _ : st) {
        zero_grad(x);
        zero_grad(y);
        torch_forward(x, y).backward();
        benchmark::ClobberMemory();
    }
    check(st, fwdbwd_error(x.data_ptr<float>(), y.data_ptr<float>(), x.grad().data_ptr<float>(), y.grad().data_ptr<float>(), n));
    st.SetItemsProcessed(st.iterations() * n);
}

void fwd_torch(benchmark::State& st) {
    const std::int64_t n = st.range(0);
    const auto x = torch_input(n, 1), y = torch_input(n, 2);
    for (auto _ : st) {
        auto l = torch_forward(x, y);
        benchmark::DoNotOptimize(l.data_ptr<float>());
    }
    st.SetItemsProcessed(st.iterations() * n);
}

void fwd_nograd_torch(benchmark::State& st) {
    const std::int64_t n = st.range(0);
    const auto x = torch_input(n, 1), y = torch_input(n, 2);
    torch::NoGradGuard no_grad;
    for (auto _ : st) {
        auto l = torch_forward(x, y);
        benchmark::DoNotOptimize(l.data_ptr<float>());
    }
    st.SetItemsProcessed(st.iterations() * n);
}

void bwd_torch(benchmark::State& st) {
    const std::int64_t n = st.range(0);
    const auto x = torch_input(n, 1), y = torch_input(n, 2);
    const auto l = torch_forward(x, y);
    for (auto _ : st) {
        zero_grad(x);
        zero_grad(y);
        l.backward({}, /*retain_graph=*/true);
        benchmark::ClobberMemory();
    }
    check(st, fwdbwd_error(x.data_ptr<float>(), y.data_ptr<float>(), x.grad().data_ptr<float>(), y.grad().data_ptr<float>(), n));
    st.SetItemsProcessed(st.iterations() * n);
}

void chain_torch(benchmark::State& st) {
    const std::int64_t chain_n = st.range(0);
    const auto h0 = torch_input(chain_n, 3);
    for (auto _ : st) {
        zero_grad(h0);
        torch_chain(h0).backward();
        benchmark::ClobberMemory();
    }
    check(st, chain_error(h0.grad().data_ptr<float>(), inputs(chain_n, 3)));
    st.SetItemsProcessed(st.iterations() * chain_n);
}
#endif

void sizes(benchmark::internal::Benchmark* b) {
    for (std::int64_t n : {1, 16, 64, 1024, 16384, 65536}) b->Arg(n);
}
void chain_sizes(benchmark::internal::Benchmark* b) {
    for (std::int64_t n : {8, 16, 64, 1024, 16384}) b->Arg(n);
}
void split_sizes(benchmark::internal::Benchmark* b) { b->Arg(16)->Arg(65536); }

}  // namespace

BENCHMARK(fwdbwd_nabla)->Apply(sizes);
BENCHMARK(fwdbwd_hand)->Apply(sizes);
#if AG_TORCH
BENCHMARK(fwdbwd_torch)->Apply(sizes);
#endif

BENCHMARK(chain_nabla)->Apply(chain_sizes);
BENCHMARK(chain_hand)->Apply(chain_sizes);
#if AG_TORCH
BENCHMARK(chain_torch)->Apply(chain_sizes);
#endif

BENCHMARK(fwd_nabla)->Apply(split_sizes);
BENCHMARK(fwd_nograd_nabla)->Apply(split_sizes);
BENCHMARK(bwd_nabla)->Apply(split_sizes);
#if AG_TORCH
BENCHMARK(fwd_torch)->Apply(split_sizes);
BENCHMARK(fwd_nograd_torch)->Apply(split_sizes);
BENCHMARK(bwd_torch)->Apply(split_sizes);
#endif

int main(int argc, char** argv) {
#if AG_TORCH
    torch::set_num_threads(1);
    torch::set_num_interop_threads(1);
#endif
    benchmark::AddCustomContext("nabla_simd", nb::simd_arch_name());
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
