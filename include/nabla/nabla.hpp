#pragma once
/// \file nabla.hpp
/// The one header users include: tensors, lazy fused element-wise expressions, reductions,
/// linear algebra, printing, factories, random numbers and automatic differentiation.
///
///     #include <nabla/nabla.hpp>
///     namespace nb = nabla;
///     auto x = nb::arange<float>(4);
///     std::cout << nb::exp(x) * 2 + x << '\n';   // one fused SIMD loop

#include "core/config.hpp"
#include "core/dtype.hpp"
#include "core/error.hpp"
#include "core/shape.hpp"
#include "core/storage.hpp"
#include "eval/simd.hpp"
#include "expr/build.hpp"
#include "tensor.hpp"
#include "factories.hpp"
#include "random.hpp"
#include "compare.hpp"
#include "reductions.hpp"
#include "linalg/products.hpp"
#include "linalg/norm.hpp"
#include "io/print.hpp"
#include "autodiff/tape.hpp"
#include "autodiff/products.hpp"
#include "autodiff/backward.hpp"
#include "autodiff/gradcheck.hpp"
#include "autodiff/grad.hpp"
#include "autodiff/dual.hpp"
#include "autodiff/forward.hpp"
