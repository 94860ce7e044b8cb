// expect: nabla::grad(f)(x...): every argument must be a float or double tensor
// Integer arguments have no gradient (as in PyTorch); the twin passes doubles.
#include <nabla/nabla.hpp>

int main() {
#ifdef NABLA_TWIN
    nabla::tensor<double> x{1.0, 2.0};
#else
    nabla::tensor<std::int64_t> x{1, 2};
#endif
    auto g = nabla::grad([](auto p) { return (p * p).sum(); })(x);
    (void)g;
}
