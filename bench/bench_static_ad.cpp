// Static reverse mode (`nb::value_and_grad(f)`, no tape) on the ADBenchmark function set that
// FastAD publishes (github.com/JamesYang007/ADBenchmark, benchmark/functor/*.hpp), in double, one
// thread, beside the function alone, nabla's tape and LibTorch's autograd, in one binary.
//
// Rows, for every function and size n = 1, 4, 16, 64, 256, 1024, 4096, 16384:
//   <fn>/f        the function alone: `nb::tensor<double> v = f(x...)` on plain tensors
//   <fn>/static   `auto [v, g] = nb::value_and_grad(f)(x...)` (the value is included, as FastAD times it)
//   <fn>/tape     the same generic f on tensors that require grad: zero the grads, evaluate, backward()
//   <fn>/torch    LibTorch: the same formula on tensors that require grad, zero the grads, backward()
//
// The functions (n is ADBenchmark's input size; what it becomes is written beside each):
//   sum             sum(x)                                            x: [n]
//   prod            prod(x), x in [0.99, 1.01] so it stays near 1     x: [n]
//   log_sum_exp     log(sum(exp(x)))                                  x: [n]
//   normal_log_pdf  sum(-((x - mu) / sigma)^2 / 2 - log(sigma) - log(2 pi) / 2), gradient for x, mu
//                   and sigma (0-d): the brief's version; ADBenchmark's holds mu, sigma constant,
//   normal_log_pdf_x  ...which is this row (mu = -0.56, sigma = 1.37 constants, gradient for x)
//   matrix_product  sum(A B), A, B: [s, s] with s = max(1, floor(sqrt(n / 2))) (2 s^2 ~ n, ADBenchmark's)
//   regression      ADBenchmark's: p = 10 (log2 n + 1) features, X: [1000, p], y: [1000] data;
//                   parameters w: [p], b, sigma (0-d):
//                     f = -sum((y - X w - b)^2) / (2 sigma^2) - 1000 log(sigma)
//                         - sum(w^2) / 2 - b^2 / 2 - log(10 - 0.1)
//                   (normal(y | X w + b, sigma) + normal(w | 0, 1) + normal(b | 0, 1) + uniform(sigma | 0.1, 10))
//   stoch_vol       ADBenchmark's stochastic volatility with T = max(2, n / 2) steps; parameters
//                   h_std: [T], phi, sigma, mu (0-d); data y: [T]:
//                     h_0 = mu + sigma h_std_0 / sqrt(1 - phi^2),  h_t = mu + phi (h_{t-1} - mu) + sigma h_std_t
//                     f = sum(normal(y_t | 0, exp(h_t / 2))) + sum(normal(h_std_t | 0, 1))
//                         + cauchy(sigma | 0, 5) + cauchy(mu | 0, 10) + uniform(phi | -1, 1)
//                   nabla has no sequential loop over elements, so the AR(1) recurrence is written in
//                   closed form, h - mu = phi^t * cumsum(e_t * phi^-t) with e the innovations: O(T) and
//                   exact in real arithmetic, but phi^-T must not overflow, so phi = 0.95 (realistic
//                   for the model; ADBenchmark draws phi uniformly in [-1, 1]). The tape and LibTorch
//                   compute the same closed form. Normal densities are written without their constant
//                   -log(2 pi)/2 terms, as ADBenchmark writes them.
//
// Every gradient row is checked after timing, against the analytical gradient (every function but
// stoch_vol, whose reference is LibTorch's gradient): the counter grad_err is the normwise relative
// error max|g - ref| / max|ref| (worst argument), and the label WRONG GRADIENT marks grad_err > 1e-10.
// A wrong row is still timed, so that the cost of the pass is known while the bug is open.
//
// Build by hand:
//   g++ -std=c++20 -O3 -march=native -DNDEBUG -I include -isystem /usr/include/torch/csrc/api/include
//       bench/bench_static_ad.cpp -o bench_sad -lbenchmark -lpthread -ltorch -ltorch_cpu -lc10
//   taskset -c 1 ./bench_sad --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numbers>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nabla/nabla.hpp>

#if defined(NABLA_BENCH_HAVE_TORCH)
#define SAD_TORCH NABLA_BENCH_HAVE_TORCH
#elif __has_include(<torch/torch.h>)
#define SAD_TORCH 1
#else
#define SAD_TORCH 0
#endif

#if SAD_TORCH
#include <torch/torch.h>
#endif

namespace nb = nabla;

namespace {

using tensor = nb::tensor<double>;

// ---- inputs --------------------------------------------------------------------------------------
tensor uniform(const nb::shape& s, double lo, double hi, std::uint64_t seed) {
    std::mt19937_64 gen(seed);
    tensor t = nb::empty<double>(s);
    for (std::int64_t i = 0; i < t.numel(); ++i) t.data()[i] = lo + (hi - lo) * static_cast<double>(gen() >> 11) * 0x1.0p-53;
    return t;
}
tensor scalar(double v) { return tensor(v); }

// ---- the functions -------------------------------------------------------------------------------
// Each problem holds its arguments (`args`, differentiated), its constant data, the generic
// function `f` (called with var<> arguments by grad, with tensors otherwise) and LibTorch's.

struct sum_problem {
    static constexpr const char* name = "sum";
    std::tuple<tensor> args;
    explicit sum_problem(std::int64_t n) : args{uniform({n}, -1, 1, 1)} {}
    auto f() const {
        return [](auto x) { return x.sum(); };
    }
    std::vector<tensor> reference() const { return {nb::ones_like(std::get<0>(args))}; }
#if SAD_TORCH
    static torch::Tensor torch_f(const std::vector<torch::Tensor>& a) { return a[0].sum(); }
#endif
};

struct prod_problem {
    static constexpr const char* name = "prod";
    std::tuple<tensor> args;
    explicit prod_problem(std::int64_t n) : args{uniform({n}, 0.99, 1.01, 2)} {}
    auto f() const {
        return [](auto x) { return x.prod(); };
    }
    std::vector<tensor> reference() const {  // prod_{j != i} x_j, without dividing
        const tensor& x = std::get<0>(args);
        const std::int64_t n = x.numel();
        tensor g = nb::empty<double>({n});
        long double left = 1;
        for (std::int64_t i = 0; i < n; ++i) {
            g.data()[i] = static_cast<double>(left);
            left *= x.data()[i];
        }
        long double right = 1;
        for (std::int64_t i = n - 1; i >= 0; --i) {
            g.data()[i] = static_cast<double>(g.data()[i] * right);
            right *= x.data()[i];
        }
        return {g};
    }
#if SAD_TORCH
    static torch::Tensor torch_f(const std::vector<torch::Tensor>& a) { return a[0].prod(); }
#endif
};

struct lse_problem {
    static constexpr const char* name = "log_sum_exp";
    std::tuple<tensor> args;
    explicit lse_problem(std::int64_t n) : args{uniform({n}, -1, 1, 3)} {}
    auto f() const {
        return [](auto x) { return nb::log(nb::exp(x).sum()); };
    }
    std::vector<tensor> reference() const {
        const tensor& x = std::get<0>(args);
        tensor g = nb::empty<double>(x.shape());
        double total = 0;
        for (std::int64_t i = 0; i < x.numel(); ++i) total += std::exp(x.data()[i]);
        for (std::int64_t i = 0; i < x.numel(); ++i) g.data()[i] = std::exp(x.data()[i]) / total;
        return {g};
    }
#if SAD_TORCH
    static torch::Tensor torch_f(const std::vector<torch::Tensor>& a) { return torch::log(torch::exp(a[0]).sum()); }
#endif
};

constexpr double half_log_2pi = 0.91893853320467274178;  // log(2 pi) / 2

struct normal_problem {
    static constexpr const char* name = "normal_log_pdf";
    std::tuple<tensor, tensor, tensor> args;
    explicit normal_problem(std::int64_t n) : args{uniform({n}, -1, 1, 4), scalar(-0.56), scalar(1.37)} {}
    auto f() const {
        return [](auto x, auto mu, auto sigma) {
            return (-0.5 * nb::square((x - mu) / sigma) - nb::log(sigma) - half_log_2pi).sum();
        };
    }
    std::vector<tensor> reference() const {
        // dx = -z / sigma, dmu = sum z / sigma, dsigma = sum (z^2 - 1) / sigma with z = (x - mu) / sigma
        const auto& [x, mu_t, sigma_t] = args;
        const double mu = mu_t.item(), sigma = sigma_t.item();
        tensor gx = nb::empty<double>(x.shape());
        double gmu = 0, gsigma = 0;
        for (std::int64_t i = 0; i < x.numel(); ++i) {
            const double z = (x.data()[i] - mu) / sigma;
            gx.data()[i] = -z / sigma;
            gmu += z / sigma;
            gsigma += (z * z - 1) / sigma;
        }
        return {gx, scalar(gmu), scalar(gsigma)};
    }
#if SAD_TORCH
    static torch::Tensor torch_f(const std::vector<torch::Tensor>& a) {
        return (-0.5 * torch::square((a[0] - a[1]) / a[2]) - torch::log(a[2]) - half_log_2pi).sum();
    }
#endif
};

// ADBenchmark's normal_log_pdf: mu and sigma are constants.
struct normal_x_problem {
    static constexpr const char* name = "normal_log_pdf_x";
    static constexpr double mu = -0.56, sigma = 1.37;
    std::tuple<tensor> args;
    explicit normal_x_problem(std::int64_t n) : args{uniform({n}, -1, 1, 4)} {}
    auto f() const {
        return [](auto x) {
            const double c = std::log(sigma) + half_log_2pi;
            return (-0.5 * nb::square((x - mu) / sigma) - c).sum();
        };
    }
    std::vector<tensor> reference() const {
        const tensor& x = std::get<0>(args);
        tensor g = nb::empty<double>(x.shape());
        for (std::int64_t i = 0; i < x.numel(); ++i) g.data()[i] = (mu - x.data()[i]) / (sigma * sigma);
        return {g};
    }
#if SAD_TORCH
    static torch::Tensor torch_f(const std::vector<torch::Tensor>& a) {
        return (-0.5 * torch::square((a[0] - mu) / sigma) - (std::log(sigma) + half_log_2pi)).sum();
    }
#endif
};

std::int64_t matrix_side(std::int64_t n) { return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::sqrt(n / 2.0))); }

struct matrix_problem {
    static constexpr const char* name = "matrix_product";
    std::tuple<tensor, tensor> args;
    explicit matrix_problem(std::int64_t n)
        : args{uniform({matrix_side(n), matrix_side(n)}, -1, 1, 5), uniform({matrix_side(n), matrix_side(n)}, -1, 1, 6)} {}
    auto f() const {
        return [](auto A, auto B) { return nb::mm(A, B).sum(); };
    }
    std::vector<tensor> reference() const {
        // d sum(A B) / dA_ik = sum_j B_kj, d / dB_kj = sum_i A_ik
        const auto& [A, B] = args;
        return {tensor(B.sum(1).reshape({1, -1}) + nb::zeros_like(A)), tensor(A.sum(0).reshape({-1, 1}) + nb::zeros_like(B))};
    }
#if SAD_TORCH
    static torch::Tensor torch_f(const std::vector<torch::Tensor>& a) { return torch::mm(a[0], a[1]).sum(); }
#endif
};

std::int64_t regression_features(std::int64_t n) {
    return 10 * (static_cast<std::int64_t>(std::log2(static_cast<double>(n))) + 1);
}
constexpr std::int64_t regression_rows = 1000;

struct regression_problem {
    static constexpr const char* name = "regression";
    std::tuple<tensor, tensor, tensor> args;  // w, b, sigma
    tensor X, y;
    explicit regression_problem(std::int64_t n)
        : args{uniform({regression_features(n)}, -1, 1, 7), scalar(0.3), scalar(0.8)},
          X(uniform({regression_rows, regression_features(n)}, -1, 1, 8)),
          y(uniform({regression_rows}, -1, 1, 9)) {}
    auto f() const {
        return [this](auto w, auto b, auto sigma) {
            const auto sq = nb::square(y - nb::mv(X, w) - b).sum();
            // the scalar terms end in .sum(): grad needs a result whose type says "one element"
            return (-0.5 * sq / nb::square(sigma) - static_cast<double>(regression_rows) * nb::log(sigma) -
                    0.5 * nb::square(b) - std::log(10. - 0.1))
                       .sum() -
                   0.5 * nb::square(w).sum();
        };
    }
    std::vector<tensor> reference() const {
        // r = y - X w - b: dw = X^T r / sigma^2 - w, db = sum r / sigma^2 - b, dsigma = sum r^2 / sigma^3 - rows / sigma
        const auto& [w, b_t, sigma_t] = args;
        const double b = b_t.item(), sigma = sigma_t.item();
        const std::int64_t p = w.numel();
        tensor gw = nb::empty<double>({p});
        std::vector<double> r(regression_rows);
        double rsum = 0, rsq = 0;
        for (std::int64_t i = 0; i < regression_rows; ++i) {
            double xw = 0;
            for (std::int64_t j = 0; j < p; ++j) xw += X.data()[i * p + j] * w.data()[j];
            r[i] = y.data()[i] - xw - b;
            rsum += r[i];
            rsq += r[i] * r[i];
        }
        for (std::int64_t j = 0; j < p; ++j) {
            double acc = 0;
            for (std::int64_t i = 0; i < regression_rows; ++i) acc += X.data()[i * p + j] * r[i];
            gw.data()[j] = acc / (sigma * sigma) - w.data()[j];
        }
        return {gw, scalar(rsum / (sigma * sigma) - b), scalar(rsq / (sigma * sigma * sigma) - regression_rows / sigma)};
    }
#if SAD_TORCH
    torch::Tensor tX, ty;
    void to_torch();
    torch::Tensor torch_f(const std::vector<torch::Tensor>& a) const {
        const auto& w = a[0];
        const auto& b = a[1];
        const auto& sigma = a[2];
        const auto sq = torch::square(ty - torch::mv(tX, w) - b).sum();
        return -0.5 * sq / torch::square(sigma) - static_cast<double>(regression_rows) * torch::log(sigma) -
               0.5 * torch::square(w).sum() - 0.5 * torch::square(b) - std::log(10. - 0.1);
    }
#endif
};

std::int64_t sv_steps(std::int64_t n) { return std::max<std::int64_t>(2, n / 2); }

struct sv_problem {
    static constexpr const char* name = "stoch_vol";
    std::tuple<tensor, tensor, tensor, tensor> args;  // h_std, phi, sigma, mu
    tensor y, k, first;
    explicit sv_problem(std::int64_t n)
        : args{uniform({sv_steps(n)}, -1, 1, 10), scalar(0.95), scalar(0.6), scalar(-0.3)},
          y(uniform({sv_steps(n)}, -1, 1, 11)),
          k(nb::arange<double>(sv_steps(n))),
          first(nb::zeros<double>({sv_steps(n)})) {
        first.data()[0] = 1;
    }
    auto f() const {
        return [this](auto h_std, auto phi, auto sigma, auto mu) {
            // innovations: sigma h_std, the first one scaled to the stationary variance
            const auto e = h_std * sigma * (1.0 + first * (1.0 / nb::sqrt(1.0 - phi * phi) - 1.0));
            // h_t - mu = sum_{s <= t} phi^(t - s) e_s
            const auto h = nb::pow(phi, k) * nb::cumsum(e * nb::pow(phi, -k), 0) + mu;
            return (-0.5 * nb::square(y * nb::exp(-0.5 * h)) - 0.5 * h - 0.5 * nb::square(h_std)).sum() +
                   (-nb::log(5.0 * (1.0 + nb::square(sigma / 5.0))) - nb::log(10.0 * (1.0 + nb::square(mu / 10.0))) -
                    std::log(2.0))
                       .sum();
        };
    }
    std::vector<tensor> reference() const { return {}; }  // LibTorch's gradient is the reference
#if SAD_TORCH
    torch::Tensor ty, tk, tfirst;
    void to_torch();
    torch::Tensor torch_f(const std::vector<torch::Tensor>& a) const {
        const auto& h_std = a[0];
        const auto& phi = a[1];
        const auto& sigma = a[2];
        const auto& mu = a[3];
        const auto e = h_std * sigma * (1.0 + tfirst * (1.0 / torch::sqrt(1.0 - phi * phi) - 1.0));
        const auto h = torch::pow(phi, tk) * torch::cumsum(e * torch::pow(phi, -tk), 0) + mu;
        return (-0.5 * torch::square(ty * torch::exp(-0.5 * h)) - 0.5 * h - 0.5 * torch::square(h_std)).sum() -
               torch::log(5.0 * (1.0 + torch::square(sigma / 5.0))) - torch::log(10.0 * (1.0 + torch::square(mu / 10.0))) -
               std::log(2.0);
    }
#endif
};


// ---- helpers -------------------------------------------------------------------------------------
template <class G>
auto as_tuple(G g) {
    if constexpr (std::is_same_v<G, tensor>) return std::tuple<tensor>{std::move(g)};
    else return g;
}
template <class Tuple>
std::vector<tensor> as_vector(const Tuple& t) {
    return std::apply([](const auto&... a) { return std::vector<tensor>{a...}; }, t);
}

template <class Tuple>
Tuple tape_args(const Tuple& args) {
    return std::apply([](const auto&... a) { return Tuple{a.detach().clone().requires_grad_(true)...}; }, args);
}
template <class Tuple>
void zero_grads(const Tuple& args) {
    std::apply([](const auto&... a) { ((a.grad().defined() ? (void)a.grad().zero_() : void()), ...); }, args);
}
template <class Tuple>
std::vector<tensor> grads_of(const Tuple& args) {
    return std::apply([](const auto&... a) { return std::vector<tensor>{(a.grad().defined() ? a.grad() : nb::zeros_like(a))...}; }, args);
}

#if SAD_TORCH
torch::Tensor to_torch(const tensor& t) {
    std::vector<std::int64_t> sizes(t.shape().begin(), t.shape().end());
    return torch::from_blob(t.data(), sizes, torch::kFloat64).clone();
}
tensor from_torch(const torch::Tensor& t) {
    const torch::Tensor c = t.contiguous();
    tensor out = nb::empty<double>(nb::shape(c.sizes().begin(), c.sizes().end()));
    std::copy(c.data_ptr<double>(), c.data_ptr<double>() + c.numel(), out.data());
    return out;
}
void regression_problem::to_torch() {
    tX = ::to_torch(X);
    ty = ::to_torch(y);
}
void sv_problem::to_torch() {
    ty = ::to_torch(y);
    tk = ::to_torch(k);
    tfirst = ::to_torch(first);
}
template <class P>
void prepare_torch(P& p) {
    if constexpr (requires { p.to_torch(); }) p.to_torch();
}
template <class P>
std::vector<torch::Tensor> torch_args(const P& p) {
    return std::apply([](const auto&... a) { return std::vector<torch::Tensor>{to_torch(a).requires_grad_(true)...}; }, p.args);
}
// LibTorch's gradient, once.
template <class P>
std::vector<tensor> torch_grad(P p) {
    prepare_torch(p);
    const auto args = torch_args(p);
    p.torch_f(args).backward();
    std::vector<tensor> g;
    for (const auto& a : args) g.push_back(from_torch(a.grad()));
    return g;
}
#endif

// The gradient every row is checked against: the analytical one, else LibTorch's (an independent
// implementation), else none.
template <class P>
std::vector<tensor> reference(const P& p) {
    auto r = p.reference();
#if SAD_TORCH
    if (r.empty()) r = torch_grad(p);
#endif
    return r;
}

// Normwise relative error: max over arguments of max|g - ref| / max|ref|.
double grad_error(const std::vector<tensor>& g, const std::vector<tensor>& ref) {
    double worst = 0;
    for (std::size_t a = 0; a < ref.size(); ++a) {
        const tensor gc = g[a].contiguous(), rc = ref[a].contiguous();
        if (gc.shape() != rc.shape()) return INFINITY;
        double diff = 0, scale = 0;
        for (std::int64_t i = 0; i < rc.numel(); ++i) {
            diff = std::max(diff, std::fabs(gc.data()[i] - rc.data()[i]));
            scale = std::max(scale, std::fabs(rc.data()[i]));
        }
        worst = std::max(worst, std::isnan(diff) ? INFINITY : diff / std::max(scale, 1e-300));
    }
    return worst;
}

// Wrong gradients are not skipped (the time is still informative) but flagged: the counter
// grad_err is the normwise relative error against the reference, and a label marks errors above 1e-10.
void report(benchmark::State& st, const std::vector<tensor>& g, const std::vector<tensor>& ref) {
    if (ref.empty()) return;
    const double err = grad_error(g, ref);
    st.counters["grad_err"] = err;
    if (!(err <= 1e-10)) st.SetLabel("WRONG GRADIENT");
}

// ---- benchmarks ----------------------------------------------------------------------------------
template <class P>
void bm_f(benchmark::State& st) {
    const P p(st.range(0));
    const auto fn = p.f();
    for (auto _ : st) {
        tensor v = std::apply(fn, p.args);
        benchmark::DoNotOptimize(v.data());
    }
}

template <class P>
void bm_static(benchmark::State& st) {
    const P p(st.range(0));
    const auto vg = nb::value_and_grad(p.f());
    for (auto _ : st) {
        auto [v, g] = std::apply(vg, p.args);
        benchmark::DoNotOptimize(v.data());
        benchmark::ClobberMemory();
    }
    report(st, as_vector(as_tuple(std::apply(nb::grad(p.f()), p.args))), reference(p));
}

template <class P>
void bm_tape(benchmark::State& st) {
    const P p(st.range(0));
    const auto args = tape_args(p.args);
    const auto fn = p.f();
    for (auto _ : st) {
        zero_grads(args);
        tensor v = std::apply(fn, args);
        v.backward();
        benchmark::DoNotOptimize(v.data());
        benchmark::ClobberMemory();
    }
    zero_grads(args);
    tensor(std::apply(fn, args)).backward();
    report(st, grads_of(args), reference(p));
}

#if SAD_TORCH
template <class P>
void bm_torch(benchmark::State& st) {
    P p(st.range(0));
    prepare_torch(p);
    const auto args = torch_args(p);
    for (auto _ : st) {
        for (const auto& a : args)
            if (a.grad().defined()) a.mutable_grad().zero_();
        torch::Tensor v = p.torch_f(args);
        v.backward();
        benchmark::DoNotOptimize(v.data_ptr<double>());
        benchmark::ClobberMemory();
    }
    std::vector<tensor> g;
    for (const auto& a : args) g.push_back(from_torch(a.grad()));
    report(st, g, p.reference());  // the analytical gradient only: LibTorch is not checked against itself
}
#endif
const std::vector<std::int64_t> sizes{1, 4, 16, 64, 256, 1024, 4096, 16384};

template <class P>
void register_problem() {
    const std::string n = P::name;
    auto reg = [&](const std::string& mode, void (*fn)(benchmark::State&)) {
        auto* b = benchmark::RegisterBenchmark((n + "/" + mode).c_str(), fn);
        for (auto s : sizes) b->Arg(s);
    };
    reg("f", bm_f<P>);
    reg("static", bm_static<P>);
    reg("tape", bm_tape<P>);
#if SAD_TORCH
    reg("torch", bm_torch<P>);
#endif
}

}  // namespace

int main(int argc, char** argv) {
#if SAD_TORCH
    torch::set_num_threads(1);
    torch::set_num_interop_threads(1);
#endif
    register_problem<sum_problem>();
    register_problem<prod_problem>();
    register_problem<lse_problem>();
    register_problem<normal_problem>();
    register_problem<normal_x_problem>();
    register_problem<matrix_problem>();
    register_problem<regression_problem>();
    register_problem<sv_problem>();
    benchmark::AddCustomContext("nabla_simd", nb::simd_arch_name());
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
