// Matrix products: nabla::eval::gemm / gemv / dot beside OpenBLAS (cblas, one thread), Eigen
// (Map of row-major matrices, noalias products, EIGEN_DONT_PARALLELIZE) and a plain loop, in one
// binary so that the ratios come from one run.
//
//   gemm_f32/<lib>/<n>   square n x n x n float, n = 8 ... 1024, all operands row-major
//   gemm_f64/<lib>/1024  the same in double
//   gemm_f32_bt/<lib>/n  C = A B^T (B stored n x n row-major, read transposed: a linear layer)
//   gemv_f32/<lib>/m:/k:/T:  y = A x (T:0) and y = Aᵀ x (T:1, mv's gradient), A m x k row-major:
//                        1024 x 1024 and the regression shapes 1000 x {10, 50, 150}; gemv_f64 likewise
//   dot_f32/<lib>/<n>    n = 4096 (in L1) and 4M (from memory)
//   fma_peak_*           the core's FMA throughput: independent FMA chains on registers only,
//                        the ceiling any product can reach (GFLOPS counts 2 flops per lane)
//
// Every product reports GFLOPS (2 m n k per call; 2 m k for gemv; 2 n for dot).
//
// Build by hand (peers are optional; each is used when its headers are found):
//   g++ -std=c++20 -O3 -march=native -DNDEBUG -I include -I/usr/include/eigen3 bench/bench_gemm.cpp
//       -o bench_gemm -lbenchmark -lpthread -lopenblas
//   OPENBLAS_NUM_THREADS=1 ./bench_gemm --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// Under meson (-Dbenchmarks=true) the NABLA_BENCH_HAVE_* macros decide instead of __has_include.

#define EIGEN_DONT_PARALLELIZE

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <random>
#include <type_traits>

#include <nabla/eval/gemm.hpp>
#include <nabla/eval/simd.hpp>

// ---- which peers ----------------------------------------------------------------------------------
#if defined(NABLA_BENCH_HAVE_EIGEN)
#define GEMM_EIGEN NABLA_BENCH_HAVE_EIGEN
#elif __has_include(<Eigen/Core>)
#define GEMM_EIGEN 1
#else
#define GEMM_EIGEN 0
#endif

#if defined(NABLA_BENCH_HAVE_OPENBLAS)
#define GEMM_OPENBLAS NABLA_BENCH_HAVE_OPENBLAS
#elif __has_include(<cblas.h>)
#define GEMM_OPENBLAS 1
#else
#define GEMM_OPENBLAS 0
#endif

#if GEMM_EIGEN
#include <Eigen/Core>
#endif
#if GEMM_OPENBLAS
#include <cblas.h>
#endif

namespace {

using std::int64_t;

struct aligned_delete {
    void operator()(void* p) const noexcept { ::operator delete(p, std::align_val_t{64}); }
};

/// n random values in [-1, 1), 64-byte aligned like nabla's storage.
template <class T>
std::unique_ptr<T[], aligned_delete> random_buffer(int64_t n, unsigned seed) {
    std::unique_ptr<T[], aligned_delete> p(
        static_cast<T*>(::operator new(static_cast<std::size_t>(n) * sizeof(T), std::align_val_t{64})));
    std::mt19937 rng(seed);
    std::uniform_real_distribution<T> dist(T(-1), T(1));
    for (int64_t i = 0; i < n; ++i) p[i] = dist(rng);
    return p;
}

void set_flops(benchmark::State& state, double flops_per_call) {
    state.counters["GFLOPS"] =
        benchmark::Counter(flops_per_call, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

/// Square row-major operands of one benchmark.
template <class T>
struct square {
    int64_t n;
    std::unique_ptr<T[], aligned_delete> a, b, c;
    explicit square(int64_t size)
        : n(size), a(random_buffer<T>(size * size, 1)), b(random_buffer<T>(size * size, 2)),
          c(random_buffer<T>(size * size, 3)) {}
};

// ---- the single-core FMA ceiling -------------------------------------------------------------------

/// Twelve independent FMA chains (more than latency x throughput on any current x86 core) on
/// batches of V: no loads, no stores, nothing but the FMA ports.
template <class V>
void fma_peak(benchmark::State& state) {
    using T = typename V::value_type;
    constexpr int chains = 12;
    constexpr int steps = 256;
    V acc[chains];
    for (int i = 0; i < chains; ++i) acc[i] = nabla::simd::splat_as<V>(T(i) * T(0.001));
    const V x = nabla::simd::splat_as<V>(T(0.999999)), y = nabla::simd::splat_as<V>(T(1e-7));
    for (auto _ : state) {
        for (int s = 0; s < steps; ++s)
#pragma GCC unroll 12
            for (int i = 0; i < chains; ++i) acc[i] = nabla::simd::fma_as(acc[i], x, y);
        for (int i = 0; i < chains; ++i) benchmark::DoNotOptimize(acc[i]);
    }
    set_flops(state, 2.0 * chains * steps * static_cast<double>(nabla::simd::lanes<V>));
    state.SetLabel(nabla::simd_arch_name());
}
BENCHMARK(fma_peak<nabla::simd::batch<float>>)->Name("fma_peak_f32/full_batch");
BENCHMARK(fma_peak<nabla::simd::batch<double>>)->Name("fma_peak_f64/full_batch");
#if defined(__AVX512F__)
BENCHMARK(fma_peak<nabla::simd::sized_batch<float, 8>>)->Name("fma_peak_f32/avx2_batch");
#endif

// ---- gemm -----------------------------------------------------------------------------------------

template <class T>
void gemm_nabla(benchmark::State& state) {
    square<T> s(state.range(0));
    const int64_t n = s.n;
    for (auto _ : state) {
        nabla::eval::gemm<T>(n, n, n, s.a.get(), n, 1, s.b.get(), n, 1, s.c.get(), n, 1);
        benchmark::DoNotOptimize(s.c.get());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * n * n * n);
}

/// The i-k-j loop a user would write (the compiler vectorises its inner loop).
template <class T>
void gemm_loop(benchmark::State& state) {
    square<T> s(state.range(0));
    const int64_t n = s.n;
    for (auto _ : state) {
        T* NABLA_RESTRICT c = s.c.get();
        const T* NABLA_RESTRICT a = s.a.get();
        const T* NABLA_RESTRICT b = s.b.get();
        for (int64_t i = 0; i < n * n; ++i) c[i] = T(0);
        for (int64_t i = 0; i < n; ++i)
            for (int64_t p = 0; p < n; ++p)
                for (int64_t j = 0; j < n; ++j) c[i * n + j] += a[i * n + p] * b[p * n + j];
        benchmark::DoNotOptimize(s.c.get());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * n * n * n);
}

#if GEMM_OPENBLAS
template <class T>
void gemm_openblas(benchmark::State& state) {
    openblas_set_num_threads(1);
    square<T> s(state.range(0));
    const int n = static_cast<int>(s.n);
    for (auto _ : state) {
        if constexpr (std::is_same_v<T, float>)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, s.a.get(), n, s.b.get(), n, 0.0f,
                        s.c.get(), n);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, s.a.get(), n, s.b.get(), n, 0.0,
                        s.c.get(), n);
        benchmark::DoNotOptimize(s.c.get());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * n * n * n);
}
#endif

#if GEMM_EIGEN
template <class T>
using eigen_row_major = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

template <class T>
void gemm_eigen(benchmark::State& state) {
    square<T> s(state.range(0));
    const int64_t n = s.n;
    Eigen::Map<const eigen_row_major<T>, Eigen::Aligned64> a(s.a.get(), n, n), b(s.b.get(), n, n);
    Eigen::Map<eigen_row_major<T>, Eigen::Aligned64> c(s.c.get(), n, n);
    for (auto _ : state) {
        c.noalias() = a * b;
        benchmark::DoNotOptimize(s.c.get());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * n * n * n);
}
#endif

void square_sizes(benchmark::internal::Benchmark* b) {
    for (int64_t n : {8, 16, 32, 64, 128, 256, 512, 1024}) b->Arg(n);
}
void loop_sizes(benchmark::internal::Benchmark* b) {
    for (int64_t n : {8, 16, 32, 64, 128, 256}) b->Arg(n);
}

BENCHMARK(gemm_nabla<float>)->Name("gemm_f32/nabla")->Apply(square_sizes);
#if GEMM_OPENBLAS
BENCHMARK(gemm_openblas<float>)->Name("gemm_f32/openblas")->Apply(square_sizes);
#endif
#if GEMM_EIGEN
BENCHMARK(gemm_eigen<float>)->Name("gemm_f32/eigen")->Apply(square_sizes);
#endif
BENCHMARK(gemm_loop<float>)->Name("gemm_f32/loop")->Apply(loop_sizes);

BENCHMARK(gemm_nabla<double>)->Name("gemm_f64/nabla")->Arg(1024);
#if GEMM_OPENBLAS
BENCHMARK(gemm_openblas<double>)->Name("gemm_f64/openblas")->Arg(1024);
#endif
#if GEMM_EIGEN
BENCHMARK(gemm_eigen<double>)->Name("gemm_f64/eigen")->Arg(1024);
#endif

// ---- C = A B^T: B read through its transpose, as a linear layer does -------------------------------

void gemm_bt_nabla(benchmark::State& state) {
    square<float> s(state.range(0));
    const int64_t n = s.n;
    for (auto _ : state) {
        nabla::eval::gemm<float>(n, n, n, s.a.get(), n, 1, s.b.get(), 1, n, s.c.get(), n, 1);
        benchmark::DoNotOptimize(s.c.get());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * n * n * n);
}
BENCHMARK(gemm_bt_nabla)->Name("gemm_f32_bt/nabla")->Arg(8)->Arg(64)->Arg(1024);
#if GEMM_OPENBLAS
void gemm_bt_openblas(benchmark::State& state) {
    openblas_set_num_threads(1);
    square<float> s(state.range(0));
    const int n = static_cast<int>(s.n);
    for (auto _ : state) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, s.a.get(), n, s.b.get(), n, 0.0f,
                    s.c.get(), n);
        benchmark::DoNotOptimize(s.c.get());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * n * n * n);
}
BENCHMARK(gemm_bt_openblas)->Name("gemm_f32_bt/openblas")->Arg(8)->Arg(64)->Arg(1024);
#endif

// ---- gemv ----------------------------------------------------------------------------------------
// y = A x (mode 0) and y = Aᵀ x (mode 1: mv's gradient Aᵀ g), A m x k row-major. Arguments
// {m, k, mode}: the square 1024 of run 6 and the tall, narrow matrices of a regression
// (1000 rows, 10 to 150 features: ADBenchmark's regression at n = 1 ... 16384).

template <class T>
void gemv_nabla(benchmark::State& state) {
    const int64_t m = state.range(0), k = state.range(1);
    const bool t = state.range(2) != 0;
    auto a = random_buffer<T>(m * k, 1), x = random_buffer<T>(t ? m : k, 2), y = random_buffer<T>(t ? k : m, 3);
    for (auto _ : state) {
        if (t) nabla::eval::gemv<T>(k, m, a.get(), 1, k, x.get(), 1, y.get(), 1);
        else nabla::eval::gemv<T>(m, k, a.get(), k, 1, x.get(), 1, y.get(), 1);
        benchmark::DoNotOptimize(y.get());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * m * k);
}

#if GEMM_OPENBLAS
template <class T>
void gemv_openblas(benchmark::State& state) {
    openblas_set_num_threads(1);
    const int m = static_cast<int>(state.range(0)), k = static_cast<int>(state.range(1));
    const bool t = state.range(2) != 0;
    auto a = random_buffer<T>(int64_t{m} * k, 1), x = random_buffer<T>(t ? m : k, 2), y = random_buffer<T>(t ? k : m, 3);
    const auto trans = t ? CblasTrans : CblasNoTrans;
    for (auto _ : state) {
        if constexpr (std::is_same_v<T, float>) cblas_sgemv(CblasRowMajor, trans, m, k, 1.0f, a.get(), k, x.get(), 1, 0.0f, y.get(), 1);
        else cblas_dgemv(CblasRowMajor, trans, m, k, 1.0, a.get(), k, x.get(), 1, 0.0, y.get(), 1);
        benchmark::DoNotOptimize(y.get());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * m * k);
}
#endif

#if GEMM_EIGEN
template <class T>
void gemv_eigen(benchmark::State& state) {
    using vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
    const int64_t m = state.range(0), k = state.range(1);
    const bool t = state.range(2) != 0;
    auto a = random_buffer<T>(m * k, 1), x = random_buffer<T>(t ? m : k, 2), y = random_buffer<T>(t ? k : m, 3);
    Eigen::Map<const eigen_row_major<T>, Eigen::Aligned64> am(a.get(), m, k);
    Eigen::Map<const vector, Eigen::Aligned64> xm(x.get(), t ? m : k);
    Eigen::Map<vector, Eigen::Aligned64> ym(y.get(), t ? k : m);
    for (auto _ : state) {
        if (t) ym.noalias() = am.transpose() * xm;
        else ym.noalias() = am * xm;
        benchmark::DoNotOptimize(y.get());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * m * k);
}
#endif

void gemv_shapes(benchmark::internal::Benchmark* b) {
    for (int64_t mode : {0, 1}) {
        b->Args({1024, 1024, mode});
        for (int64_t k : {10, 50, 150}) b->Args({1000, k, mode});
    }
    b->ArgNames({"m", "k", "T"});
}
BENCHMARK(gemv_nabla<float>)->Name("gemv_f32/nabla")->Apply(gemv_shapes);
#if GEMM_OPENBLAS
BENCHMARK(gemv_openblas<float>)->Name("gemv_f32/openblas")->Apply(gemv_shapes);
#endif
#if GEMM_EIGEN
BENCHMARK(gemv_eigen<float>)->Name("gemv_f32/eigen")->Apply(gemv_shapes);
#endif
BENCHMARK(gemv_nabla<double>)->Name("gemv_f64/nabla")->Apply(gemv_shapes);
#if GEMM_OPENBLAS
BENCHMARK(gemv_openblas<double>)->Name("gemv_f64/openblas")->Apply(gemv_shapes);
#endif
#if GEMM_EIGEN
BENCHMARK(gemv_eigen<double>)->Name("gemv_f64/eigen")->Apply(gemv_shapes);
#endif

// ---- dot ------------------------------------------------------------------------------------------

void dot_nabla(benchmark::State& state) {
    const int64_t n = state.range(0);
    auto x = random_buffer<float>(n, 1), y = random_buffer<float>(n, 2);
    for (auto _ : state) benchmark::DoNotOptimize(nabla::eval::dot<float>(n, x.get(), 1, y.get(), 1));
    set_flops(state, 2.0 * n);
}
BENCHMARK(dot_nabla)->Name("dot_f32/nabla")->Arg(4096)->Arg(4 << 20);

#if GEMM_EIGEN
void dot_eigen(benchmark::State& state) {
    const int64_t n = state.range(0);
    auto x = random_buffer<float>(n, 1), y = random_buffer<float>(n, 2);
    Eigen::Map<const Eigen::VectorXf, Eigen::Aligned64> xm(x.get(), n), ym(y.get(), n);
    for (auto _ : state) benchmark::DoNotOptimize(xm.dot(ym));
    set_flops(state, 2.0 * n);
}
BENCHMARK(dot_eigen)->Name("dot_f32/eigen")->Arg(4096)->Arg(4 << 20);
#endif

#if GEMM_OPENBLAS
void dot_openblas(benchmark::State& state) {
    openblas_set_num_threads(1);
    const int n = static_cast<int>(state.range(0));
    auto x = random_buffer<float>(n, 1), y = random_buffer<float>(n, 2);
    for (auto _ : state) benchmark::DoNotOptimize(cblas_sdot(n, x.get(), 1, y.get(), 1));
    set_flops(state, 2.0 * n);
}
BENCHMARK(dot_openblas)->Name("dot_f32/openblas")->Arg(4096)->Arg(4 << 20);
#endif

}  // namespace

BENCHMARK_MAIN();
