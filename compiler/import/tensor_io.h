// Conversion between ONNX TensorProto and owned host bytes, and .pb tensor files.
//
// Reads every storage form a TensorProto may use: raw_data, the typed repeated fields
// (float16/bfloat16 bit patterns travel in int32_data), and external data files. Writes always
// use raw_data.
//
//   HostTensor t;
//   rt::Status s = read_tensor_file("test_data_set_0/input_0.pb", &t);
//   onnx::TensorProto p;
//   tensor_to_proto(t, &p);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "parallax/runtime/program.h"
#include "parallax/runtime/status.h"
#include "parallax/runtime/tensor.h"

namespace parallax::import {

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

}  // namespace parallax::import
