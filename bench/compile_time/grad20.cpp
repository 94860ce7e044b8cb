// Compile-time probe for nb::grad (issue 6): the gradient of a 20-op element-wise expression
// ending in a reduction, differentiated by the static reverse pass. Not built by Meson (bench/
// globs only its top level); time it by hand from the repository root:
//   time g++ -std=c++20 -O2 -march=native -Iinclude -c bench/compile_time/grad20.cpp -o /dev/null
// and compare with bench/compile_time/grad20.cpp -DNO_GRAD (the same expression, evaluated only).
#include <nabla/nabla.hpp>

namespace nb = nabla;

nb::tensor<double> run(const nb::tensor<double>& x, const nb::tensor<double>& y) {
    // 20 element-wise operations (7 functions, 13 arithmetic operators), one reduction
    auto f = [](auto a, auto b) {
        return (nb::exp(a) * b + nb::sin(a) * 2.0 - nb::sqrt(b) / 3.0 + nb::tanh(a * b) -
                nb::log(b + 1.0) * nb::cos(a) + nb::sigmoid(a) - a * a)
            .sum();
    };
#ifdef NO_GRAD
    return f(x, y);
#else
    auto [ga, gb] = nb::grad(f)(x, y);
    return ga + gb;
#endif
}
