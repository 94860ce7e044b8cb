#pragma once
// Helpers shared by the test files: deterministic inputs and printed text.
#include <nabla/nabla.hpp>

#include <cstdint>
#include <random>
#include <sstream>
#include <string>

namespace nabla_test {

/// Deterministic doubles in [lo, hi), one generator per seed.
inline nabla::tensor<double> uniform(const nabla::shape& s, double lo, double hi, unsigned seed) {
    std::mt19937_64 gen(seed);
    nabla::tensor<double> t = nabla::empty<double>(s);
    for (std::int64_t i = 0; i < t.numel(); ++i) t.data()[i] = lo + (hi - lo) * static_cast<double>(gen() >> 11) * 0x1.0p-53;
    return t;
}

/// What `std::cout << x` prints.
template <class T>
std::string str(const T& x) {
    std::ostringstream os;
    os << x;
    return os.str();
}

}  // namespace nabla_test
