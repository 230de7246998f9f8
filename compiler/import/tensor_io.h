// The compiler's name for the test-data tensor I/O, which lives in the Parallax::testdata library
// (testdata/include/parallax/testdata/tensor_io.h, shared with generated runners and apps).
#pragma once

#include <onnx/onnx_pb.h>

#include "parallax/testdata/tensor_io.h"

namespace parallax::import {

using testdata::host_from_view;
using testdata::HostTensor;
using testdata::read_tensor_file;
using testdata::tensor_from_proto;
using testdata::tensor_to_proto;
using testdata::write_tensor_file;

}  // namespace parallax::import
