// Test helper: run one operator through the real executor without the compiler.
//
//   OwnedTensor x = make_tensor<float>({2, 2}, {1, -2, 3, -4});
//   OpResult r = run_op("Relu", 14, {&x}, {}, 1);
//   REQUIRE(r.status.is_ok());
//   CHECK(r.outputs[0].values<float>() == std::vector<float>{1, 0, 3, 0});
//
// Pass nullptr in the inputs list for an omitted optional input. Attributes are built with the
// attr_* helpers below.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "parallax/runtime/executor.h"
#include "parallax/runtime/kernel.h"

namespace parallax::test {

using rt::DType;

struct OwnedTensor {
  DType dtype = DType::kUndefined;
  std::vector<int64_t> shape;
  rt::AlignedBytes bytes;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  // Element values; bool tensors come back as std::vector<bool> (stored one byte each).
  template <typename T>
  std::vector<T> values() const {
    std::vector<T> v(static_cast<size_t>(numel()));
    for (size_t i = 0; i < v.size(); ++i) {
      if constexpr (std::is_same_v<T, bool>) {
        v[i] = bytes[i] != 0;
      } else {
        std::memcpy(&v[i], bytes.data() + i * sizeof(T), sizeof(T));
      }
    }
    return v;
  }
  rt::Tensor view() const {
    rt::Tensor t;
    t.dtype = dtype;
    rt::Shape::from(shape.data(), static_cast<int>(shape.size()), &t.shape);
    t.data = const_cast<uint8_t*>(bytes.data());
    return t;
  }
};

template <typename T>
OwnedTensor make_tensor(std::vector<int64_t> shape, const std::vector<T>& values) {
  OwnedTensor t;
  t.dtype = rt::dtype_of<T>();
  t.shape = std::move(shape);
  t.bytes.resize(values.size() * sizeof(T) + 1);
  for (size_t i = 0; i < values.size(); ++i) {
    const T v = values[i];  // std::vector<bool> has no data(); copy element by element
    std::memcpy(t.bytes.data() + i * sizeof(T), &v, sizeof(T));
  }
  return t;
}

inline rt::Attribute attr_int(const std::string& name, int64_t v) {
  rt::Attribute a;
  a.name = name;
  a.kind = rt::Attribute::Kind::kInt;
  a.i = v;
  return a;
}
inline rt::Attribute attr_float(const std::string& name, float v) {
  rt::Attribute a;
  a.name = name;
  a.kind = rt::Attribute::Kind::kFloat;
  a.f = v;
  return a;
}
inline rt::Attribute attr_ints(const std::string& name, std::vector<int64_t> v) {
  rt::Attribute a;
  a.name = name;
  a.kind = rt::Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
inline rt::Attribute attr_floats(const std::string& name, std::vector<float> v) {
  rt::Attribute a;
  a.name = name;
  a.kind = rt::Attribute::Kind::kFloats;
  a.floats = std::move(v);
  return a;
}
inline rt::Attribute attr_string(const std::string& name, std::string v) {
  rt::Attribute a;
  a.name = name;
  a.kind = rt::Attribute::Kind::kString;
  a.s = std::move(v);
  return a;
}

struct OpResult {
  rt::Status status;
  std::vector<OwnedTensor> outputs;
};

// Builds a one-step Program for `op_type` (default domain unless `domain` is given), runs it
// on `inputs` (nullptr = an omitted optional input) with an executor of `threads` threads (the
// step gets their pool), and copies the outputs out. Inputs from index `first_constant` on (if
// >= 0) are the program's constants (weights, which a kernel's prepare may pack), not inputs;
// up to `end_constant` (exclusive) when that is >= 0, the later ones inputs again.
inline OpResult run_op(const std::string& op_type, int opset,
                       std::vector<const OwnedTensor*> inputs, std::vector<rt::Attribute> attrs,
                       int n_outputs, const std::string& domain = "", int threads = 1,
                       int first_constant = -1, int end_constant = -1) {
  OpResult r;
  rt::Program p;
  p.graphs.resize(1);
  rt::GraphProgram& g = p.graphs[0];
  rt::Step step;
  step.kernel = rt::find_kernel(domain, op_type, opset);
  step.name = "test_" + op_type;
  step.op_type = op_type;
  step.domain = domain;
  step.opset = opset;
  step.attributes = std::move(attrs);
  if (step.kernel < 0) {
    r.status =
        rt::Status::unsupported("no kernel for " + op_type + " at opset " + std::to_string(opset));
    return r;
  }
  std::vector<int> bound;  // which harness inputs are real
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) {
      step.inputs.push_back(-1);
      continue;
    }
    rt::TensorInfo info;
    info.name = "in" + std::to_string(i);
    info.dtype = inputs[i]->dtype;
    info.kind = rt::TensorKind::kInput;
    info.shape = inputs[i]->shape;
    info.rank_known = true;
    if (first_constant >= 0 && static_cast<int>(i) >= first_constant &&
        (end_constant < 0 || static_cast<int>(i) < end_constant)) {
      info.kind = rt::TensorKind::kConstant;
      info.weight_offset = (p.weights.size() + 63) / 64 * 64;
      p.weights.resize(info.weight_offset + inputs[i]->bytes.size());
      std::memcpy(p.weights.data() + info.weight_offset, inputs[i]->bytes.data(),
                  inputs[i]->bytes.size());
    } else {
      g.inputs.push_back(static_cast<int32_t>(p.tensors.size()));
      bound.push_back(static_cast<int>(i));
    }
    step.inputs.push_back(static_cast<int32_t>(p.tensors.size()));
    p.tensors.push_back(info);
  }
  for (int o = 0; o < n_outputs; ++o) {
    rt::TensorInfo info;
    info.name = "out" + std::to_string(o);
    step.outputs.push_back(static_cast<int32_t>(p.tensors.size()));
    step.output_wanted.push_back(true);
    g.outputs.push_back(static_cast<int32_t>(p.tensors.size()));
    p.tensors.push_back(info);
  }
  g.steps.push_back(step);
  std::unique_ptr<rt::Executor> ex;
  rt::ExecutorOptions options;
  options.threads = threads;
  options.pin_threads = false;
  r.status = rt::Executor::create(&p, options, &ex);
  if (!r.status.is_ok()) return r;
  for (size_t k = 0; k < bound.size(); ++k) {
    r.status = ex->set_input(static_cast<int>(k), inputs[bound[k]]->view());
    if (!r.status.is_ok()) return r;
  }
  r.status = ex->run();
  if (!r.status.is_ok()) return r;
  for (int o = 0; o < n_outputs; ++o) {
    const rt::Tensor& t = ex->output(o);
    OwnedTensor ot;
    ot.dtype = t.dtype;
    ot.shape.assign(t.shape.dims, t.shape.dims + t.shape.rank);
    ot.bytes.resize(t.nbytes() + 1);
    if (t.nbytes()) std::memcpy(ot.bytes.data(), t.data, t.nbytes());
    r.outputs.push_back(std::move(ot));
  }
  return r;
}

// A 4-D float tensor permuted: output dim i is input dim perm[i] (NCHW <-> NHWC in the tests).
template <typename P>
OwnedTensor permute4(const OwnedTensor& t, const P& perm) {
  const std::vector<int64_t>& s = t.shape;
  std::vector<int64_t> out = {s[perm[0]], s[perm[1]], s[perm[2]], s[perm[3]]};
  const std::vector<float> in = t.values<float>();
  std::vector<float> v(in.size());
  const int64_t stride[4] = {s[1] * s[2] * s[3], s[2] * s[3], s[3], 1};
  size_t o = 0;
  for (int64_t a = 0; a < out[0]; ++a)
    for (int64_t b = 0; b < out[1]; ++b)
      for (int64_t c = 0; c < out[2]; ++c)
        for (int64_t d = 0; d < out[3]; ++d) {
          const int64_t idx[4] = {a, b, c, d};
          int64_t off = 0;
          for (int i = 0; i < 4; ++i) off += idx[i] * stride[perm[i]];
          v[o++] = in[static_cast<size_t>(off)];
        }
  return make_tensor<float>(out, v);
}
constexpr int kToNhwc[4] = {0, 2, 3, 1};
constexpr int kToNchw[4] = {0, 3, 1, 2};

}  // namespace parallax::test
