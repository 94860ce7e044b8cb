#pragma once
/// \file tensor.hpp
/// `nabla::tensor<T>`: a cheap handle (like `torch::Tensor`) over shared, reference-counted,
/// 64-byte-aligned storage, with a shape, strides and an offset. Copying a handle shares the data;
/// `clone()` copies it. Views (`reshape`, `T`, `slice`, `select`, `[i]`, ...) share the storage.
/// The handle itself is 24 bytes: a pointer to its layout (storage, shape, strides, offset; shared by the
/// handle's copies and never changed, see core/layout.hpp; a view makes a new one) and its
/// autograd slot. Expression nodes hold tensors by value, so this is what they copy.
///
/// Assignment follows LibTorch: `t = expr` on a named tensor evaluates and rebinds `t`; assigning
/// to a temporary view (`A[0] = e`, `A.slice(0, 1, 3) = 0.f`) writes into the data.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "core/autograd.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/layout.hpp"
#include "core/shape.hpp"
#include "core/storage.hpp"
#include "eval/assign.hpp"
#include "expr/build.hpp"
#include "expr/methods.hpp"

namespace nabla {

/// Tag for factories: `nb::arange(4.0, nb::requires_grad)`.
struct requires_grad_t {
    explicit requires_grad_t() = default;
};
inline constexpr requires_grad_t requires_grad{};

template <element T>
class tensor;

template <expression E>
tensor<value_t<E>> evaluate(const E& e);

/// A tensor of element type T (float, double, int32_t, int64_t or bool). A default-constructed
/// tensor is undefined (`defined()` is false; it prints `None`).
template <element Elem>
class tensor : public expr_methods<tensor<Elem>> {
public:
    using nabla_expression_tag = void;
    using nabla_leaf_tag = void;
    using value_type = Elem;

    /// An undefined tensor.
    tensor() = default;
    /// A 0-d tensor holding `v`: `nb::tensor<float>(1.5f)` prints `tensor(1.5000)`.
    explicit tensor(Elem v) : tensor(nabla::shape{}) { *data() = v; }
    /// Literals, rank 1 to 4: `nb::tensor<int64_t>{{1, 2}, {3, 4}}`. Ragged rows throw `shape_error`.
    template <arithmetic_scalar U> tensor(std::initializer_list<U> l) : tensor(literal_shape<U, 1>(l)) { fill_literal<U, 1>(l); }
    template <arithmetic_scalar U> tensor(std::initializer_list<std::initializer_list<U>> l) : tensor(literal_shape<U, 2>(l)) { fill_literal<U, 2>(l); }
    template <arithmetic_scalar U> tensor(std::initializer_list<std::initializer_list<std::initializer_list<U>>> l) : tensor(literal_shape<U, 3>(l)) { fill_literal<U, 3>(l); }
    template <arithmetic_scalar U> tensor(std::initializer_list<std::initializer_list<std::initializer_list<std::initializer_list<U>>>> l) : tensor(literal_shape<U, 4>(l)) { fill_literal<U, 4>(l); }

    /// Evaluates an expression into a new tensor (implicit when the element types match).
    template <expression E>
        requires(!std::is_same_v<std::remove_cvref_t<E>, tensor>)
    explicit(!std::is_same_v<value_t<E>, Elem>) tensor(const E& e) : tensor(e.shape()) {
        eval::assign(target(), e);
        if constexpr (floating_element<Elem> && floating_element<value_t<E>> && !symbolic<E>)
            if (detail::grad_mode() && any_requires_grad(e)) detail::record_expression(*this, e);
    }

    /// New uninitialised contiguous storage of the given shape (see `nabla::empty`).
    explicit tensor(const nabla::shape& s)
        : layout_(detail::layout_ref::contiguous(static_cast<std::size_t>(s.numel()) * sizeof(Elem), s)) {}
    /// A view over existing storage.
    tensor(nabla::storage st, const nabla::shape& s, const nabla::strides& str, std::int64_t offset)
        : layout_(std::move(st), s, str, offset, sizeof(Elem)) {}

    tensor(const tensor&) = default;
    tensor(tensor&&) noexcept = default;
    ~tensor() = default;

    /// Rebinds this handle (other handles keep the old data).
    tensor& operator=(const tensor&) & = default;
    tensor& operator=(tensor&&) & noexcept = default;
    /// Evaluates `e` and rebinds this handle to the result.
    template <expression E>
        requires(!std::is_same_v<std::remove_cvref_t<E>, tensor>)
    tensor& operator=(const E& e) & {
        return *this = tensor(e);
    }
    /// Writes into a view: `A[0] = B[1];` (broadcasting, converting, alias-safe).
    tensor& operator=(const tensor& e) && { return write(e, true); }
    template <expression E>
        requires(!std::is_same_v<std::remove_cvref_t<E>, tensor>)
    tensor& operator=(const E& e) && {
        return write(e, true);
    }
    /// Fills a view: `A.slice(0, 1, 3) = 0.f;`
    template <arithmetic_scalar S>
    tensor& operator=(S v) && {
        return fill_(v);
    }

    // ---- inspection -------------------------------------------------------------------------
    bool defined() const noexcept { return static_cast<bool>(layout_->storage); }
    const nabla::shape& shape() const noexcept { return layout_->shape; }
    const nabla::strides& strides() const noexcept { return layout_->strides; }
    std::int64_t stride(std::int64_t d) const { return strides()[wrap_index_dim(d, dim())]; }
    std::int64_t offset() const noexcept { return layout_->offset; }
    const nabla::storage& storage() const noexcept { return layout_->storage; }
    /// Handles sharing this one's layout (as LibTorch's `use_count`): copies count, views don't
    /// (a view is its own layout holding one reference to the storage: see `storage().use_count()`).
    std::int64_t use_count() const noexcept { return layout_.use_count(); }
    /// Pointer to the first element (the view's, not the storage's).
    Elem* data() const noexcept { return static_cast<Elem*>(layout_->first); }
    bool is_contiguous() const noexcept { return layout_->contiguous; }
    /// The number of elements (1 for a 0-d tensor).
    std::int64_t numel() const noexcept { return layout_->numel; }
    using expr_methods<tensor>::dim;
    using expr_methods<tensor>::size;

    /// The value of a one-element tensor; throws otherwise, as PyTorch.
    Elem item() const {
        check_defined("item");
        if (numel() != 1)
            throw error("a Tensor with " + std::to_string(numel()) + " elements cannot be converted to Scalar");
        return *data();
    }
    /// A one-element tensor in a condition (`if (b.sum() > 0)`).
    explicit operator bool() const {
        check_defined("bool");
        if (numel() != 1) throw error("Boolean value of Tensor with more than one value is ambiguous");
        return static_cast<bool>(*data());
    }
    /// The tensor itself: tensors are already evaluated.
    const tensor& eval() const noexcept { return *this; }

    // ---- views (no copy) ----------------------------------------------------------------------
    tensor operator[](std::int64_t i) const {
        check_defined("index");
        if (dim() == 0)
            throw index_error("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number");
        const std::int64_t n = shape()[0];
        if (i < -n || i >= n)
            throw index_error("index " + std::to_string(i) + " is out of bounds for dimension 0 with size " + std::to_string(n));
        return select_unchecked(0, i < 0 ? i + n : i);
    }
    /// `select(d, i)`: the slice at index i of dimension d, one dimension fewer (PyTorch's `A[:, i]`).
    tensor select(std::int64_t d, std::int64_t i) const {
        check_defined("select");
        if (dim() == 0) throw index_error("select() cannot be applied to a 0-dim tensor.");
        const int dd = wrap_dim(d, dim());
        const std::int64_t n = shape()[dd];
        if (i < -n || i >= n)
            throw index_error("select(): index " + std::to_string(i) + " out of range for tensor of size " +
                              shape().str() + " at dimension " + std::to_string(dd));
        return select_unchecked(dd, i < 0 ? i + n : i);
    }
    /// `slice(d, start, end, step)`: Python's `A[start:end:step]` along d (bounds clamp, negatives count from the end).
    tensor slice(std::int64_t d, std::int64_t start, std::int64_t end, std::int64_t step = 1) const {
        check_defined("slice");
        if (dim() == 0) throw index_error("slice() cannot be applied to a 0-dim tensor.");
        if (step <= 0) throw error("slice step must be positive");
        const int dd = wrap_dim(d, dim());
        const std::int64_t n = shape()[dd];
        auto clampi = [n](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + n : v, 0, n); };
        start = clampi(start);
        end = std::max(clampi(end), start);
        nabla::shape s = shape();
        nabla::strides st = strides();
        s[dd] = (end - start + step - 1) / step;
        st[dd] *= step;
        return make_view(with_layout(s, st, offset() + start * strides()[dd]), "SliceBackward0", [base = shape(), dd, start, end, step](const tensor& g) {
            tensor z = tensor::zeros_of(base);
            z.slice(dd, start, end, step).copy_(g);
            return z;
        });
    }
    /// Swaps two dimensions.
    tensor transpose(std::int64_t d0, std::int64_t d1) const {
        check_defined("transpose");
        const int a = wrap_dim(d0, dim()), b = wrap_dim(d1, dim());
        nabla::shape s = shape();
        nabla::strides st = strides();
        std::swap(s[a], s[b]);
        std::swap(st[a], st[b]);
        return make_view(with_layout(s, st, offset()), "TransposeBackward0", [a, b](const tensor& g) { return g.transpose(a, b); });
    }
    /// The transpose of a matrix (PyTorch's `.T`: all dimensions reversed).
    tensor T() const {
        check_defined("T");
        nabla::shape order;
        for (int i = dim() - 1; i >= 0; --i) order.push_back(i);
        return permute(order);
    }
    /// `t()`: transpose of a tensor of rank <= 2.
    tensor t() const {
        if (dim() > 2)
            throw error("t() expects a tensor with <= 2 dimensions, but self is " + std::to_string(dim()) + "D");
        return dim() < 2 ? *this : transpose(0, 1);
    }
    /// Reorders the dimensions: `permute({2, 0, 1})`.
    tensor permute(const nabla::shape& order) const {
        check_defined("permute");
        if (order.size() != dim())
            throw error("permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = " +
                        std::to_string(dim()) + " is not equal to len(dims) = " + std::to_string(order.size()));
        nabla::shape s = shape();
        nabla::strides st = strides();
        bool seen[NABLA_MAX_RANK] = {};
        nabla::shape inverse = nabla::shape::filled(dim(), 0);
        for (int i = 0; i < dim(); ++i) {
            const int d = wrap_dim(order[i], dim());
            if (seen[d]) throw error("permute(): duplicate dims are not allowed.");
            seen[d] = true;
            inverse[d] = i;
            s[i] = shape()[d];
            st[i] = strides()[d];
        }
        return make_view(with_layout(s, st, offset()), "PermuteBackward0", [inverse](const tensor& g) { return g.permute(inverse); });
    }
    /// A tensor with the same elements and a new shape; one extent may be -1 (inferred). A view
    /// when the strides allow it, a copy otherwise (as PyTorch's `reshape`).
    tensor reshape(const nabla::shape& s) const {
        check_defined("reshape");
        const nabla::shape target_shape = infer_shape(s);
        nabla::strides st;
        if (view_strides(target_shape, st)) {
            return make_view(with_layout(target_shape, st, offset()), "ViewBackward0", [base = shape()](const tensor& g) { return g.reshape(base); });
        }
        return make_view(contiguous_copy().reshape(target_shape), "ReshapeAliasBackward0",
                         [base = shape()](const tensor& g) { return g.reshape(base); });
    }
    template <std::integral... I>
    tensor reshape(I... extents) const {
        return reshape(nabla::shape{static_cast<std::int64_t>(extents)...});
    }

    // ---- copies ---------------------------------------------------------------------------------
    /// A contiguous copy with its own storage.
    tensor clone() const {
        check_defined("clone");
        return make_view(contiguous_copy(), "CloneBackward0", [](const tensor& g) { return g; });
    }
    /// This tensor if contiguous, else a contiguous copy.
    tensor contiguous() const { return is_contiguous() ? *this : clone(); }
    /// A copy converted to element type U.
    template <element U>
    tensor<U> to() const {
        check_defined("to");
        tensor<U> c(shape());
        eval::assign(c.target(), *this);
        return c;
    }
    /// Converting copy: `tensor<double>(float_tensor)`.
    template <element U>
        requires(!std::is_same_v<U, Elem>)
    explicit tensor(const tensor<U>& o) : tensor(o.template to<Elem>()) {}

    // ---- writes into the existing data --------------------------------------------------------
    /// Writes `e` (broadcast to this shape, converted to Elem) into this tensor's elements. Correct when
    /// `e` reads this tensor's memory through another view; same-position reads stay in place.
    template <expression E>
    tensor& copy_(const E& e) {
        return write(e, false);
    }
    template <arithmetic_scalar S>
    tensor& fill_(S v) {
        check_defined("fill_");
        check_writable();
        eval::assign(target(), scalar<Elem>{static_cast<Elem>(v)});
        return *this;
    }
    tensor& zero_() { return fill_(Elem(0)); }
    template <operand E> tensor& operator+=(const E& e) { return copy_(*this + e); }
    template <operand E> tensor& operator-=(const E& e) { return copy_(*this - e); }
    template <operand E> tensor& operator*=(const E& e) { return copy_(*this * e); }
    template <operand E> tensor& operator/=(const E& e) {
        static_assert(std::is_floating_point_v<Elem>,
                      "nabla: t /= x needs a floating tensor: true division gives a float result that an integer tensor cannot hold (as in PyTorch)");
        return copy_(*this / e);
    }

    /// The kernels' view of this tensor as a destination.
    eval::target<Elem> target() const noexcept { return {data(), shape(), strides()}; }

    // ---- autograd slot ------------------------------------------------------------------------
    bool requires_grad() const noexcept { return meta_ && meta_->requires_grad; }
    /// Marks this tensor (and the handles copied from it afterwards) as requiring gradients.
    tensor& requires_grad_(bool on = true) {
        static_assert(floating_element<Elem>,
                      "nabla: only floating point tensors can require gradients (as in PyTorch); convert with .to<float>() first");
        if (!meta_) meta_ = detail::make_meta();
        meta_->requires_grad = on;
        return *this;
    }
    /// The accumulated gradient: undefined (prints `None`) until a backward pass reaches this tensor.
    tensor grad() const {
        if (!meta_ || !meta_->grad) return tensor();
        return *static_cast<const tensor*>(meta_->grad.get());
    }
    /// The name of the node that produced this tensor ("" for leaves and untracked tensors).
    std::string_view grad_fn_name() const noexcept { return meta_ ? meta_->grad_fn_name : std::string_view{}; }
    const detail::meta_ref& autograd() const noexcept { return meta_; }
    detail::meta_ref& autograd() noexcept { return meta_; }

    /// True for tensors created by the user (not by a recorded operation).
    bool is_leaf() const noexcept { return !meta_ || !meta_->grad_fn; }
    /// A handle sharing this tensor's data, cut from the graph (PyTorch's `detach()`).
    tensor detach() const {
        tensor v = *this;
        v.meta_.reset();
        return v;
    }

    /// True when some leaf of `e` requires grad.
    template <class E>
    static bool any_requires_grad(const E& e) {
        bool any = false;
        eval::for_each_leaf(e, [&](const auto& l) { any = any || l.requires_grad(); });
        return any;
    }

private:
    // A handle viewing this tensor's storage with another shape, strides and offset (no autograd slot).
    tensor with_layout(const nabla::shape& s, const nabla::strides& st, std::int64_t offset) const {
        return tensor(storage(), s, st, offset);
    }
    // A view of this tensor: shares the storage; on the tape when this tensor requires grad.
    template <class F>
    tensor make_view(tensor v, std::string_view name, F backward_map) const {
        v.meta_.reset();
        if constexpr (floating_element<Elem>)
            if (requires_grad() && detail::grad_mode()) detail::record_view(v, *this, name, std::move(backward_map));
        return v;
    }
    // copy_ and assignment to a view: check everything, then write (nothing is half-written).
    template <class E>
    tensor& write(const E& e, bool as_view_assignment) {
        check_defined("copy_");
        check_writable();
        eval::for_each_leaf(e, [](const auto& l) {
            if (!l.defined()) throw error("Expected a proper Tensor but got an undefined Tensor");
        });
        // The common case first: this tensor and every leaf contiguous with this shape. Then the
        // shapes match, elements pair up by position, and the only alias to rule out is a leaf
        // whose elements overlap ours at other positions (two byte ranges; same start is in place).
        if (is_contiguous() && eval::flat_leaves(shape(), e) && !overlaps_shifted(e)) {
            if (const std::int64_t n = numel(); n != 0) eval::assign_flat(data(), e, n);
            return *this;
        }
        if (!broadcasts_to(e.shape(), shape()))
            throw shape_error(as_view_assignment ? expand_message(e.shape()) : copy_message(e.shape()));
        if (overlaps_differently(e)) {
            const tensor<value_t<E>> tmp(e);
            eval::assign(target(), tmp);
        } else {
            eval::assign(target(), e);
        }
        return *this;
    }
    std::string copy_message(const nabla::shape& from) const {
        const nabla::shape b = broadcast_shapes(shape(), from);  // throws PyTorch's size mismatch message
        return "output with shape " + shape().str() + " doesn't match the broadcast shape " + b.str();
    }
    // In-place writes are refused where PyTorch refuses them (a leaf that requires grad) and where
    // nabla's tape cannot follow them (a recorded intermediate).
    void check_writable() const {
        if (!meta_ || !meta_->requires_grad || !detail::grad_mode()) return;
        if (is_leaf())
            throw autograd_error("a leaf Variable that requires grad is being used in an in-place operation.");
        throw autograd_error("in-place operations on tensors recorded by autograd are not supported by nabla; write t = expr instead");
    }
    void check_defined(const char* what) const {
        if (!defined()) throw error(std::string(what) + "(): the tensor is undefined");
    }
    tensor select_unchecked(int d, std::int64_t i) const {
        nabla::shape s = shape();
        nabla::strides st = strides();
        s.erase(d);
        st.erase(d);
        return make_view(with_layout(s, st, offset() + i * strides()[d]), "SelectBackward0", [base = shape(), d, i](const tensor& g) {
            tensor z = tensor::zeros_of(base);
            z.select(d, i).copy_(g);
            return z;
        });
    }
    static tensor zeros_of(const nabla::shape& s) {
        tensor z(s);
        eval::assign(z.target(), scalar<Elem>{Elem(0)});
        return z;
    }
    // A contiguous copy, not recorded (reshape records the copy and the view as one step).
    tensor contiguous_copy() const {
        tensor c(shape());
        eval::assign(c.target(), *this);
        return c;
    }
    std::string expand_message(const nabla::shape& from) const {
        if (from.size() > shape().size()) {
            constexpr std::string_view type_name = std::is_same_v<Elem, float>          ? "torch.FloatTensor"
                                                   : std::is_same_v<Elem, double>       ? "torch.DoubleTensor"
                                                   : std::is_same_v<Elem, std::int32_t> ? "torch.IntTensor"
                                                   : std::is_same_v<Elem, std::int64_t> ? "torch.LongTensor"
                                                                                        : "torch.BoolTensor";
            return "expand(" + std::string(type_name) + "{" + from.str() + "}, size=" + shape().str() +
                   "): the number of sizes provided (" + std::to_string(shape().size()) +
                   ") must be greater or equal to the number of dimensions in the tensor (" + std::to_string(from.size()) + ")";
        }
        for (int i = 0; i < from.size(); ++i) {
            const int j = shape().size() - from.size() + i;
            const std::int64_t want = j >= 0 ? shape()[j] : 1;
            if (from[i] != 1 && from[i] != want)
                return "The expanded size of the tensor (" + std::to_string(want) + ") must match the existing size (" +
                       std::to_string(from[i]) + ") at non-singleton dimension " + std::to_string(j) +
                       ".  Target sizes: " + shape().str() + ".  Tensor sizes: " + from.str();
        }
        return "expand(" + shape().str() + ", size=" + from.str() +
               "): the number of sizes provided must be greater or equal to the number of dimensions in the tensor";
    }
    nabla::shape infer_shape(const nabla::shape& s) const {
        std::int64_t known = 1;
        int infer = -1;
        for (int i = 0; i < s.size(); ++i) {
            if (s[i] == -1) {
                if (infer >= 0) throw shape_error("only one dimension can be inferred");
                infer = i;
            } else if (s[i] < 0) {
                throw shape_error("invalid shape dimension " + std::to_string(s[i]));
            } else {
                known *= s[i];
            }
        }
        nabla::shape out = s;
        const std::int64_t n = numel();
        if (infer >= 0 && known == 0)
            throw shape_error("cannot reshape tensor of 0 elements into shape " + s.str() +
                              " because the unspecified dimension size -1 can be any value and is ambiguous");
        if (infer >= 0 && known != 0 && n % known == 0) out[infer] = n / known;
        else if (infer >= 0 || known != n)
            throw shape_error("shape '" + s.str() + "' is invalid for input of size " + std::to_string(n));
        return out;
    }
    // PyTorch's computeStride: strides viewing this tensor's elements with the new shape, if possible.
    bool view_strides(const nabla::shape& ns, nabla::strides& out) const {
        out = nabla::shape::filled(ns.size(), 0);
        if (numel() == 0 || is_contiguous()) {
            out = contiguous_strides(ns);
            return true;
        }
        int view_d = ns.size() - 1;
        std::int64_t chunk_base_stride = strides().size() ? strides().back() : 1;
        std::int64_t tensor_numel = 1, view_numel = 1;
        for (int d = shape().size() - 1; d >= 0; --d) {
            tensor_numel *= shape()[d];
            if (d == 0 || (shape()[d - 1] != 1 && strides()[d - 1] != tensor_numel * chunk_base_stride)) {
                while (view_d >= 0 && (view_numel < tensor_numel || ns[view_d] == 1)) {
                    out[view_d] = view_numel * chunk_base_stride;
                    view_numel *= ns[view_d];
                    --view_d;
                }
                if (view_numel != tensor_numel) return false;
                if (d > 0) {
                    chunk_base_stride = strides()[d - 1];
                    tensor_numel = 1;
                    view_numel = 1;
                }
            }
        }
        return view_d == -1;
    }
    // For the flat case (all contiguous, one shape): true when a leaf overlaps this tensor's
    // elements other than element-for-element in place.
    template <class E>
    bool overlaps_shifted(const E& e) const noexcept {
        const char* const lo = reinterpret_cast<const char*>(data());
        const char* const hi = lo + numel() * static_cast<std::int64_t>(sizeof(Elem));
        bool clash = false;
        eval::for_each_leaf(e, [&](const auto& l) {
            using L = std::remove_cvref_t<decltype(l)>;
            const char* const llo = reinterpret_cast<const char*>(l.data());
            const char* const lhi = llo + l.numel() * static_cast<std::int64_t>(sizeof(value_t<L>));
            if (lhi <= lo || hi <= llo) return;
            clash = clash || !(std::is_same_v<value_t<L>, Elem> && llo == lo);
        });
        return clash;
    }
    // True when `e` reads memory this tensor writes, other than element-for-element in place.
    template <class E>
    bool overlaps_differently(const E& e) const {
        const auto [lo, hi] = byte_range(data(), shape(), strides());
        bool clash = false;
        eval::for_each_leaf(e, [&](const auto& l) {
            const auto [llo, lhi] = byte_range(l.data(), l.shape(), l.strides());
            if (clash || lhi <= lo || hi <= llo) return;
            using L = std::remove_cvref_t<decltype(l)>;
            const bool same_position = std::is_same_v<value_t<L>, Elem> &&
                                       static_cast<const void*>(l.data()) == static_cast<const void*>(data()) &&
                                       broadcast_strides(l.shape(), l.strides(), shape()) == strides();
            clash = !same_position;
        });
        return clash;
    }
    template <class U>
    static std::pair<const char*, const char*> byte_range(const U* p, const nabla::shape& s, const nabla::strides& st) {
        if (s.numel() == 0) return {nullptr, nullptr};
        std::int64_t lo = 0, hi = 0;
        for (int i = 0; i < s.size(); ++i) (st[i] < 0 ? lo : hi) += (s[i] - 1) * st[i];
        return {reinterpret_cast<const char*>(p + lo), reinterpret_cast<const char*>(p + hi + 1)};
    }
    template <class U, int R, class L>
    static nabla::shape literal_shape(const L& l) {
        nabla::shape s;
        measure<R>(l, s, 0);
        return s;
    }
    template <int R, class L>
    static void measure(const L& l, nabla::shape& s, int depth) {
        const auto n = static_cast<std::int64_t>(l.size());
        if (s.size() == depth) s.push_back(n);
        else if (s[depth] != n)
            throw shape_error("expected sequence of length " + std::to_string(s[depth]) + " at dim " + std::to_string(depth) +
                              " (got " + std::to_string(n) + ")");
        if constexpr (R > 1) {
            if (n == 0) for (int d = depth + 1; d < R; ++d) s.push_back(0);
            for (const auto& sub : l) measure<R - 1>(sub, s, depth + 1);
        }
    }
    template <class U, int R, class L>
    void fill_literal(const L& l) {
        Elem* p = data();
        fill_from<R>(l, p);
    }
    template <int R, class L>
    static void fill_from(const L& l, Elem*& p) {
        for (const auto& x : l) {
            if constexpr (R == 1) *p++ = static_cast<Elem>(x);
            else fill_from<R - 1>(x, p);
        }
    }

    template <element U> friend class tensor;

    detail::meta_ref meta_;      // the autograd slot: null unless the tensor requires grad or was recorded
    detail::layout_ref layout_;  // storage, shape, strides, offset: shared by copies, never changed
};

template <arithmetic_scalar U> tensor(std::initializer_list<U>) -> tensor<default_element_t<U>>;
template <arithmetic_scalar U> tensor(std::initializer_list<std::initializer_list<U>>) -> tensor<default_element_t<U>>;
template <arithmetic_scalar U> tensor(std::initializer_list<std::initializer_list<std::initializer_list<U>>>) -> tensor<default_element_t<U>>;
template <arithmetic_scalar U> tensor(std::initializer_list<std::initializer_list<std::initializer_list<std::initializer_list<U>>>>) -> tensor<default_element_t<U>>;

/// Evaluates any expression into a new tensor: one fused loop, no temporaries.
template <expression E>
tensor<value_t<E>> evaluate(const E& e) {
    return tensor<value_t<E>>(e);
}

/// The length of the first dimension, as Python's `len`.
template <expression E>
std::int64_t len(const E& e) {
    if (e.shape().size() == 0) throw error("len() of a 0-d tensor");
    return e.shape()[0];
}

}  // namespace nabla
