// Placeholder so that bench/ always builds: an empty loop, timed by Google Benchmark.
// Real kernel benchmarks live beside it, one file per kernel family.
#include <benchmark/benchmark.h>

static void bench_smoke_empty_loop(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(state.iterations());
    }
}
BENCHMARK(bench_smoke_empty_loop);

BENCHMARK_MAIN();
