// A long training loop must not leak: a million steps of a tiny model (forward, backward, SGD update
// under no_grad_guard, grad().zero_()) keep the resident set flat and allocate the same number of
// storages every step. Graphs are owned by the tensors they produced, so each step's graph dies
// with its loss; the thread's tape arena reuses its blocks and never grows in a steady loop.
#include <doctest/doctest.h>
#include <nabla/nabla.hpp>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <unistd.h>
#endif

namespace nb = nabla;

namespace {

// Under AddressSanitizer freed blocks sit in a quarantine (the resident set grows by design) and
// every step is several times slower: there the run is shortened and the RSS check left to LeakSanitizer.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool under_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool under_sanitizer = true;
#else
constexpr bool under_sanitizer = false;
#endif
#else
constexpr bool under_sanitizer = false;
#endif

// Resident set size in bytes from /proc/self/statm (second field, in pages); -1 where unavailable.
std::int64_t resident_bytes() {
#if defined(__linux__)
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f) return -1;
    long long size = 0, resident = 0;
    const int n = std::fscanf(f, "%lld %lld", &size, &resident);
    std::fclose(f);
    if (n != 2) return -1;
    return static_cast<std::int64_t>(resident) * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
#else
    return -1;
#endif
}

// The tiny model: w of 4 doubles fitted to y = x . (1, -2, 3, 0.5) on a cycle of 8 fixed inputs.
struct tiny_model {
    nb::tensor<double> w = nb::zeros<double>({4}, nb::requires_grad);
    std::vector<nb::tensor<double>> xs;
    std::vector<nb::tensor<double>> ys;
    std::int64_t steps = 0;

    tiny_model() {
        const nb::tensor<double> truth{1.0, -2.0, 3.0, 0.5};
        for (int i = 0; i < 8; ++i) {
            nb::tensor<double> x{0.1 * i, 1.0 - 0.1 * i, (i % 3) * 0.5, i % 2 ? 1.0 : -1.0};
            ys.push_back(nb::dot(x, truth));
            xs.push_back(x);
        }
    }

    // One step: loss = ((x * w).sum() - y)^2, backward, w -= lr * grad, grad = 0. Returns the loss.
    double step() {
        const auto& x = xs[static_cast<std::size_t>(steps % 8)];
        const auto& y = ys[static_cast<std::size_t>(steps % 8)];
        ++steps;
        nb::tensor<double> loss = nb::square((x * w).sum() - y);
        loss.backward();
        {
            nb::no_grad_guard g;
            w -= 0.05 * w.grad();
        }
        w.grad().zero_();
        return loss.item();
    }

    // Runs n steps; returns the storages allocated in the last `tail` of them, per step.
    double run(std::int64_t n, std::int64_t tail) {
        for (std::int64_t i = 0; i < n - tail; ++i) step();
        const std::int64_t before = nb::detail::allocation_counter();
        for (std::int64_t i = 0; i < tail; ++i) step();
        return static_cast<double>(nb::detail::allocation_counter() - before) / static_cast<double>(tail);
    }
};

}  // namespace

TEST_CASE("autograd memory: a million training steps keep the process flat") {
    // 10^6 steps take about 2.5 s of CPU at -O2 (5 storages allocated and freed per step).
    constexpr std::int64_t warmup = 10'000, total = under_sanitizer ? 200'000 : 1'000'000;
    tiny_model m;

    // Every step allocates the same number of storages, counted over blocks of steps.
    const double per_step_early = m.run(warmup, 1'000);
    const std::int64_t rss_early = resident_bytes();
    const double per_step_late = m.run(total - warmup, 1'000);
    const std::int64_t rss_late = resident_bytes();

    CHECK(per_step_early > 0);
    CHECK(per_step_early == per_step_late);
    CHECK(per_step_early == static_cast<double>(static_cast<std::int64_t>(per_step_early)));  // a whole number

    // Each step's storages are freed again: a single step allocates a fixed count, and the storages
    // alive before a step (w, its grad, the data) are the ones alive after it.
    const std::int64_t a0 = nb::detail::allocation_counter();
    m.step();
    const std::int64_t one = nb::detail::allocation_counter() - a0;
    CHECK(static_cast<double>(one) == per_step_late);

    if (rss_early > 0 && !under_sanitizer) {
        INFO("resident set after ", warmup, " steps: ", rss_early, " bytes; after ", total, " steps: ", rss_late,
                " bytes; storages per step: ", per_step_late);
        CHECK(rss_late - rss_early < (1 << 20));
    }

    // The model learnt: the last losses are tiny and w is the truth.
    CHECK(m.step() < 1e-20);
    CHECK(nb::allclose(m.w, nb::tensor<double>{1.0, -2.0, 3.0, 0.5}));
    CHECK(m.w.requires_grad());
    CHECK(m.w.is_leaf());
}

TEST_CASE("autograd memory: a graph lives exactly as long as something can reach it") {
    // Build many graphs that are never backpropagated and drop them: each step allocates the same,
    // and the resident set stays flat (no graph is kept by a thread-local tape).
    auto w = nb::ones<float>({16}, nb::requires_grad);
    auto x = nb::arange<float>(16);
    auto build = [&] {
        nb::tensor<float> h = nb::tanh(x * w);
        nb::tensor<float> s = (h * h).sum() + h.amax();
        return s.item();
    };
    for (int i = 0; i < 1'000; ++i) build();
    const std::int64_t rss0 = resident_bytes();
    const std::int64_t a0 = nb::detail::allocation_counter();
    for (int i = 0; i < 1'000; ++i) build();
    const std::int64_t per_1000 = nb::detail::allocation_counter() - a0;
    for (int i = 0; i < 100'000; ++i) build();
    const std::int64_t a1 = nb::detail::allocation_counter();
    for (int i = 0; i < 1'000; ++i) build();
    CHECK(nb::detail::allocation_counter() - a1 == per_1000);
    if (rss0 > 0 && !under_sanitizer) CHECK(resident_bytes() - rss0 < (1 << 20));
    CHECK_FALSE(w.grad().defined());  // nothing ran backward

    // A graph kept alive by its output keeps its saved tensors; backward then releases them.
    nb::tensor<float> kept = (nb::exp(x * w) * w).sum();
    kept.backward();
    CHECK(w.grad().defined());
    CHECK_THROWS_AS(kept.backward(), nb::autograd_error);
}

TEST_CASE("autograd memory: the tape is the thread's own arena, reused every step") {
    nb::autodiff::tape_arena* arena = nb::autodiff::tape_arena::local();
    REQUIRE(arena != nullptr);
    auto w = nb::ones<float>({8}, nb::requires_grad);
    const std::size_t base = arena->live_blocks();
    {
        // One node per evaluated expression, however long: the node and its output's autograd slot.
        nb::tensor<float> y = nb::exp(w) * w + w;
        CHECK(arena->live_blocks() == base + 2);
        nb::tensor<float> s = (y * y).sum();
        CHECK(arena->live_blocks() == base + 4);
        s.backward();
        // The pending gradients of the pass are gone again; w.grad() is the one new block.
        CHECK(arena->live_blocks() == base + 5);
        // d/dw sum((e^w w + w)^2) = 2 (e^w w + w)(e^w w + e^w + 1) = 2 (e + 1)(2e + 1) at w = 1
        for (int i = 0; i < 8; ++i) CHECK(w.grad()[i].item() == doctest::Approx(2.0 * (std::exp(1.0) + 1.0) * (2.0 * std::exp(1.0) + 1.0)));
    }
    CHECK(arena->live_blocks() == base + 1);
    // A training loop runs in the chunks it already has: no new memory for its graphs.
    const std::size_t chunks = arena->chunks();
    for (int i = 0; i < 10'000; ++i) {
        nb::tensor<float> y = nb::tanh(w * 0.5f);
        nb::tensor<float> s = (y * y + nb::exp(y)).sum();
        s.backward();
        w.grad().zero_();
    }
    CHECK(arena->chunks() == chunks);
    CHECK(arena->live_blocks() == base + 1);
}

TEST_CASE("autograd memory: graphs crossing threads go back to the arena that made them") {
    auto w = nb::full<double>({4}, 0.5, nb::requires_grad);
    const std::size_t arenas = nb::autodiff::tape_arena::arenas_alive();

    // Built on a thread that then exits: its arena lives on while the graph does.
    nb::tensor<double> s;
    std::thread maker([&] { s = (nb::exp(w) * w).sum(); });
    maker.join();
    CHECK(nb::autodiff::tape_arena::arenas_alive() == arenas + 1);
    s.backward();  // on this thread
    const double e = std::exp(0.5);
    for (int i = 0; i < 4; ++i) CHECK(w.grad()[i].item() == doctest::Approx(e * 1.5));
    s = nb::tensor<double>();
    CHECK(nb::autodiff::tape_arena::arenas_alive() == arenas);

    // Built here, dropped on another thread: the blocks come back through the return stack and
    // are reused, so ping-ponging graphs does not grow this thread's arena.
    nb::autodiff::tape_arena* arena = nb::autodiff::tape_arena::local();
    const std::size_t live = arena->live_blocks();
    std::size_t chunks = 0;
    for (int i = 0; i < 2'000; ++i) {
        if (i == 1'000) chunks = arena->chunks();
        nb::tensor<double> g = nb::tanh(w * w) + w;
        std::thread dropper([t = std::move(g)]() mutable { t = nb::tensor<double>(); });
        dropper.join();
    }
    CHECK(arena->chunks() == chunks);
    nb::tensor<double> probe = w * 2.0;  // the next allocation reclaims the returned blocks
    CHECK(arena->live_blocks() == live + 2);
}

TEST_CASE("autograd memory: a tensor's autograd slot is counted exactly across threads, and freed once") {
    // The slot is counted like storage (biased towards the thread that made it): copies made on
    // other threads count atomically, and copies the owner made but a worker drops go back to the
    // owner. Three workers copy and drop a leaf's handles while the owner copies more for them.
    auto w = nb::full<float>({4}, 1.f, nb::requires_grad);
    std::vector<nb::tensor<float>> handed(3000, w);  // counted here, dropped by the workers
    REQUIRE(w.autograd().use_count() == 3001);
    std::atomic<int> wrong{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 3; ++t)
        workers.emplace_back([&, t] {
            for (int i = t; i < 3000; i += 3) {
                nb::tensor<float> mine = std::move(handed[static_cast<std::size_t>(i)]);
                nb::tensor<float> again = mine;  // counted by this thread
                if (!again.requires_grad() || again.autograd().get() != w.autograd().get()) ++wrong;
            }
        });
    for (int i = 0; i < 20000; ++i) {
        nb::tensor<float> c = w;  // the owner's own copies, meanwhile
        if (!c.requires_grad()) ++wrong;
    }
    for (auto& t : workers) t.join();
    CHECK(wrong == 0);
    nb::detail::owner_registry::collect();  // the references the workers sent back
    CHECK(w.autograd().use_count() == 1);
    CHECK(w.requires_grad());

    // A recorded result's slot lives in the arena of the thread that recorded it; dropped on
    // another thread after that one exited, it is freed there (ASan checks the once).
    nb::tensor<float> y;
    std::thread([&] { y = (w * 3.f).sum(); }).join();
    nb::tensor<float> y2 = y;
    CHECK(y.autograd().use_count() == 2);
    CHECK(y.grad_fn_name() == "SumBackward0");
    y2.backward();
    CHECK(nb::equal(w.grad(), nb::full<float>({4}, 3.f)));
    y = nb::tensor<float>();
    CHECK(y2.autograd().use_count() == 1);
}
