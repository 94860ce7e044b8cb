// Storage blocks: the per-thread cache of small freed blocks (reuse, its bound, blocks crossing
// threads) and reference counts that stay exact once the process has several threads.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace nb = nabla;
using cache = nb::detail::block_cache;

TEST_CASE("a freed small tensor's block is reused by the next tensor of its size class") {
    const std::size_t before = cache::cached();
    const void* first = nullptr;
    {
        nb::tensor<float> a = nb::zeros<float>({16});
        first = a.storage().data();
        // a took one block, cached or new: a new tensor's layout lives in its data's block
        CHECK(cache::cached() == (before > 0 ? before - 1 : 0));
    }
    if (NABLA_SANITIZE_ADDRESS) {  // under ASan every block goes back to the allocator
        CHECK(cache::cached() == 0);
        return;
    }
    CHECK(cache::cached() >= 1);
    nb::tensor<float> b = nb::ones<float>({3, 5});  // 60 bytes: the same class as 64
    CHECK(b.storage().data() == first);
    CHECK(nb::equal(b, nb::ones<float>({3, 5})));
    // large blocks are never cached
    const std::size_t held = cache::cached();
    { nb::tensor<float> big = nb::zeros<float>({4096}); }
    CHECK(cache::cached() == held);
}

TEST_CASE("a thread caches at most `depth` blocks per size class") {
    std::size_t cached = 99;
    std::thread([&] {
        std::vector<nb::tensor<double>> v;
        for (int i = 0; i < 20; ++i) v.push_back(nb::full<double>({4}, static_cast<double>(i)));
        // (read through data(): a view such as v[i][3] would take a block of its own, its layout)
        for (int i = 0; i < 20; ++i) CHECK(v[static_cast<std::size_t>(i)].data()[3] == i);
        v.clear();
        cached = cache::cached();
    }).join();
    CHECK(cached == (NABLA_SANITIZE_ADDRESS ? 0 : cache::depth));
}

TEST_CASE("a container on cache_allocator takes its blocks from the thread's cache and gives them back") {
    // The static pass keeps its list of pending nodes in such a vector (autodiff/grad.hpp).
    std::size_t after_fill = 99, after_free = 99;
    std::thread([&] {
        {
            std::vector<std::int64_t, nb::detail::cache_allocator<std::int64_t>> v;
            for (std::int64_t i = 0; i < 100; ++i) v.push_back(i * i);  // grows through several classes
            std::int64_t sum = 0;
            for (auto x : v) sum += x;
            CHECK(sum == 328350);
            after_fill = cache::cached();  // the smaller buffers it outgrew
        }
        after_free = cache::cached();  // and its last one
    }).join();
    if (NABLA_SANITIZE_ADDRESS) {
        CHECK(after_fill == 0);
        CHECK(after_free == 0);
    } else {
        CHECK(after_fill >= 1);
        CHECK(after_free == after_fill + 1);
    }
    const std::vector<int, nb::detail::cache_allocator<int>> empty;
    CHECK(empty.get_allocator() == nb::detail::cache_allocator<int>{});
}

TEST_CASE("small tensors made on one thread are read and freed on another") {
    std::vector<nb::tensor<float>> made;
    std::thread([&] {
        for (int i = 0; i < 50; ++i) made.push_back(nb::arange(0.f, 8.f) * static_cast<float>(i));
    }).join();  // the maker's cache is gone; its blocks are plain allocations
    for (int i = 0; i < 50; ++i) {
        CHECK(made[static_cast<std::size_t>(i)].storage().use_count() == 1);
        CHECK(made[static_cast<std::size_t>(i)].sum().item() == doctest::Approx(28.0 * i));
    }
    made.clear();  // freed here: into this thread's cache, up to its bound, or back to the allocator
    nb::tensor<float> again = nb::arange(0.f, 8.f);
    CHECK(again.sum().item() == 28.f);
}

TEST_CASE("reference counts stay exact when threads copy one handle concurrently") {
    nb::tensor<float> shared = nb::ones<float>({16});
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&shared] {
            for (int i = 0; i < 20000; ++i) {
                nb::tensor<float> copy = shared;
                nb::tensor<float> view = copy[3];
                if (view.item() != 1.f) throw std::logic_error("wrong value through a shared handle");
            }
        });
    for (auto& t : ts) t.join();
    CHECK(shared.storage().use_count() == 1);
}

TEST_CASE("a view outlives the tensor whose storage block also holds that tensor's layout") {
    // A new tensor's layout (shape, strides) is made inside its storage block. When the tensor
    // goes first, the layout ends there and the block lives on for the view, then is freed by it.
    nb::tensor<float> v;
    {
        nb::tensor<float> a = nb::arange<float>(6);
        v = a.reshape({2, 3}).T();
        CHECK(a.storage().use_count() == 2);  // a's layout and v's
    }
    CHECK(v.storage().use_count() == 1);
    CHECK(v.shape() == nb::shape{3, 2});
    CHECK(v[2][1].item() == 5.f);
    CHECK(nb::equal(v.contiguous(), nb::tensor<float>{{0, 3}, {1, 4}, {2, 5}}));
    v = nb::tensor<float>();  // the last reference: the block goes back
    CHECK_FALSE(v.defined());
}

// ---- biased reference counts (core/refcount.hpp) ---------------------------------------------------

namespace {
using nb::detail::owner_registry;
using nb::detail::release_counter;

void wait_for(const std::atomic<int>& stage, int value) {
    while (stage.load() != value) std::this_thread::yield();
}
}  // namespace

TEST_CASE("a reference dropped on another thread goes back to the tensor's thread, which frees it") {
    nb::tensor<float> t = nb::ones<float>({4});
    nb::tensor<float> copy = t;  // made here: this thread counts it
    REQUIRE(t.use_count() == 2);
    std::int64_t worker_frees = -1;
    std::thread([c = std::move(copy), &worker_frees]() mutable {
        { nb::tensor<float> mine = std::move(c); }  // dropped here, counted there: sent back
        worker_frees = release_counter();
    }).join();
    CHECK(worker_frees == 0);
    CHECK(t.use_count() == 2);  // not applied yet: the owner applies it when it next allocates
    owner_registry::collect();
    CHECK(t.use_count() == 1);
    CHECK(nb::equal(t, nb::ones<float>({4})));  // that allocation collects too (nothing pending)
    const std::int64_t before = release_counter();
    t = nb::tensor<float>();
    CHECK(release_counter() == before + 1);
}

TEST_CASE("the owner's last reference goes while another thread holds one: the count moves to that thread") {
    nb::tensor<float> t = nb::full<float>({3}, 2.f);
    std::atomic<int> stage{0};
    std::int64_t worker_frees = -1;
    float seen = 0;
    std::thread w([&] {
        nb::tensor<float> mine = t;  // counted by this thread (not the owner)
        stage = 1;
        wait_for(stage, 2);
        seen = mine.sum().item();
        const std::int64_t before = release_counter();
        mine = nb::tensor<float>();  // the last reference to the layout, which this thread frees
        worker_frees = release_counter() - before;
    });
    wait_for(stage, 1);
    const std::int64_t before = release_counter();
    t = nb::tensor<float>();  // the owner's only reference: the layout's count merges, nothing is freed
    CHECK(release_counter() == before);
    stage = 2;
    w.join();
    CHECK(seen == 6.f);
    // The layout's own reference to the storage block was counted by this thread: the worker sent
    // it back, and the block is freed here, at the next collection.
    CHECK(worker_frees == 0);
    owner_registry::collect();
    CHECK(release_counter() == before + 1);
}

TEST_CASE("a tensor whose thread has exited is freed by the thread that drops it last") {
    nb::tensor<float> a, b;
    std::thread([&] {
        a = nb::arange<float>(100);  // made and counted by this thread, which then exits
        b = a;
    }).join();
    CHECK(a.use_count() == 2);
    const std::int64_t before = release_counter();
    a = nb::tensor<float>();  // the owner is gone: this thread adopts the count
    CHECK(release_counter() == before);
    CHECK(b.use_count() == 1);
    CHECK(b.sum().item() == 4950.f);
    const std::int64_t last = release_counter();
    b = nb::tensor<float>();
    CHECK(release_counter() == last + 1);
}

TEST_CASE("handles copied by their owner and dropped by other threads, concurrently, keep an exact count") {
    nb::tensor<float> t = nb::arange<float>(32);
    std::mutex m;
    std::deque<nb::tensor<float>> queue;
    std::atomic<bool> done{false};
    std::atomic<long> dropped{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 3; ++w)
        workers.emplace_back([&] {
            for (;;) {
                nb::tensor<float> h;
                {
                    std::lock_guard<std::mutex> g(m);
                    if (!queue.empty()) {
                        h = std::move(queue.front());
                        queue.pop_front();
                    }
                }
                if (h.defined()) {
                    nb::tensor<float> again = h;  // a copy counted by this thread, then both dropped
                    if (again[31].item() != 31.f) throw std::logic_error("wrong value through a shared handle");
                    ++dropped;
                } else if (done) {
                    return;
                } else {
                    std::this_thread::yield();
                }
            }
        });
    constexpr long copies = 20000;
    for (long i = 0; i < copies; ++i) {
        nb::tensor<float> h = t;  // counted here, the owner
        {
            std::lock_guard<std::mutex> g(m);
            queue.push_back(std::move(h));
        }
        if (i % 64 == 0) owner_registry::collect();  // applies what the workers sent back so far
    }
    done = true;
    for (auto& w : workers) w.join();
    CHECK(dropped.load() == copies);
    owner_registry::collect();
    CHECK(t.use_count() == 1);
    CHECK(t.storage().use_count() == 1);
    const std::int64_t before = release_counter();
    t = nb::tensor<float>();
    CHECK(release_counter() == before + 1);
}
