// Linear regression from scratch (d2l.ai, chapter 3.2) in nabla: synthetic data, minibatches,
// a linear model, squared loss and minibatch SGD driven by the autograd tape.
// Exits with status 1 unless the true parameters are recovered within 1%, so it is a test too.
#include <nabla/nabla.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <random>
#include <vector>

namespace nb = nabla;

// y = X w + b + noise, with X ~ N(0, 1) and noise ~ N(0, 0.01).
auto synthetic_data(const nb::tensor<float>& w, float b, std::int64_t num_examples) {
    auto X = nb::normal<float>(0, 1, {num_examples, nb::len(w)});
    nb::tensor<float> y = nb::mv(X, w) + b + nb::normal<float>(0, 0.01, {num_examples});
    return std::pair{X, y};
}

// The rows `rows` of t, copied into a new tensor (PyTorch's `t[indices]`).
nb::tensor<float> gather_rows(const nb::tensor<float>& t, const std::vector<std::int64_t>& rows) {
    auto s = t.shape();
    s[0] = static_cast<std::int64_t>(rows.size());
    auto out = nb::empty<float>(s);
    std::int64_t i = 0;
    for (auto r : rows) out[i++] = t[r];
    return out;
}

// Calls f(X_batch, y_batch) on shuffled minibatches covering the data set once.
template <class F>
void for_each_batch(std::int64_t batch_size, const nb::tensor<float>& features, const nb::tensor<float>& labels,
                    std::mt19937& rng, F&& f) {
    const std::int64_t n = nb::len(features);
    std::vector<std::int64_t> indices(static_cast<std::size_t>(n));
    std::iota(indices.begin(), indices.end(), 0);
    std::shuffle(indices.begin(), indices.end(), rng);
    for (std::int64_t i = 0; i < n; i += batch_size) {
        std::vector<std::int64_t> batch(indices.begin() + i, indices.begin() + std::min(i + batch_size, n));
        f(gather_rows(features, batch), gather_rows(labels, batch));
    }
}

auto linreg(const nb::tensor<float>& X, const nb::tensor<float>& w, const nb::tensor<float>& b) {
    return nb::mv(X, w) + b;
}

auto squared_loss(const auto& y_hat, const nb::tensor<float>& y) {
    return nb::square(y_hat - y) / 2;
}

// Minibatch stochastic gradient descent: a step against the gradient, outside the tape.
void sgd(std::initializer_list<nb::tensor<float>*> params, float lr, std::int64_t batch_size) {
    nb::no_grad_guard no_grad;
    for (auto* p : params) {
        *p -= lr * p->grad() / batch_size;
        p->grad().zero_();
    }
}

int main() {
    nb::manual_seed(42);
    const nb::tensor<float> true_w{2.0f, -3.4f};
    const float true_b = 4.2f;
    const auto [features, labels] = synthetic_data(true_w, true_b, 1000);

    auto w = nb::normal<float>(0, 0.01, {2}, nb::requires_grad);
    auto b = nb::zeros<float>({1}, nb::requires_grad);

    const float lr = 0.03f;
    const int num_epochs = 3;
    const std::int64_t batch_size = 10;
    std::mt19937 rng(42);
    for (int epoch = 0; epoch < num_epochs; ++epoch) {
        for_each_batch(batch_size, features, labels, rng, [&](const auto& X, const auto& y) {
            squared_loss(linreg(X, w, b), y).sum().backward();  // loss of the minibatch
            sgd({&w, &b}, lr, batch_size);
        });
        nb::no_grad_guard no_grad;
        const auto train_l = squared_loss(linreg(features, w, b), labels).mean();
        std::printf("epoch %d, loss %f\n", epoch + 1, train_l.item());
    }

    std::cout << "w: " << w.detach() << ", error " << true_w - w.detach() << '\n';
    std::cout << "b: " << b.detach() << ", error " << true_b - b.detach() << '\n';
    const float w_rel = (nb::abs(true_w - w.detach()) / nb::abs(true_w)).max().item();
    const float b_rel = std::abs(true_b - b.item()) / true_b;
    const bool ok = w_rel < 0.01f && b_rel < 0.01f;
    std::printf("relative error: w %.2e, b %.2e (%s)\n", w_rel, b_rel, ok ? "recovered within 1%" : "NOT recovered");
    return ok ? 0 : 1;
}
