#pragma once
/// \file nabla.hpp
/// The one header users include: tensors, lazy fused element-wise expressions, printing,
/// factories and random numbers.
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
#include "factories.hpp"
#include "io/print.hpp"
#include "compare.hpp"
#include "random.hpp"
#include "reductions.hpp"
#include "tensor.hpp"
