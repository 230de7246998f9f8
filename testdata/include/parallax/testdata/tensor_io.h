// Test data for Parallax programs: ONNX TensorProto files (.pb) <-> owned host tensors, and
// output checking with numpy.allclose semantics. C++17, links Parallax::runtime; installed with
// the package as Parallax::testdata, so generated runners and apps read the same files the tools
// do (`parallax-run --compare`, `NAME_runner`).
//
// Reads every storage form a TensorProto may use: raw_data, the typed repeated fields
// (float16/bfloat16 bit patterns travel in int32_data), and external data files. Writes always
// use raw_data.
//
//   HostTensor expected;
//   rt::Status s = read_tensor_file("test_data_set_0/output_0.pb", &expected);
//   Comparison c = compare(actual, expected, /*rtol=*/1e-3, /*atol=*/1e-7);
//   if (!c.ok) std::printf("%s\n", c.problem.empty() ? "values differ" : c.problem.c_str());
//
// onnx::TensorProto is only declared here: users of the file functions need no ONNX headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "parallax/runtime/program.h"
#include "parallax/runtime/status.h"
#include "parallax/runtime/tensor.h"

namespace onnx {
class TensorProto;
}  // namespace onnx

namespace parallax::testdata {

namespace rt = ::parallax::rt;

// A tensor that owns its bytes (64-byte aligned, so kernels can view it directly).
struct HostTensor {
  std::string name;
  rt::DType dtype = rt::DType::kUndefined;
  std::vector<int64_t> dims;
  rt::AlignedBytes bytes;  // numel * dtype_size bytes, little-endian, row-major

  int64_t numel() const;
  // A non-owning view; fails when the rank exceeds rt::kMaxRank.
  rt::Status view(rt::Tensor* out) const;
};

// Decodes `proto`. `model_dir` is the folder external data paths are relative to ("" forbids
// external data). External locations must be relative and stay inside `model_dir`.
rt::Status tensor_from_proto(const onnx::TensorProto& proto, const std::string& model_dir,
                             HostTensor* out);
// Encodes `t` with raw_data.
void tensor_to_proto(const HostTensor& t, onnx::TensorProto* out);
// Copies a run-time tensor view into a HostTensor.
HostTensor host_from_view(const rt::Tensor& t, const std::string& name);

rt::Status read_tensor_file(const std::string& path, HostTensor* out);
rt::Status write_tensor_file(const std::string& path, const HostTensor& t);

struct Comparison {
  bool ok = false;
  double max_abs_err = 0.0;
  double max_rel_err = 0.0;
  std::string problem;  // why it failed before comparing values (dtype/shape); "" otherwise
};

// Same dtype and shape, then |a - b| <= atol + rtol * |b| element-wise for floats (NaN equals
// NaN, equal infinities are equal); exact equality for integers and bools.
Comparison compare(const HostTensor& actual, const HostTensor& expected, double rtol, double atol);

// "float [2, 3] mean=... min=... max=..." (statistics only for float and integer types).
std::string summarize(const HostTensor& t);

// "[2, 3]".
std::string dims_string(const std::vector<int64_t>& dims);

}  // namespace parallax::testdata
