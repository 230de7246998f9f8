// Output checking for parallax-run: numpy.allclose semantics and summary statistics.
//
//   Comparison c = compare(actual, expected, /*rtol=*/1e-3, /*atol=*/1e-7);
//   std::printf("%s\n", c.line.c_str());
#pragma once

#include <string>

#include "compiler/import/tensor_io.h"

namespace parallax::driver {

struct Comparison {
  bool ok = false;
  double max_abs_err = 0.0;
  double max_rel_err = 0.0;
  std::string problem;  // why it failed before comparing values (dtype/shape); "" otherwise
};

// Same dtype and shape, then |a - b| <= atol + rtol * |b| element-wise for floats (NaN equals
// NaN, equal infinities are equal); exact equality for integers and bools.
Comparison compare(const import::HostTensor& actual, const import::HostTensor& expected,
                   double rtol, double atol);

// "float [2, 3] mean=... min=... max=..." (statistics only for float and integer types).
std::string summarize(const import::HostTensor& t);

// "[2, 3]".
std::string dims_string(const std::vector<int64_t>& dims);

}  // namespace parallax::driver
