// expect: nabla::hessian(f)(x): f must be generic
// hessian runs f on dual numbers: a function of nabla::tensor<double> cannot take them.
#include <nabla/nabla.hpp>

int main() {
    nabla::tensor<double> x{1.0, 2.0};
#ifdef NABLA_TWIN
    auto h = nabla::hessian([](auto p) { return (p * p * p).sum(); })(x);
#else
    auto h = nabla::hessian([](nabla::tensor<double> p) { return nabla::tensor<double>((p * p * p).sum()); })(x);
#endif
    (void)h;
}
