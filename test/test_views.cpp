// Shapes and views: shape/dim/numel/size/len, reshape (view when possible, copy otherwise), T, t,
// transpose, permute, slice, select, operator[], clone/contiguous, writes through views, and every
// bad index or dimension with PyTorch's message and the operand left as it was.
#include <doctest/doctest.h>

#include <nabla/nabla.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace nb = nabla;

namespace {

template <class X>
std::string str(const X& x) {
    std::ostringstream os;
    os << x;
    return os.str();
}

const char* const a_t = "tensor([[ 0,  4,  8, 12, 16],\n        [ 1,  5,  9, 13, 17],\n        [ 2,  6, 10, 14, 18],\n"
                        "        [ 3,  7, 11, 15, 19]])";

}  // namespace

TEST_CASE("shape, dim, numel, size and len") {
    auto x = nb::zeros<float>({2, 5, 4});
    CHECK(x.shape() == nb::shape{2, 5, 4});
    CHECK_FALSE(x.shape() == nb::shape{2, 5});
    CHECK_FALSE(x.shape() == nb::shape{2, 4, 5});
    CHECK(str(x.shape()) == "[2, 5, 4]");
    CHECK(x.shape().str() == "[2, 5, 4]");
    CHECK(x.dim() == 3);
    CHECK(x.numel() == 40);
    CHECK(x.size(0) == 2);
    CHECK(x.size(1) == 5);
    CHECK(x.size(-1) == 4);
    CHECK(x.size(-3) == 2);
    CHECK(x.shape()[1] == 5);
    CHECK(nb::len(x) == 2);
    static_assert(std::is_same_v<decltype(x.dim()), std::int64_t>);
    static_assert(std::is_same_v<decltype(x.numel()), std::int64_t>);
    static_assert(std::is_same_v<decltype(x.size(0)), std::int64_t>);
    static_assert(std::is_same_v<decltype(nb::len(x)), std::int64_t>);
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(x.shape()[0])>, std::int64_t>);

    auto s = nb::tensor<float>(1.f);
    CHECK(s.shape() == nb::shape{});
    CHECK(str(s.shape()) == "[]");
    CHECK(s.dim() == 0);
    CHECK(s.numel() == 1);
    CHECK(str(nb::arange(4).shape()) == "[4]");
    CHECK(nb::len(nb::arange(4)) == 4);
    CHECK(nb::arange(4).size(0) == 4);
    // Expressions answer the same questions without being evaluated.
    auto e = x * 2 + nb::ones<float>({4});
    CHECK(e.shape() == nb::shape{2, 5, 4});
    CHECK(e.numel() == 40);
    CHECK(e.size(-2) == 5);
    CHECK(nb::len(e) == 2);
}

TEST_CASE("shapes hold at most NABLA_MAX_RANK extents") {
    CHECK(nb::shape::max_rank == NABLA_MAX_RANK);
    auto x = nb::zeros<float>({1, 1, 1, 1, 1, 1, 1, 2});
    CHECK(x.dim() == 8);
    CHECK(str(x.shape()) == "[1, 1, 1, 1, 1, 1, 1, 2]");
    CHECK_THROWS_WITH_AS((nb::shape{1, 1, 1, 1, 1, 1, 1, 1, 1}), "nabla supports tensors of at most 8 dimensions, got 9",
                         nb::shape_error);
    CHECK_THROWS_WITH_AS(x.reshape({1, 1, 1, 1, 1, 1, 1, 1, 2}), "nabla supports tensors of at most 8 dimensions, got 9",
                         nb::shape_error);
    CHECK(x.shape() == nb::shape{1, 1, 1, 1, 1, 1, 1, 2});
    CHECK(x.shape() != nb::shape{1, 1, 1, 1, 1, 1, 2, 1});
}

TEST_CASE("a shape copies exactly its extents at every rank, and numel stops at a zero extent") {
    // shape's copy moves the extents one by one (see shape.hpp); every rank from 0 to the maximum,
    // copied into a fresh shape and assigned over a longer and a shorter one.
    for (int r = 0; r <= nb::shape::max_rank; ++r) {
        nb::shape s;
        std::int64_t n = 1;
        for (int i = 0; i < r; ++i) {
            s.push_back(i + 2);
            n *= i + 2;
        }
        const nb::shape copy(s);
        CHECK(copy == s);
        CHECK(copy.size() == r);
        CHECK(copy.numel() == n);
        nb::shape longer = nb::shape::filled(nb::shape::max_rank, 7), shorter{9};
        longer = s;
        shorter = s;
        CHECK(longer == s);
        CHECK(shorter == s);
        CHECK(longer.str() == s.str());
        // growing again after a shrinking assignment fills zeros, not the old extents
        longer.resize(nb::shape::max_rank);
        for (int i = r; i < nb::shape::max_rank; ++i) CHECK(longer[i] == 0);
    }
    CHECK(nb::shape{}.numel() == 1);
    CHECK(nb::shape{3, 0, 5}.numel() == 0);
    CHECK(nb::shape{0}.numel() == 0);
    CHECK(nb::shape{2, 3, 4, 5, 1, 1, 2, 3}.numel() == 720);
    CHECK(nb::zeros<float>({4, 0, 3}).numel() == 0);
}

TEST_CASE("size, len and stride reject a bad dimension") {
    auto x = nb::zeros<float>({2, 3});
    CHECK_THROWS_WITH_AS(x.size(2), "Dimension out of range (expected to be in range of [-2, 1], but got 2)", nb::index_error);
    CHECK_THROWS_WITH_AS(x.size(-3), "Dimension out of range (expected to be in range of [-2, 1], but got -3)", nb::index_error);
    CHECK_THROWS_WITH_AS(x.stride(5), "Dimension out of range (expected to be in range of [-2, 1], but got 5)", nb::index_error);
    CHECK(x.stride(0) == 3);
    CHECK(x.stride(-1) == 1);
    CHECK_THROWS_WITH_AS(nb::len(nb::tensor<float>(1.f)), "len() of a 0-d tensor", nb::error);
    CHECK(x.shape() == nb::shape{2, 3});
}

TEST_CASE("size(d) and stride(d) of a 0-d tensor throw") {
    // torch.tensor(1.).size(0): IndexError "Dimension specified as 0 but tensor has no dimensions".
    auto s = nb::tensor<float>(1.f);
    CHECK_THROWS_WITH_AS(s.size(0), "Dimension specified as 0 but tensor has no dimensions", nb::index_error);
    CHECK_THROWS_WITH_AS(s.size(-1), "Dimension specified as -1 but tensor has no dimensions", nb::index_error);
    CHECK_THROWS_WITH_AS(s.stride(0), "Dimension specified as 0 but tensor has no dimensions", nb::index_error);
}

TEST_CASE("reshape infers one -1 and returns a view of contiguous data") {
    auto a = nb::arange(20);
    auto m = a.reshape({5, 4});
    CHECK(m.shape() == nb::shape{5, 4});
    CHECK(m.data() == a.data());
    CHECK(m.strides() == nb::strides{4, 1});
    CHECK(a.reshape(5, 4).shape() == nb::shape{5, 4});
    CHECK(a.reshape({5, -1}).shape() == nb::shape{5, 4});
    CHECK(a.reshape({-1, 2, 5}).shape() == nb::shape{2, 2, 5});
    CHECK(a.reshape(-1).shape() == nb::shape{20});
    CHECK(a.reshape({2, 5, 2}).reshape({-1}).data() == a.data());
    CHECK(nb::tensor<float>(1.f).reshape({1, 1}).shape() == nb::shape{1, 1});
    CHECK(str(nb::tensor<float>(1.f).reshape({-1})) == "tensor([1.])");
    CHECK(str(nb::arange(1.0).reshape({})) == "tensor(0.)");
    CHECK(nb::zeros<float>({0}).reshape({2, 0, 3}).shape() == nb::shape{2, 0, 3});
    CHECK(nb::zeros<float>({3, 0}).reshape({-1, 3}).shape() == nb::shape{0, 3});

    // A write through the view is seen through the base, and back.
    m[1][2] = 100;
    CHECK(a[6].item() == 100);
    a[19] = -7;
    CHECK(m[4][3].item() == -7);
    CHECK(str(a.reshape({2, 2, 5})[1][0]) == "tensor([10, 11, 12, 13, 14])");
}

TEST_CASE("reshape of a strided tensor is a view when the strides allow it, a copy otherwise (as PyTorch)") {
    auto x = nb::arange(24).reshape({2, 3, 4});
    auto t = x.transpose(0, 1);  // [3, 2, 4], strides [4, 12, 1]
    auto v = t.reshape({3, 2, 2, 2});
    CHECK(v.data() == x.data());
    CHECK(v.strides() == nb::strides{4, 12, 2, 1});
    for (auto s : {nb::shape{3, 8}, nb::shape{6, 4}, nb::shape{-1}}) {
        CAPTURE(s);
        auto c = t.reshape(s);
        CHECK(c.data() != x.data());
        CHECK(c.is_contiguous());
    }
    CHECK(str(t.reshape({3, 8})[0]) == "tensor([ 0,  1,  2,  3, 12, 13, 14, 15])");

    auto y = nb::arange(12).reshape({3, 4}).slice(1, 0, 2);  // [3, 2], strides [4, 1]
    CHECK(y.reshape({6}).data() != y.data());
    CHECK(str(y.reshape({6})) == "tensor([0, 1, 4, 5, 8, 9])");
    CHECK(y.reshape({3, 2, 1}).data() == y.data());
    CHECK(y.reshape({3, 1, 2}).data() == y.data());
    CHECK(y.reshape({1, 3, 2}).data() == y.data());
    CHECK(y.reshape({3, 1, 2}).strides() == nb::strides{4, 2, 1});
    CHECK(y.reshape({1, 3, 2}).strides() == nb::strides{12, 4, 1});

    auto z = nb::arange(12).reshape({3, 4}).slice(0, 0, 3, 2);  // [2, 4], strides [8, 1]
    CHECK(z.reshape({2, 2, 2}).data() == z.data());
    CHECK(z.reshape({2, 2, 2}).strides() == nb::strides{8, 2, 1});
    CHECK(z.reshape({8}).data() != z.data());
    CHECK(str(z.reshape({4, 2})) == "tensor([[ 0,  1],\n        [ 2,  3],\n        [ 8,  9],\n        [10, 11]])");
}

TEST_CASE("reshape of a transposed matrix copies, and the copy is independent") {
    auto x = nb::arange<float>(6).reshape({2, 3});
    auto r = x.t().reshape({6});
    CHECK(r.data() != x.data());
    CHECK(str(r) == "tensor([0., 3., 1., 4., 2., 5.])");
    CHECK(str(x.t().reshape({2, 3})) == "tensor([[0., 3., 1.],\n        [4., 2., 5.]])");
    r[0] = 99.f;
    CHECK(x[0][0].item() == 0.f);
    // The same shape needs no copy: PyTorch returns a view with strides (1, 3).
    auto same = x.t().reshape({3, 2});
    CHECK(same.data() == x.data());
    CHECK(same.strides() == nb::strides{1, 3});
}

TEST_CASE("reshape rejects impossible shapes with PyTorch's messages") {
    auto a = nb::arange(20);
    CHECK_THROWS_WITH_AS(a.reshape({3, 5}), "shape '[3, 5]' is invalid for input of size 20", nb::shape_error);
    CHECK_THROWS_WITH_AS(a.reshape(3, -1), "shape '[3, -1]' is invalid for input of size 20", nb::shape_error);
    CHECK_THROWS_WITH_AS(a.reshape({-1, -1}), "only one dimension can be inferred", nb::shape_error);
    CHECK_THROWS_WITH_AS(a.reshape({-2, 10}), "invalid shape dimension -2", nb::shape_error);
    CHECK_THROWS_WITH_AS(a.T().reshape({21}), "shape '[21]' is invalid for input of size 20", nb::shape_error);
    CHECK_THROWS_AS(nb::zeros<float>({0, 3}).reshape({-1, 0}), nb::shape_error);
    CHECK(a.shape() == nb::shape{20});
    CHECK(str(a.slice(0, 0, 3)) == "tensor([0, 1, 2])");
}

TEST_CASE("reshape of an empty tensor with -1 and a 0 reports the ambiguity as PyTorch") {
    CHECK_THROWS_WITH_AS(nb::zeros<float>({0, 3}).reshape({-1, 0}),
                         "cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified dimension size -1 "
                         "can be any value and is ambiguous",
                         nb::shape_error);
}

TEST_CASE("T, t, transpose and permute are strided views") {
    auto a = nb::arange(20).reshape({5, 4});
    CHECK(str(a.T()) == a_t);
    CHECK(str(a.t()) == a_t);
    CHECK(str(a.transpose(0, 1)) == a_t);
    CHECK(str(a.transpose(-1, -2)) == a_t);
    CHECK(str(a.permute({1, 0})) == a_t);
    CHECK(a.T().data() == a.data());
    CHECK(a.T().shape() == nb::shape{4, 5});
    CHECK(a.T().strides() == nb::strides{1, 4});
    CHECK_FALSE(a.T().is_contiguous());
    CHECK(a.T().T().is_contiguous());
    CHECK(str(nb::arange(3).t()) == "tensor([0, 1, 2])");
    CHECK(str(nb::tensor<float>(1.f).T()) == "tensor(1.)");
    CHECK(str(nb::tensor<float>(1.f).t()) == "tensor(1.)");
    CHECK(str(nb::tensor<float>(1.f).transpose(0, -1)) == "tensor(1.)");

    auto x = nb::arange(24).reshape({2, 3, 4});
    const char* xt =
        "tensor([[[ 0, 12],\n         [ 4, 16],\n         [ 8, 20]],\n\n        [[ 1, 13],\n         [ 5, 17],\n"
        "         [ 9, 21]],\n\n        [[ 2, 14],\n         [ 6, 18],\n         [10, 22]],\n\n        [[ 3, 15],\n"
        "         [ 7, 19],\n         [11, 23]]])";
    CHECK(str(x.T()) == xt);
    CHECK(str(x.transpose(0, 2)) == xt);
    CHECK(str(x.transpose(-1, 1)) ==
          "tensor([[[ 0,  4,  8],\n         [ 1,  5,  9],\n         [ 2,  6, 10],\n         [ 3,  7, 11]],\n\n"
          "        [[12, 16, 20],\n         [13, 17, 21],\n         [14, 18, 22],\n         [15, 19, 23]]])");
    auto p = x.permute({2, 0, 1});
    CHECK(p.shape() == nb::shape{4, 2, 3});
    CHECK(p.strides() == nb::strides{1, 12, 4});
    CHECK(p.data() == x.data());
    CHECK(str(p) ==
          "tensor([[[ 0,  4,  8],\n         [12, 16, 20]],\n\n        [[ 1,  5,  9],\n         [13, 17, 21]],\n\n"
          "        [[ 2,  6, 10],\n         [14, 18, 22]],\n\n        [[ 3,  7, 11],\n         [15, 19, 23]]])");
    CHECK(x.permute({-1, 0, 1}).shape() == nb::shape{4, 2, 3});
    CHECK(x.permute({0, 1, 2}).strides() == x.strides());

    // Writes through a permuted view land in the base.
    p[1] = -1;
    CHECK(str(x[1][2]) == "tensor([20, -1, 22, 23])");
    CHECK(str(x.select(2, 1)) == "tensor([[-1, -1, -1],\n        [-1, -1, -1]])");
}

TEST_CASE("transpose, t and permute reject bad dimensions") {
    auto m = nb::zeros<float>({2, 3});
    CHECK_THROWS_WITH_AS(m.transpose(0, 2), "Dimension out of range (expected to be in range of [-2, 1], but got 2)", nb::index_error);
    CHECK_THROWS_WITH_AS(m.transpose(-3, 0), "Dimension out of range (expected to be in range of [-2, 1], but got -3)",
                         nb::index_error);
    CHECK_THROWS_WITH_AS(nb::zeros<float>({2, 3, 4}).t(), "t() expects a tensor with <= 2 dimensions, but self is 3D", nb::error);
    CHECK_THROWS_WITH_AS(m.permute({0, 1, 2}),
                         "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
                         "desired ordering of dimensions i.e. input.dim() = 2 is not equal to len(dims) = 3",
                         nb::error);
    CHECK_THROWS_WITH_AS(m.permute({0, 0}), "permute(): duplicate dims are not allowed.", nb::error);
    CHECK_THROWS_WITH_AS(m.permute({-1, 1}), "permute(): duplicate dims are not allowed.", nb::error);
    CHECK_THROWS_WITH_AS(m.permute({0, 2}), "Dimension out of range (expected to be in range of [-2, 1], but got 2)", nb::index_error);
    CHECK(m.shape() == nb::shape{2, 3});
    CHECK(m.strides() == nb::strides{3, 1});
}

TEST_CASE("slice: Python's start:end:step along a dimension, as a view") {
    auto a = nb::arange(20).reshape({5, 4});
    CHECK(str(a.slice(0, 1, 3)) == "tensor([[ 4,  5,  6,  7],\n        [ 8,  9, 10, 11]])");
    CHECK(str(a.slice(1, 1, 4, 2)) ==
          "tensor([[ 1,  3],\n        [ 5,  7],\n        [ 9, 11],\n        [13, 15],\n        [17, 19]])");
    CHECK(str(a.slice(0, -2, 5)) == "tensor([[12, 13, 14, 15],\n        [16, 17, 18, 19]])");
    CHECK(str(a.slice(-1, 3, 100)) == "tensor([[ 3],\n        [ 7],\n        [11],\n        [15],\n        [19]])");
    CHECK(a.slice(0, 1, 3).data() == a.data() + 4);
    CHECK(a.slice(1, 1, 4, 2).strides() == nb::strides{4, 2});
    CHECK(a.slice(0, 1, 3).is_contiguous());
    CHECK_FALSE(a.slice(1, 0, 2).is_contiguous());

    auto v = nb::arange(10);
    CHECK(str(v.slice(0, 1, 8, 3)) == "tensor([1, 4, 7])");
    CHECK(str(v.slice(0, -3, 10)) == "tensor([7, 8, 9])");
    CHECK(str(v.slice(0, -100, 100)) == "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])");
    CHECK(str(v.slice(0, 5, 2)) == "tensor([], dtype=int64)");
    CHECK(v.slice(0, 5, 2).shape() == nb::shape{0});
    CHECK(str(v.slice(0, 0, 10, 4).slice(0, 1, 3)) == "tensor([4, 8])");
}

TEST_CASE("slice rejects a 0-d tensor, a non-positive step and a bad dimension") {
    auto v = nb::arange<float>(4);
    CHECK_THROWS_WITH_AS(nb::tensor<float>(1.f).slice(0, 0, 1), "slice() cannot be applied to a 0-dim tensor.", nb::index_error);
    CHECK_THROWS_WITH_AS(v.slice(0, 0, 4, 0), "slice step must be positive", nb::error);
    CHECK_THROWS_WITH_AS(v.slice(0, 0, 4, -1), "slice step must be positive", nb::error);
    CHECK_THROWS_WITH_AS(v.slice(1, 0, 4), "Dimension out of range (expected to be in range of [-1, 0], but got 1)", nb::index_error);
    CHECK(str(v) == "tensor([0., 1., 2., 3.])");
}

TEST_CASE("select, operator[] and item") {
    auto a = nb::arange(20).reshape({5, 4});
    CHECK(str(a.select(1, 0)) == "tensor([ 0,  4,  8, 12, 16])");
    CHECK(str(a.select(0, -1)) == "tensor([16, 17, 18, 19])");
    CHECK(a.select(1, 0).strides() == nb::strides{4});
    CHECK(a.select(1, 2).data() == a.data() + 2);

    auto x = nb::arange(4);
    CHECK(str(x[3]) == "tensor(3)");
    CHECK(x[3].dim() == 0);
    CHECK(x[3].item() == 3);
    CHECK(x[-1].item() == 3);
    CHECK(x[-4].item() == 0);
    CHECK(x[2].data() == x.data() + 2);
    CHECK(str(nb::arange(4.0)[3]) == "tensor(3.)");

    auto y = nb::arange(24).reshape({2, 3, 4});
    CHECK(str(y[-1][-1]) == "tensor([20, 21, 22, 23])");
    CHECK(str(y[0][1][-1]) == "tensor(7)");
    CHECK(str(y[1].select(1, 2)) == "tensor([14, 18, 22])");
    CHECK(str(y.select(-1, -2)) == "tensor([[ 2,  6, 10],\n        [14, 18, 22]])");
    CHECK(y[1][2][3].item() == 23);
}

TEST_CASE("select and operator[] reject out-of-range indices with PyTorch's messages") {
    auto x = nb::arange(4);
    CHECK_THROWS_WITH_AS(x[4], "index 4 is out of bounds for dimension 0 with size 4", nb::index_error);
    CHECK_THROWS_WITH_AS(x[-5], "index -5 is out of bounds for dimension 0 with size 4", nb::index_error);
    auto m = nb::zeros<float>({2, 3});
    CHECK_THROWS_WITH_AS(m[1][3], "index 3 is out of bounds for dimension 0 with size 3", nb::index_error);
    CHECK_THROWS_WITH_AS(m.select(1, 5), "select(): index 5 out of range for tensor of size [2, 3] at dimension 1", nb::index_error);
    CHECK_THROWS_WITH_AS(m.select(-1, -4), "select(): index -4 out of range for tensor of size [2, 3] at dimension 1",
                         nb::index_error);
    CHECK_THROWS_WITH_AS(m.select(2, 0), "Dimension out of range (expected to be in range of [-2, 1], but got 2)", nb::index_error);
    CHECK_THROWS_WITH_AS(nb::tensor<float>(1.f).select(0, 0), "select() cannot be applied to a 0-dim tensor.", nb::index_error);
    CHECK_THROWS_AS(nb::tensor<float>(1.f)[0], nb::index_error);
    CHECK_THROWS_AS(x[0][0], nb::index_error);
    CHECK(str(x) == "tensor([0, 1, 2, 3])");
}

TEST_CASE("indexing a 0-d tensor reports PyTorch's message") {
    CHECK_THROWS_WITH_AS(nb::tensor<float>(1.f)[0],
                         "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
                         "convert a 0-dim tensor to a number",
                         nb::index_error);
}

TEST_CASE("assignment to a view writes into the data, broadcasting the right-hand side") {
    auto b = nb::arange<float>(12).reshape({3, 4});
    auto keep = b;
    float* const p = b.data();
    b[0] = nb::tensor<float>{9.f, 8.f, 7.f, 6.f};
    CHECK(str(b) == "tensor([[ 9.,  8.,  7.,  6.],\n        [ 4.,  5.,  6.,  7.],\n        [ 8.,  9., 10., 11.]])");
    b.slice(0, 1, 3) = 0.0f;
    CHECK(str(b) == "tensor([[9., 8., 7., 6.],\n        [0., 0., 0., 0.],\n        [0., 0., 0., 0.]])");
    b[0][0] = 100.0f;
    CHECK(str(b) == "tensor([[100.,   8.,   7.,   6.],\n        [  0.,   0.,   0.,   0.],\n        [  0.,   0.,   0.,   0.]])");
    b.select(1, 1) = nb::tensor<float>{-1.f, -2.f, -3.f};
    CHECK(str(b) == "tensor([[100.,  -1.,   7.,   6.],\n        [  0.,  -2.,   0.,   0.],\n        [  0.,  -3.,   0.,   0.]])");
    b[2] = b[0];  // a tensor on the right: copies, does not rebind
    CHECK(str(b) == "tensor([[100.,  -1.,   7.,   6.],\n        [  0.,  -2.,   0.,   0.],\n        [100.,  -1.,   7.,   6.]])");
    b[1] = 5;  // an int scalar into a float view
    CHECK(str(b) == "tensor([[100.,  -1.,   7.,   6.],\n        [  5.,   5.,   5.,   5.],\n        [100.,  -1.,   7.,   6.]])");
    b.slice(1, 2, 4) = nb::tensor<float>{{1.f}, {2.f}, {3.f}};
    CHECK(str(b) == "tensor([[100.,  -1.,   1.,   1.],\n        [  5.,   5.,   2.,   2.],\n        [100.,  -1.,   3.,   3.]])");
    b[0] = b[1] * 2 + nb::tensor<std::int64_t>{1, 2, 3, 4};  // an expression of another type converts
    CHECK(str(b[0]) == "tensor([11., 12.,  7.,  8.])");
    CHECK(b.data() == p);
    CHECK(keep.data() == p);
    CHECK(str(keep[0]) == "tensor([11., 12.,  7.,  8.])");

    auto c = nb::arange<float>(6).reshape({2, 3});
    c.T()[0] = 50.f;
    CHECK(str(c) == "tensor([[50.,  1.,  2.],\n        [50.,  4.,  5.]])");
    auto i = nb::zeros<std::int32_t>({2, 2});
    i[1][0] = 7;
    i.select(1, 1) = nb::tensor<bool>{true, false};
    CHECK(str(i) == "tensor([[0, 1],\n        [7, 0]], dtype=int32)");
    auto flags = nb::zeros<bool>({3});
    flags[1] = true;
    CHECK(str(flags) == "tensor([False,  True, False])");

    // Overlapping source and target: as if the source were read first.
    auto s = nb::arange<float>(12).reshape({3, 4});
    s.slice(1, 0, 3) = s.slice(1, 1, 4);
    CHECK(str(s) == "tensor([[ 1.,  2.,  3.,  3.],\n        [ 5.,  6.,  7.,  7.],\n        [ 9., 10., 11., 11.]])");
    // An empty view takes any broadcastable value and writes nothing.
    auto v = nb::arange<float>(4);
    v.slice(0, 2, 2) = 5.f;
    v.slice(0, 3, 1) = nb::tensor<float>(9.f);
    CHECK(str(v) == "tensor([0., 1., 2., 3.])");
}

TEST_CASE("a named view is a handle: assigning to it rebinds, copy_ writes") {
    auto a = nb::arange<float>(6).reshape({2, 3});
    auto row = a[0];
    row = nb::ones<float>({3});  // rebinds `row`; `a` is untouched
    CHECK(str(a) == "tensor([[0., 1., 2.],\n        [3., 4., 5.]])");
    CHECK(str(row) == "tensor([1., 1., 1.])");
    auto row1 = a[1];
    row1.copy_(nb::ones<float>({3}));
    row1 += 1;
    CHECK(str(a) == "tensor([[0., 1., 2.],\n        [2., 2., 2.]])");
    std::move(row1) = 7.f;  // an rvalue view writes
    CHECK(str(a[1]) == "tensor([7., 7., 7.])");
}

TEST_CASE("a failed assignment to a view throws shape_error and leaves the data unchanged") {
    auto m = nb::arange<float>(9).reshape({3, 3});
    const std::string before = str(m);
    CHECK_THROWS_WITH_AS(m[0] = nb::ones<float>({4}),
                         "The expanded size of the tensor (3) must match the existing size (4) at non-singleton dimension 0.  "
                         "Target sizes: [3].  Tensor sizes: [4]",
                         nb::shape_error);
    CHECK_THROWS_WITH_AS(m.slice(0, 0, 2) = nb::ones<float>({3, 3}),
                         "The expanded size of the tensor (2) must match the existing size (3) at non-singleton dimension 0.  "
                         "Target sizes: [2, 3].  Tensor sizes: [3, 3]",
                         nb::shape_error);
    CHECK_THROWS_AS(m[0] = nb::ones<float>({2, 3}), nb::shape_error);
    CHECK_THROWS_AS(m.T()[1] = nb::arange<float>(2), nb::shape_error);
    CHECK_THROWS_AS(m[5] = 1.0f, nb::index_error);
    CHECK(str(m) == before);
}

TEST_CASE("assigning a higher-rank tensor to a view reports PyTorch's expand message") {
    // x = torch.zeros(3, 3); x[0] = torch.ones(2, 3)
    auto m = nb::zeros<float>({3, 3});
    CHECK_THROWS_WITH_AS(m[0] = nb::ones<float>({2, 3}),
                         "expand(torch.FloatTensor{[2, 3]}, size=[3]): the number of sizes provided (1) must be greater or "
                         "equal to the number of dimensions in the tensor (2)",
                         nb::shape_error);
    CHECK(str(m) == "tensor([[0., 0., 0.],\n        [0., 0., 0.],\n        [0., 0., 0.]])");
}

TEST_CASE("clone does not share; contiguous copies only when needed") {
    auto x = nb::arange<float>(6).reshape({2, 3});
    auto c = x.clone();
    CHECK(c.data() != x.data());
    c[0][0] = -5.f;
    CHECK(x[0][0].item() == 0.f);

    CHECK(x.is_contiguous());
    CHECK(x.contiguous().data() == x.data());
    auto t = x.t();
    CHECK_FALSE(t.is_contiguous());
    auto tc = t.contiguous();
    CHECK(tc.is_contiguous());
    CHECK(tc.data() != x.data());
    CHECK(tc.strides() == nb::strides{2, 1});
    CHECK(str(tc) == "tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]])");
    auto tcl = t.clone();
    CHECK(tcl.is_contiguous());
    CHECK(str(tcl) == str(tc));
    // Size-1 dimensions may have any stride and still be contiguous.
    CHECK(nb::arange(4).reshape({4, 1}).T().is_contiguous());
    CHECK(x.select(1, 1).contiguous().data() != x.data());
}

TEST_CASE("clone and contiguous of strided views at SIMD edge sizes") {
    const std::int64_t w = nb::simd::width<double>;
    for (std::int64_t n : {std::int64_t{1}, w - 1, w, w + 1, 2 * w + 1, 3 * w + 1}) {
        CAPTURE(n);
        auto m = nb::arange<double>(3 * n).reshape({3, n});
        auto t = m.T().contiguous();  // [n, 3]
        REQUIRE(t.shape() == nb::shape{n, 3});
        bool ok = true;
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t j = 0; j < 3; ++j) ok = ok && t.data()[i * 3 + j] == static_cast<double>(j * n + i);
        CHECK(ok);
        auto col = m.select(1, n - 1).clone();
        CHECK(str(col.to<std::int64_t>()) ==
              str(nb::tensor<std::int64_t>{n - 1, 2 * n - 1, 3 * n - 1}));
        auto odd = nb::arange<std::int32_t>(2 * n).slice(0, 1, 2 * n, 2).clone();
        CHECK(odd.numel() == n);
        CHECK(nb::equal(odd, nb::arange<std::int32_t>(n) * 2 + 1));
    }
}

TEST_CASE("views of unevaluated expressions") {
    auto x = nb::arange<float>(6).reshape({2, 3});
    CHECK(str((x + 1)[1]) == "tensor([4., 5., 6.])");
    CHECK(str((x * 2).T()) == "tensor([[ 0.,  6.],\n        [ 2.,  8.],\n        [ 4., 10.]])");
    CHECK(str((x * 2).slice(1, 1, 3)) == "tensor([[ 2.,  4.],\n        [ 8., 10.]])");
    CHECK(str((x * 2).select(1, 1)) == "tensor([2., 8.])");
    CHECK(str((x * 2).reshape({3, 2})) == "tensor([[ 0.,  2.],\n        [ 4.,  6.],\n        [ 8., 10.]])");
    CHECK(str((x * 2).transpose(0, 1).contiguous()) == "tensor([[ 0.,  6.],\n        [ 2.,  8.],\n        [ 4., 10.]])");
    CHECK((x - x)[1][2].item() == 0.f);
    CHECK_THROWS_WITH_AS((x + 1)[2], "index 2 is out of bounds for dimension 0 with size 2", nb::index_error);
}
