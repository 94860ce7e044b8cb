// The seed tutorial (../shared/spec/seed-tutorial.txt), line by line: every Python line's C++
// twin must print exactly what PyTorch 1.13 printed (test/fixtures/seed-expected.txt, a copy of
// ../shared/spec/seed-expected.txt). The only difference allowed is the one API.md documents:
// `x.shape` prints `torch.Size([4])`, nabla's `x.shape()` prints `[4]`; and randn draws its own value.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#ifndef NABLA_TEST_FIXTURE_DIR
#define NABLA_TEST_FIXTURE_DIR "test/fixtures"
#endif

namespace nb = nabla;

namespace {

// Output blocks of seed-expected.txt keyed by their `>>>` line; repeated lines keep every block.
std::map<std::string, std::vector<std::string>> load_expected() {
    std::ifstream in(std::string(NABLA_TEST_FIXTURE_DIR) + "/seed-expected.txt");
    REQUIRE(in.good());
    std::map<std::string, std::vector<std::string>> blocks;
    std::string line, key, body;
    auto flush = [&] {
        if (!key.empty()) {
            while (!body.empty() && body.back() == '\n') body.pop_back();
            blocks[key].push_back(body);
        }
        key.clear();
        body.clear();
    };
    while (std::getline(in, line)) {
        if (line.rfind(">>> ", 0) == 0) {
            flush();
            key = line.substr(4);
        } else if (line.rfind("... ", 0) == 0 || line.rfind("#", 0) == 0) {
            continue;
        } else if (!key.empty()) {
            body += line + "\n";  // blank lines inside a block belong to it (rank-3 tensors)
        }
    }
    flush();
    return blocks;
}

const std::map<std::string, std::vector<std::string>>& expected() {
    static const auto blocks = load_expected();
    return blocks;
}

// The PyTorch output printed for the n-th occurrence of `python_line`.
std::string torch_prints(const std::string& python_line, std::size_t occurrence = 0) {
    const auto it = expected().find(python_line);
    REQUIRE_MESSAGE(it != expected().end(), "no line `" << python_line << "` in seed-expected.txt");
    REQUIRE(occurrence < it->second.size());
    return it->second[occurrence];
}

template <class V>
std::string prints(const V& v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

// torch.Size([2, 5, 4]) -> [2, 5, 4]
std::string size_of(const std::string& torch_size) {
    return torch_size.substr(std::string("torch.Size(").size(), torch_size.size() - std::string("torch.Size(").size() - 1);
}

nb::tensor<float> f(nb::tensor<float> a) {
    nb::tensor<float> b = a * 2;
    while (b.norm() < 1000) b = b * 2;
    nb::tensor<float> c = b.sum() > 0 ? b : nb::tensor<float>(100 * b);
    return c;
}

}  // namespace

TEST_CASE("seed: scalars") {
    auto x = nb::tensor({3.0});
    auto y = nb::tensor({2.0});
    static_assert(std::is_same_v<decltype(x), nb::tensor<float>>);
    CHECK(prints(x + y) == torch_prints("x+y"));
    CHECK(prints(x * y) == torch_prints("x*y"));
    CHECK(prints(x / y) == torch_prints("x/y"));
    CHECK(prints(nb::pow(x, y)) == torch_prints("x**y"));
}

TEST_CASE("seed: vectors, length and shape") {
    auto x = nb::arange(4);
    CHECK(prints(x) == torch_prints("x"));
    CHECK(prints(x[3]) == torch_prints("x[3]"));
    CHECK(prints(nb::len(x)) == torch_prints("len(x)"));
    CHECK(prints(x.shape()) == size_of(torch_prints("x.shape")));
}

TEST_CASE("seed: a symmetric matrix") {
    nb::tensor<int64_t> B{{1, 2, 3}, {2, 0, 5}, {3, 5, 5}};
    CHECK(prints(B) == torch_prints("B"));
    CHECK(prints(B == B.T()) == torch_prints("B==B.T"));
}

TEST_CASE("seed: element-wise operations, clone, Hadamard product") {
    auto A = nb::arange<float>(20).reshape(5, 4);
    auto B = A.clone();
    CHECK(B.data() != A.data());
    CHECK(prints(B) == torch_prints("B", 1));
    CHECK(prints(A + B) == torch_prints("A+B"));
    CHECK(prints(A * B) == torch_prints("A*B"));
}

TEST_CASE("seed: a scalar broadcasts") {
    int a = 2;
    auto X = nb::arange(24).reshape(2, 3, 4);
    CHECK(prints(a + X) == torch_prints("a+X"));
    CHECK(prints(a * X) == torch_prints("a*X"));
}

TEST_CASE("seed: sums") {
    auto x = nb::arange(4, nb::float32);
    CHECK(prints(x) == torch_prints("x", 1));
    CHECK(prints(x.sum()) == torch_prints("x.sum()"));
    auto A = nb::arange(20 * 2).reshape(2, 5, 4);
    CHECK(prints(A) == torch_prints("A"));
    CHECK(prints(A.shape()) == size_of(torch_prints("A.shape")));
    CHECK(prints(A.sum()) == torch_prints("A.sum()"));
    auto A_sum_axis0 = A.sum(0);
    CHECK(prints(A_sum_axis0) == torch_prints("A_sum_axis0"));
    CHECK(prints(A_sum_axis0.shape()) == size_of(torch_prints("A_sum_axis0.shape")));
}

TEST_CASE("seed: means, keepdims and cumsum") {
    auto A = nb::arange<float>(20 * 2).reshape(2, 5, 4);
    CHECK(prints(A.mean()) == torch_prints("A.mean()"));
    CHECK(prints(A.sum() / A.numel()) == torch_prints("A.sum()/A.numel()"));
    CHECK(prints(A.mean(0)) == torch_prints("A.mean(axis=0)"));
    CHECK(prints(A.sum(0) / A.shape()[0]) == torch_prints("A.sum(axis=0)/A.shape[0]"));
    auto sum_A = A.sum(1, true);
    CHECK(prints(sum_A) == torch_prints("sum_A"));
    CHECK(prints(sum_A.shape()) == size_of(torch_prints("sum_A.shape")));
    CHECK(prints(A / sum_A) == torch_prints("A/sum_A"));
    CHECK(prints(A.cumsum(0)) == torch_prints("A.cumsum(axis=0)"));
}

TEST_CASE("seed: dot products") {
    auto y = nb::ones<float>({4});
    auto x = nb::arange<float>(4);
    CHECK(prints(nb::dot(x, y)) == torch_prints("torch.dot(x,y)"));
    CHECK(prints(nb::sum(x * y)) == torch_prints("torch.sum(x*y)"));
}

TEST_CASE("seed: matrix-vector and matrix-matrix products of int64 tensors") {
    auto A = nb::arange(20).reshape(5, 4);
    auto B = nb::arange(4);
    CHECK(prints(A.shape()) == size_of(torch_prints("A.shape", 1)));
    CHECK(prints(B.shape()) == size_of(torch_prints("B.shape")));
    CHECK(prints(nb::mv(A, B)) == torch_prints("torch.mv(A,B)"));
    auto B2 = nb::arange(8).reshape(4, 2);
    CHECK(prints(nb::mm(A, B2)) == torch_prints("torch.mm(A,B)"));
}

TEST_CASE("seed: norms") {
    auto u = nb::tensor({3.0, -4.0});
    CHECK(prints(nb::norm(u)) == torch_prints("torch.norm(u)"));
    CHECK(prints(nb::abs(u).sum()) == torch_prints("torch.abs(u).sum()"));
    CHECK(prints(nb::norm(nb::ones<float>({4, 9}))) == torch_prints("torch.norm(torch.ones(4,9))"));
}

TEST_CASE("seed: autograd of y = 2 x.x, accumulation, detach") {
    auto x = nb::arange(4.0);
    CHECK(prints(x) == torch_prints("x", 2));
    x.requires_grad_(true);
    CHECK(prints(x.grad()) == torch_prints("x.grad"));
    auto y = 2 * nb::dot(x, x);
    CHECK(prints(y) == torch_prints("y"));
    y.backward();
    CHECK(prints(x.grad()) == torch_prints("x.grad", 1));
    CHECK(prints(x.grad() == 4 * x) == torch_prints("x.grad==4*x"));

    x.grad().zero_();
    auto s = x.sum();
    s.backward();
    CHECK(prints(x.grad()) == torch_prints("x.grad", 2));

    x.grad().zero_();
    auto sq = x * x;
    sq.sum().backward();
    CHECK(prints(x.grad()) == torch_prints("x.grad", 3));

    x.grad().zero_();
    nb::tensor<float> y2 = x * x;
    auto u = y2.detach();
    auto z = u * x;
    z.sum().backward();
    CHECK(prints(x.grad() == u) == torch_prints("x.grad==u"));

    x.grad().zero_();
    y2.sum().backward();
    CHECK(prints(x.grad() == 2 * x) == torch_prints("x.grad==2*x"));
}

TEST_CASE("seed: gradients through Python control flow") {
    nb::manual_seed(0);
    auto a = nb::randn<float>({}, nb::requires_grad);
    auto d = f(a);
    d.backward();
    // nabla's generator draws its own value: compare the format, then the values.
    const std::string pa = prints(a);
    CHECK(pa.rfind("tensor(", 0) == 0);
    CHECK(pa.find(", requires_grad=True)") != std::string::npos);
    const std::string pd = prints(d);
    CHECK(pd.find(", grad_fn=<MulBackward0>)") != std::string::npos);
    CHECK(prints(a.grad() == d / a) == torch_prints("a.grad==d/a"));
    // d = a * 2^k with the smallest k making |d| >= 1000, so the gradient is 2^k.
    const float g = a.grad().item();
    CHECK(std::abs(d.item()) >= 1000.f);
    CHECK(std::abs(d.item()) < 2000.f);
    CHECK(g == std::exp2(std::round(std::log2(g))));
}
