// expect: nabla::grad(f)(x...): f must return a scalar
// grad of a function whose result is not a scalar does not compile; its twin (NABLA_TWIN) does.
#include <nabla/nabla.hpp>

int main() {
    nabla::tensor<double> x{1.0, 2.0};
#ifdef NABLA_TWIN
    auto g = nabla::grad([](auto p) { return (p * p).sum(); })(x);
#else
    auto g = nabla::grad([](auto p) { return p * p; })(x);
#endif
    (void)g;
}
