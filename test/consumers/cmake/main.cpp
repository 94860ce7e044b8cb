// Packaging check: a program that gets nabla through CMake (find_package(nabla) + nabla::nabla).
// Prints a tensor and the SIMD instruction set, checks values and the version macros;
// exits non-zero on any mismatch. Built and run by .ci/run.
#include <nabla/nabla.hpp>
#include <nabla/version.hpp>

#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

namespace nb = nabla;

static_assert(NABLA_VERSION_MAJOR >= 0 && NABLA_VERSION_MINOR >= 0 && NABLA_VERSION_PATCH >= 0);

int main() {
    int failures = 0;
    auto check = [&](bool ok, const std::string& what) {
        if (!ok) {
            std::cerr << "FAILED: " << what << '\n';
            ++failures;
        }
    };

    nb::tensor<float> t = nb::arange<float>(4);
    std::ostringstream printed;
    printed << t;
    std::cout << "nabla " << NABLA_VERSION_STRING << ", SIMD: " << nb::simd_arch_name() << '\n'
              << printed.str() << '\n';

    check(printed.str() == "tensor([0., 1., 2., 3.])", "std::cout << arange<float>(4) printed '" + printed.str() + "'");
    check(t.numel() == 4, "arange<float>(4).numel() == 4");
    check(std::strlen(nb::simd_arch_name()) > 0, "simd_arch_name() is not empty");

    const std::string version = NABLA_VERSION_STRING;
    check(version == std::to_string(NABLA_VERSION_MAJOR) + "." + std::to_string(NABLA_VERSION_MINOR) + "." +
                         std::to_string(NABLA_VERSION_PATCH),
          "NABLA_VERSION_STRING agrees with NABLA_VERSION_MAJOR/MINOR/PATCH");
#ifdef NABLA_EXPECTED_VERSION
    // The version the build system reported for the package (Meson dependency, pkg-config
    // --modversion, CMake nabla_VERSION) must be the one in the header it compiled against.
    check(version == NABLA_EXPECTED_VERSION,
          std::string("header version ") + version + " == package version " + NABLA_EXPECTED_VERSION);
    check(NABLA_VERSION_MAJOR == std::stoi(NABLA_EXPECTED_VERSION), "NABLA_VERSION_MAJOR matches the package's major version");
#endif

    if (failures == 0) std::cout << "consumer OK\n";
    return failures == 0 ? 0 : 1;
}
