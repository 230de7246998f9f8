// The tools' name for output checking, which lives in the Parallax::testdata library
// (testdata/include/parallax/testdata/tensor_io.h, shared with generated runners and apps).
#pragma once

#include "compiler/import/tensor_io.h"

namespace parallax::driver {

using testdata::compare;
using testdata::Comparison;
using testdata::dims_string;
using testdata::summarize;

}  // namespace parallax::driver
