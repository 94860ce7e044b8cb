// Reductions and scans fused with expressions, beside Eigen, LibTorch and the standard library.
//   sum(x * y), norm(x - y)       at 16, 4096 and 4M floats  (Eigen: (x.array() * y.array()).sum(), (x - y).norm();
//                                 LibTorch: (x * y).sum(), torch::norm(x - y), natural spelling with temporaries)
//   A.sum(0), A.sum(1)            on a 1024 x 1024 float matrix (Eigen colwise/rowwise on a row-major map)
//   read_floor                    the 4 MB matrix read once by a hand-written xsimd loop (the floor for A.sum(1))
//   cumsum                        of 4M floats (std::inclusive_scan into a buffer allocated once, and into
//                                 a fresh new[] buffer each call; torch::cumsum)
// loop_dot is the plain C++ loop: without -ffast-math GCC keeps its sequential float sum (scalar).
// nabla and LibTorch allocate their results (A.sum(axis), cumsum); Eigen and std write into a
// buffer allocated once.
#include <benchmark/benchmark.h>

#include <nabla/nabla.hpp>
#include <xsimd/xsimd.hpp>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <thread>
#include <vector>

#include <sys/single_threaded.h>  // glibc: has this process started a second thread?

#if !defined(NABLA_BENCH_HAVE_EIGEN)
#define NABLA_BENCH_HAVE_EIGEN __has_include(<Eigen/Dense>)
#endif
#if !defined(NABLA_BENCH_HAVE_TORCH)
#define NABLA_BENCH_HAVE_TORCH __has_include(<torch/torch.h>)
#endif
#if NABLA_BENCH_HAVE_EIGEN
#include <Eigen/Dense>
#endif
#if NABLA_BENCH_HAVE_TORCH
#include <torch/torch.h>
#endif

namespace nb = nabla;

namespace {

nb::tensor<float> uniform(std::int64_t n, std::uint64_t seed) {
    nb::manual_seed(seed);
    return nb::tensor<float>(nb::rand<float>({n}) * 2 - 1);
}

void bytes(benchmark::State& s, std::int64_t n, int arrays) {
    s.SetBytesProcessed(static_cast<std::int64_t>(s.iterations()) * n * arrays * static_cast<std::int64_t>(sizeof(float)));
}

void nabla_dot_expr(benchmark::State& s) {
    const auto n = s.range(0);
    auto x = uniform(n, 1), y = uniform(n, 2);
    for (auto _ : s) benchmark::DoNotOptimize(nb::sum(x * y).item());
    bytes(s, n, 2);
}
void nabla_norm_diff(benchmark::State& s) {
    const auto n = s.range(0);
    auto x = uniform(n, 1), y = uniform(n, 2);
    for (auto _ : s) benchmark::DoNotOptimize(nb::norm(x - y).item());
    bytes(s, n, 2);
}
void loop_dot(benchmark::State& s) {
    const auto n = s.range(0);
    auto x = uniform(n, 1), y = uniform(n, 2);
    const float *px = x.data(), *py = y.data();
    for (auto _ : s) {
        float acc = 0;
        for (std::int64_t i = 0; i < n; ++i) acc += px[i] * py[i];
        benchmark::DoNotOptimize(acc);
    }
    bytes(s, n, 2);
}
BENCHMARK(nabla_dot_expr)->Arg(16)->Arg(4096)->Arg(4 << 20);
BENCHMARK(loop_dot)->Arg(16)->Arg(4096)->Arg(4 << 20);
BENCHMARK(nabla_norm_diff)->Arg(16)->Arg(4096)->Arg(4 << 20);

void nabla_sum_axis(benchmark::State& s) {
    const auto axis = s.range(0);
    nb::manual_seed(3);
    auto A = nb::rand<float>({1024, 1024});
    for (auto _ : s) benchmark::DoNotOptimize(A.sum(axis).data());
    bytes(s, 1024 * 1024, 1);
}
BENCHMARK(nabla_sum_axis)->Arg(0)->Arg(1);

/// The floor for A.sum(1): every element of the 4 MB matrix read once and added into eight
/// independent xsimd accumulators, no output, no per-row work. No row-wise reduction (nabla's,
/// Eigen's or LibTorch's) can read the matrix faster than this loop does.
void read_floor(benchmark::State& s) {
    using V = xsimd::batch<float>;
    constexpr std::int64_t W = V::size;
    nb::manual_seed(3);
    auto A = nb::rand<float>({1024, 1024});
    const float* p = A.data();
    const std::int64_t n = A.numel();
    for (auto _ : s) {
        V a[8] = {V(0.f), V(0.f), V(0.f), V(0.f), V(0.f), V(0.f), V(0.f), V(0.f)};
        for (std::int64_t i = 0; i < n; i += 8 * W)
            for (int k = 0; k < 8; ++k) a[k] += V::load_aligned(p + i + k * W);
        benchmark::DoNotOptimize(xsimd::hadd(((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))));
    }
    bytes(s, n, 1);
}
BENCHMARK(read_floor);

void nabla_cumsum(benchmark::State& s) {
    const auto n = s.range(0);
    auto x = uniform(n, 4);
    for (auto _ : s) benchmark::DoNotOptimize(x.cumsum(0).data());
    bytes(s, n, 2);
}
void std_inclusive_scan(benchmark::State& s) {
    const auto n = s.range(0);
    auto x = uniform(n, 4);
    std::vector<float> out(static_cast<std::size_t>(n));
    for (auto _ : s) {
        std::inclusive_scan(x.data(), x.data() + n, out.data());
        benchmark::DoNotOptimize(out.data());
    }
    bytes(s, n, 2);
}
/// The same scan into a fresh, uninitialised new[] buffer each call: x.cumsum(0) allocates its
/// result, and at 16 MB the allocator maps fresh pages, so this is the like-for-like row.
void std_inclusive_scan_alloc(benchmark::State& s) {
    const auto n = s.range(0);
    auto x = uniform(n, 4);
    for (auto _ : s) {
        const std::unique_ptr<float[]> out(new float[static_cast<std::size_t>(n)]);
        std::inclusive_scan(x.data(), x.data() + n, out.get());
        benchmark::DoNotOptimize(out.get());
        benchmark::ClobberMemory();
    }
    bytes(s, n, 2);
}
BENCHMARK(nabla_cumsum)->Arg(4 << 20);
BENCHMARK(std_inclusive_scan)->Arg(4 << 20);
BENCHMARK(std_inclusive_scan_alloc)->Arg(4 << 20);

#if NABLA_BENCH_HAVE_EIGEN
void eigen_dot_expr(benchmark::State& s) {
    const auto n = s.range(0);
    auto x = uniform(n, 1), y = uniform(n, 2);
    Eigen::Map<const Eigen::ArrayXf> ex(x.data(), n), ey(y.data(), n);
    for (auto _ : s) benchmark::DoNotOptimize((ex * ey).sum());
    bytes(s, n, 2);
}
void eigen_norm_diff(benchmark::State& s) {
    const auto n = s.range(0);
    auto x = uniform(n, 1), y = uniform(n, 2);
    Eigen::Map<const Eigen::VectorXf> ex(x.data(), n), ey(y.data(), n);
    for (auto _ : s) benchmark::DoNotOptimize((ex - ey).norm());
    bytes(s, n, 2);
}
void eigen_sum_axis(benchmark::State& s) {
    const auto axis = s.range(0);
    nb::manual_seed(3);
    auto A = nb::rand<float>({1024, 1024});
    using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    Eigen::Map<const RowMajor> m(A.data(), 1024, 1024);
    Eigen::VectorXf col(1024);
    Eigen::RowVectorXf row(1024);
    for (auto _ : s) {
        if (axis == 0) {
            row.noalias() = m.colwise().sum();
            benchmark::DoNotOptimize(row.data());
        } else {
            col.noalias() = m.rowwise().sum();
            benchmark::DoNotOptimize(col.data());
        }
    }
    bytes(s, 1024 * 1024, 1);
}
BENCHMARK(eigen_dot_expr)->Arg(16)->Arg(4096)->Arg(4 << 20);
BENCHMARK(eigen_norm_diff)->Arg(16)->Arg(4096)->Arg(4 << 20);
BENCHMARK(eigen_sum_axis)->Arg(0)->Arg(1);
#endif

#if NABLA_BENCH_HAVE_TORCH
void torch_sum_axis(benchmark::State& s) {
    torch::set_num_threads(1);
    torch::NoGradGuard g;
    const auto axis = s.range(0);
    auto A = torch::rand({1024, 1024});
    for (auto _ : s) benchmark::DoNotOptimize(A.sum(axis).data_ptr());
    bytes(s, 1024 * 1024, 1);
}
void torch_dot_expr(benchmark::State& s) {
    torch::set_num_threads(1);
    torch::NoGradGuard g;
    const auto n = s.range(0);
    auto x = torch::rand({n}), y = torch::rand({n});
    for (auto _ : s) benchmark::DoNotOptimize((x * y).sum().item<float>());
    bytes(s, n, 2);
}
void torch_norm_diff(benchmark::State& s) {
    torch::set_num_threads(1);
    torch::NoGradGuard g;
    const auto n = s.range(0);
    auto x = torch::rand({n}), y = torch::rand({n});
    for (auto _ : s) benchmark::DoNotOptimize(torch::norm(x - y).item<float>());
    bytes(s, n, 2);
}
void torch_cumsum(benchmark::State& s) {
    torch::set_num_threads(1);
    torch::NoGradGuard g;
    const auto n = s.range(0);
    auto x = torch::rand({n});
    for (auto _ : s) benchmark::DoNotOptimize(x.cumsum(0).data_ptr());
    bytes(s, n, 2);
}
BENCHMARK(torch_sum_axis)->Arg(0)->Arg(1);
BENCHMARK(torch_dot_expr)->Arg(16)->Arg(4096)->Arg(4 << 20);
BENCHMARK(torch_norm_diff)->Arg(16)->Arg(4096)->Arg(4 << 20);
BENCHMARK(torch_cumsum)->Arg(4 << 20);
#endif

}  // namespace

static bool single_thread_run() {
    const char* t = std::getenv("NABLA_BENCH_SINGLE_THREAD");
    return t && *t == '1';
}

int main(int argc, char** argv) {
    // LibTorch's set_num_threads starts a thread, so by default every row runs in a process with a
    // second thread: start one here too. nabla's tensor counts do not depend on it (refcount.hpp),
    // but std::shared_ptr (a tensor's autograd slot) and malloc do. NABLA_BENCH_SINGLE_THREAD=1
    // (with a filter that leaves out the LibTorch rows) measures a process that never had one.
    if (!single_thread_run()) std::thread([] {}).join();
    benchmark::AddCustomContext("process_single_threaded", __libc_single_threaded ? "yes" : "no");
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
