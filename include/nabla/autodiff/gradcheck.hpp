#pragma once
/// \file gradcheck.hpp
/// `nabla::gradcheck(f, x, y, ...)`: compares the gradients the tape computes for `f` with
/// central finite differences, in double precision, element by element of every output and input
/// (as `torch.autograd.gradcheck`).

#include <cmath>
#include <cstdint>
#include <tuple>
#include <vector>

#include "../core/autograd.hpp"
#include "../factories.hpp"
#include "../tensor.hpp"
#include "backward.hpp"

namespace nabla {

/// Tolerances of `gradcheck`: an analytical value a passes against a numerical one n when
/// |a - n| <= atol + rtol * |n|.
struct gradcheck_options {
    double eps = 1e-6;
    double atol = 1e-5;
    double rtol = 1e-3;
};

/// True when the tape's gradients of `f(inputs...)` match central differences. `f` takes
/// `tensor<double>`s and returns a tensor or an expression of doubles; the inputs are copied, so
/// the caller's tensors are left untouched.
template <class F, class... Ts>
bool gradcheck(F&& f, const gradcheck_options& opt, const tensor<Ts>&... inputs) {
    static_assert((std::is_same_v<Ts, double> && ...),
                  "nabla::gradcheck(f, inputs...) needs tensor<double> inputs: finite differences in float are too coarse to judge a gradient");
    std::tuple<tensor<Ts>...> xs{inputs.clone().detach()...};
    std::apply([](auto&... x) { (x.requires_grad_(true), ...); }, xs);
    auto run = [&] { return std::apply([&](const auto&... x) { return tensor<double>(f(x...)); }, xs); };
    const tensor<double> y0 = run();
    const std::int64_t n_out = y0.numel();

    bool ok = true;
    std::size_t input_index = 0;
    auto check_input = [&](tensor<double>& x) {
        const std::int64_t n_in = x.numel();
        // Numerical Jacobian column by column: perturb one element of x.
        std::vector<double> numerical(static_cast<std::size_t>(n_in * n_out));
        {
            no_grad_guard g;
            tensor<double> flat = x.reshape({-1});
            for (std::int64_t i = 0; i < n_in; ++i) {
                const double v = flat[i].item();
                flat[i] = v + opt.eps;
                const tensor<double> yp = run().contiguous();
                flat[i] = v - opt.eps;
                const tensor<double> ym = run().contiguous();
                flat[i] = v;
                for (std::int64_t j = 0; j < n_out; ++j)
                    numerical[static_cast<std::size_t>(j * n_in + i)] = (yp.data()[j] - ym.data()[j]) / (2 * opt.eps);
            }
        }
        // Analytical Jacobian row by row: backward of each output element.
        for (std::int64_t j = 0; j < n_out && ok; ++j) {
            std::apply([](auto&... xi) { (xi.autograd()->grad.reset(), ...); }, xs);
            const tensor<double> y = run();
            tensor<double> seed = zeros<double>(y.shape());
            seed.reshape({-1})[j] = 1.0;
            if (!y.requires_grad()) {
                for (std::int64_t i = 0; i < n_in; ++i)
                    ok = ok && std::fabs(numerical[static_cast<std::size_t>(j * n_in + i)]) <= opt.atol;
                continue;
            }
            autodiff::run_backward(y, seed, false);
            const tensor<double> g = x.grad();
            for (std::int64_t i = 0; i < n_in && ok; ++i) {
                const double a = g.defined() ? g.reshape({-1})[i].item() : 0.0;
                const double n = numerical[static_cast<std::size_t>(j * n_in + i)];
                ok = std::fabs(a - n) <= opt.atol + opt.rtol * std::fabs(n);
            }
        }
        ++input_index;
    };
    std::apply([&](auto&... x) { (check_input(x), ...); }, xs);
    return ok;
}

/// `gradcheck` with the default tolerances.
template <class F, class... Ts>
bool gradcheck(F&& f, const tensor<Ts>&... inputs) {
    return gradcheck(std::forward<F>(f), gradcheck_options{}, inputs...);
}

}  // namespace nabla
