#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace nabla::io {

/// The knobs of PyTorch's `torch.set_printoptions`, with PyTorch's defaults.
/// `threshold`: more elements than this and every dimension longer than `2 * edgeitems`
/// is summarised to its first and last `edgeitems` entries around `...`.
struct print_options {
    int precision = 4;
    std::int64_t threshold = 1000;
    std::int64_t edgeitems = 3;
    int linewidth = 80;
};

/// Autograd state shown after the values. `grad_fn` is the bare node name (`"MulBackward0"`,
/// printed as `grad_fn=<MulBackward0>`); when it is non-empty it wins over `requires_grad`,
/// as in PyTorch. The view must outlive the call only.
struct print_suffix {
    bool requires_grad = false;
    std::string_view grad_fn{};
};

namespace detail {

template <class T>
inline constexpr bool is_print_element_v =
    std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int32_t> ||
    std::is_same_v<T, std::int64_t> || std::is_same_v<T, bool>;

template <class T>
constexpr std::string_view dtype_name() {
    if constexpr (std::is_same_v<T, float>) return "float32";
    else if constexpr (std::is_same_v<T, double>) return "float64";
    else if constexpr (std::is_same_v<T, std::int32_t>) return "int32";
    else if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
    else return "bool";
}

// PyTorch omits the dtype of a non-empty tensor of these; an empty one shows all but float32.
template <class T>
inline constexpr bool is_unsuffixed_dtype_v =
    std::is_same_v<T, float> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, bool>;

/// Appends Python's `'{:.<precision>f}'` (fixed) or `'{:.<precision>e}'` (scientific) of `v`:
/// correctly rounded, ties to even, locale independent, and `nan` whatever its sign bit.
inline void append_python_float(std::string& out, double v, std::chars_format fmt, int precision) {
    if (std::isnan(v)) {
        out += "nan";
        return;
    }
    if (std::isinf(v)) {
        out += v < 0 ? "-inf" : "inf";
        return;
    }
    char buf[128];
    auto res = std::to_chars(buf, buf + sizeof buf, v, fmt, precision);
    if (res.ec == std::errc{}) {
        out.append(buf, res.ptr);
        return;
    }
    // Only fixed notation of huge values or a huge precision lands here.
    std::string big(static_cast<std::size_t>(precision) + 400, '\0');
    res = std::to_chars(big.data(), big.data() + big.size(), v, fmt, precision);
    out.append(big.data(), res.ptr);
}

inline void append_integer(std::string& out, std::int64_t v) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, res.ptr);
}

/// The strided view being printed plus the summarisation decision; walks exactly the
/// elements PyTorch prints, which are also the ones `get_summarized_data` keeps.
template <class T>
struct view_walk {
    std::span<const std::int64_t> sizes;
    std::span<const std::int64_t> strides;
    bool summarize = false;
    std::int64_t edge = 3;

    bool is_cut(std::size_t d) const { return summarize && sizes[d] > 2 * edge; }

    // Python slices `t[-0:]` as the whole row, so edgeitems == 0 prints every element of the
    // innermost dimension after the `...`; outer dimensions use `range(len - 0, len)`, empty.
    std::int64_t tail_begin(std::size_t d) const {
        return (edge == 0 && d + 1 == sizes.size()) ? 0 : sizes[d] - edge;
    }

    template <class F>
    void for_each(const T* p, std::size_t d, F& f) const {
        if (d == sizes.size()) {
            f(*p);
            return;
        }
        const auto visit = [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) for_each(p + i * strides[d], d + 1, f);
        };
        if (is_cut(d)) {
            visit(0, edge);
            visit(tail_begin(d), sizes[d]);
        } else {
            visit(0, sizes[d]);
        }
    }
};

/// PyTorch's `_Formatter`: one width and one notation for the whole tensor, decided from the
/// printed elements (widened to double, as Python's `float` does for float32).
template <class T>
class element_formatter {
public:
    element_formatter(const view_walk<T>& walk, const T* first, int precision) : precision_(precision) {
        if constexpr (std::is_floating_point_v<T>) {
            scan_floats(walk, first);
        } else {
            auto widen = [&](T v) {
                scratch_.clear();
                append_raw(scratch_, v);
                width_ = std::max(width_, scratch_.size());
            };
            walk.for_each(first, 0, widen);
        }
    }

    std::size_t width() const { return width_; }

    /// Appends `v` right-aligned to the common width (longer strings, e.g. `nan` beside
    /// one-digit integers, are not cut: PyTorch only pads).
    void append(std::string& out, T v) {
        scratch_.clear();
        append_raw(scratch_, v);
        if (scratch_.size() < width_) out.append(width_ - scratch_.size(), ' ');
        out += scratch_;
    }

private:
    void append_raw(std::string& out, T v) const {
        if constexpr (std::is_same_v<T, bool>) {
            out += v ? "True" : "False";
        } else if constexpr (std::is_integral_v<T>) {
            append_integer(out, static_cast<std::int64_t>(v));
        } else {
            const double x = static_cast<double>(v);
            if (sci_mode_) {
                append_python_float(out, x, std::chars_format::scientific, precision_);
            } else if (int_mode_) {
                append_python_float(out, x, std::chars_format::fixed, 0);
                if (std::isfinite(x)) out += '.';
            } else {
                append_python_float(out, x, std::chars_format::fixed, precision_);
            }
        }
    }

    void scan_floats(const view_walk<T>& walk, const T* first) {
        bool any = false;
        double lo = 0.0;
        double hi = 0.0;
        auto stats = [&](T v) {
            const double x = static_cast<double>(v);
            if (!std::isfinite(x) || x == 0.0) return;
            const double a = std::fabs(x);
            lo = any ? std::min(lo, a) : a;
            hi = any ? std::max(hi, a) : a;
            any = true;
            if (x != std::ceil(x)) int_mode_ = false;
        };
        walk.for_each(first, 0, stats);
        if (!any) return;  // only zeros and non-finite values: int mode, width 1

        // PyTorch's thresholds; the ratio is a double division, as in `max / min > 1000.0`.
        sci_mode_ = hi / lo > 1000.0 || hi > 1.0e8 || (!int_mode_ && lo < 1.0e-4);
        // Trailing '.' of int mode counts in the width; nan/inf/0 never count.
        const std::size_t extra = (int_mode_ && !sci_mode_) ? 1 : 0;
        auto widen = [&](T v) {
            const double x = static_cast<double>(v);
            if (!std::isfinite(x) || x == 0.0) return;
            scratch_.clear();
            if (sci_mode_) append_python_float(scratch_, x, std::chars_format::scientific, precision_);
            else append_python_float(scratch_, x, std::chars_format::fixed, int_mode_ ? 0 : precision_);
            width_ = std::max(width_, scratch_.size() + extra);
        };
        walk.for_each(first, 0, widen);
    }

    int precision_;
    bool int_mode_ = true;
    bool sci_mode_ = false;
    std::size_t width_ = 1;
    std::string scratch_;
};

/// `_tensor_str_with_formatter` and `_vector_str`, appending into one string.
template <class T>
class body_printer {
public:
    body_printer(const view_walk<T>& walk, element_formatter<T>& fmt, const print_options& opt, std::string& out)
        : walk_(walk), fmt_(fmt), opt_(opt), out_(out) {}

    void print(const T* p, std::size_t d, std::int64_t indent) {
        const std::size_t rank = walk_.sizes.size();
        if (d == rank) {
            fmt_.append(out_, *p);
        } else if (d + 1 == rank) {
            print_row(p, d, indent);
        } else {
            print_block(p, d, indent);
        }
    }

private:
    void print_row(const T* p, std::size_t d, std::int64_t indent) {
        // Each item takes width + ", "; Python floors (linewidth - indent) / that, at least 1.
        const auto item = static_cast<std::int64_t>(fmt_.width()) + 2;
        const std::int64_t room = opt_.linewidth - indent;
        const std::int64_t per_line = std::max<std::int64_t>(1, room > 0 ? room / item : 0);
        std::int64_t count = 0;
        const auto separate = [&] {
            if (count > 0) {
                if (count % per_line == 0) {
                    out_ += ",\n";
                    out_.append(static_cast<std::size_t>(indent + 1), ' ');
                } else {
                    out_ += ", ";
                }
            }
            ++count;
        };
        const auto items = [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                separate();
                fmt_.append(out_, p[i * walk_.strides[d]]);
            }
        };
        out_ += '[';
        if (walk_.is_cut(d)) {
            items(0, walk_.edge);
            separate();
            out_ += " ...";  // a list item of its own, so it takes part in line breaking
            items(walk_.tail_begin(d), walk_.sizes[d]);
        } else {
            items(0, walk_.sizes[d]);
        }
        out_ += ']';
    }

    void print_block(const T* p, std::size_t d, std::int64_t indent) {
        // Rank-k blocks are separated by k-1 newlines: blank lines between matrices.
        const std::size_t newlines = walk_.sizes.size() - d - 1;
        bool first = true;
        const auto separate = [&] {
            if (!first) {
                out_ += ',';
                out_.append(newlines, '\n');
                out_.append(static_cast<std::size_t>(indent + 1), ' ');
            }
            first = false;
        };
        const auto slices = [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                separate();
                print(p + i * walk_.strides[d], d + 1, indent + 1);
            }
        };
        out_ += '[';
        if (walk_.is_cut(d)) {
            slices(0, walk_.edge);
            separate();
            out_ += "...";
            slices(walk_.tail_begin(d), walk_.sizes[d]);
        } else {
            slices(0, walk_.sizes[d]);
        }
        out_ += ']';
    }

    const view_walk<T>& walk_;
    element_formatter<T>& fmt_;
    const print_options& opt_;
    std::string& out_;
};

struct suffix_item {
    std::string text;
    std::size_t layout_length;  // the length PyTorch's own text has, which drives wrapping
};

/// PyTorch's `_add_suffixes`: a suffix goes on a new line, indented, when the current line
/// (measured PyTorch's way, two more than its length) would pass the line width.
inline void add_suffixes(std::string& out, const std::vector<suffix_item>& suffixes, std::int64_t indent,
                         int linewidth) {
    const auto nl = out.rfind('\n');
    auto last_line = static_cast<std::int64_t>(nl == std::string::npos ? out.size() + 2 : out.size() - nl + 1);
    for (const auto& s : suffixes) {
        const auto len = static_cast<std::int64_t>(s.layout_length);
        if (last_line + len + 2 > linewidth) {
            out += ",\n";
            out.append(static_cast<std::size_t>(indent), ' ');
            last_line = indent + len;
        } else {
            out += ", ";
            last_line += len + 2;
        }
        out += s.text;
    }
    out += ')';
}

template <class T>
suffix_item dtype_suffix() {
    std::string text = "dtype=";
    text += dtype_name<T>();
    // PyTorch writes `dtype=torch.float64`; nabla drops `torch.` but keeps PyTorch's line breaks.
    const std::size_t torch_length = text.size() + std::string_view("torch.").size();
    return {std::move(text), torch_length};
}

inline std::string size_tuple(std::span<const std::int64_t> sizes) {
    std::string s = "(";
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        if (i > 0) s += ", ";
        append_integer(s, sizes[i]);
    }
    if (sizes.size() == 1) s += ',';
    s += ')';
    return s;
}

template <class T>
std::string render(const T* first, std::span<const std::int64_t> sizes, std::span<const std::int64_t> strides,
                   const print_suffix& sfx, const print_options& opt) {
    if (sizes.size() != strides.size())
        throw std::invalid_argument("format_tensor: sizes and strides must have the same length");
    if (opt.precision < 0 || opt.edgeitems < 0)
        throw std::invalid_argument("format_tensor: precision and edgeitems must be non-negative");
    std::int64_t numel = 1;
    bool empty = false;
    for (const auto n : sizes) {
        if (n < 0) throw std::invalid_argument("format_tensor: negative size");
        empty = empty || n == 0;
        // Broadcast views can describe more elements than int64 counts; saturate, only the
        // comparison with the threshold needs the number.
        constexpr auto most = std::numeric_limits<std::int64_t>::max();
        numel = (n != 0 && numel > most / n) ? most : numel * n;
    }
    if (empty) numel = 0;
    if (numel > 0 && first == nullptr) throw std::invalid_argument("format_tensor: null data for a non-empty view");

    constexpr std::string_view prefix = "tensor(";
    constexpr auto indent = static_cast<std::int64_t>(prefix.size());
    std::string out(prefix);
    std::vector<suffix_item> suffixes;

    if (numel == 0) {
        out += "[]";
        if (sizes.size() != 1) {
            std::string text = "size=" + size_tuple(sizes);
            const std::size_t n = text.size();
            suffixes.push_back({std::move(text), n});
        }
        // No element tells an empty tensor's kind, so every non-default dtype is shown.
        if constexpr (!std::is_same_v<T, float>) suffixes.push_back(dtype_suffix<T>());
    } else {
        const view_walk<T> walk{sizes, strides, numel > opt.threshold, opt.edgeitems};
        element_formatter<T> fmt(walk, first, opt.precision);
        body_printer<T>(walk, fmt, opt, out).print(first, 0, indent);
        if constexpr (!is_unsuffixed_dtype_v<T>) suffixes.push_back(dtype_suffix<T>());
    }

    if (!sfx.grad_fn.empty()) {
        std::string text = "grad_fn=<";
        text += sfx.grad_fn;
        text += '>';
        const std::size_t n = text.size();
        suffixes.push_back({std::move(text), n});
    } else if (sfx.requires_grad) {
        suffixes.push_back({"requires_grad=True", std::string_view("requires_grad=True").size()});
    }
    add_suffixes(out, suffixes, indent, opt.linewidth);
    return out;
}

}  // namespace detail

/// Writes exactly what PyTorch 1.13 prints for the tensor viewed by (`first`, `sizes`, `strides`),
/// except that a dtype is written `dtype=float64` rather than `dtype=torch.float64`.
/// `strides` are in elements (0 for broadcast dimensions; transposed and sliced views are fine);
/// `first` points at element [0, ..., 0] and is only read during the call. When the view has
/// more than `opt.threshold` elements only the printed elements are read.
/// Throws `std::invalid_argument` for mismatched `sizes`/`strides` or negative sizes.
/// Example: `float v[] = {0, 1, 2, 3}; std::int64_t n[] = {4}, s[] = {1};`
/// `format_tensor<float>(std::cout, v, n, s);` prints `tensor([0., 1., 2., 3.])`.
template <class T>
void format_tensor(std::ostream& os, const T* first, std::span<const std::int64_t> sizes,
                   std::span<const std::int64_t> strides, const print_suffix& sfx = {},
                   const print_options& opt = {}) {
    static_assert(detail::is_print_element_v<T>,
                  "nabla::io::format_tensor(os, first, sizes, strides) requires T to be float, double, "
                  "std::int32_t, std::int64_t or bool");
    os << detail::render(first, sizes, strides, sfx, opt);
}

/// Writes what Python prints for a missing tensor (e.g. a gradient before any backward): `None`.
inline void format_undefined(std::ostream& os) { os << "None"; }

}  // namespace nabla::io
