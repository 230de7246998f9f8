// Test helper: hand-built Programs of float tensors, run through the executor.
//
//   Maker m;
//   int32_t x = m.input("x");
//   m.output(m.step("Relu", {x}, "a"));
//   m.branch({0}, {}, 0);              // steps, successor branches, predecessor count
//   std::vector<uint8_t> bytes;
//   REQUIRE(run_program(m.p, with_threads(2), {iota_input(0)}, &bytes).is_ok());
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "parallax/runtime/executor.h"

namespace parallax::test {

using namespace parallax::rt;
constexpr int64_t kLen = 16;  // every tensor here is float[kLen]

// Builds a Program of float[kLen] tensors step by step.
struct Maker {
  Program p;
  Maker() { p.graphs.resize(1); }
  int32_t tensor(const std::string& name, TensorKind kind = TensorKind::kIntermediate,
                 int64_t len = kLen) {
    TensorInfo t;
    t.name = name;
    t.dtype = DType::kFloat32;
    t.kind = kind;
    t.shape = {len};
    t.rank_known = true;
    p.tensors.push_back(t);
    return static_cast<int32_t>(p.tensors.size() - 1);
  }
  int32_t input(const std::string& name, int64_t len = kLen) {
    const int32_t id = tensor(name, TensorKind::kInput, len);
    p.graphs[0].inputs.push_back(id);
    return id;
  }
  // Appends a main-graph step and returns its output tensor.
  int32_t step(const std::string& op, std::vector<int32_t> inputs, const std::string& name) {
    Step s;
    s.kernel = find_kernel("", op, 14);
    REQUIRE(s.kernel >= 0);
    s.name = name;
    s.op_type = op;
    s.opset = 14;
    s.inputs = std::move(inputs);
    s.outputs = {tensor(name + ".out")};
    s.output_wanted = {true};
    p.graphs[0].steps.push_back(s);
    return s.outputs[0];
  }
  void output(int32_t id) { p.graphs[0].outputs.push_back(id); }
  void branch(std::vector<int32_t> steps, std::vector<int32_t> succs, int32_t preds,
              int32_t processor = 0, int32_t threads = 1) {
    p.branches.push_back({std::move(steps), std::move(succs), preds, processor, threads});
  }
};

inline std::vector<float> iota_input(float start) {
  std::vector<float> v(kLen);
  for (int64_t i = 0; i < kLen; ++i) v[i] = start + 0.25f * static_cast<float>(i);
  return v;
}

inline Tensor view_of(std::vector<float>& v) {
  Tensor t;
  t.dtype = DType::kFloat32;
  t.shape = Shape{static_cast<int64_t>(v.size())};
  t.data = v.data();
  return t;
}

inline ExecutorOptions with_threads(int threads) {
  ExecutorOptions o;
  o.threads = threads;
  o.spin = 64;  // the test machine is shared; do not burn it spinning
  return o;
}

// Runs `p` on `inputs` and returns every output's bytes, concatenated.
inline Status run_program(const Program& p, const ExecutorOptions& o,
                          std::vector<std::vector<float>> inputs, std::vector<uint8_t>* bytes,
                          int runs = 1) {
  std::unique_ptr<Executor> ex;
  PARALLAX_RETURN_IF_ERROR(Executor::create(&p, o, &ex));
  for (size_t i = 0; i < inputs.size(); ++i) {
    PARALLAX_RETURN_IF_ERROR(ex->set_input(static_cast<int>(i), view_of(inputs[i])));
  }
  for (int r = 0; r < runs; ++r) PARALLAX_RETURN_IF_ERROR(ex->run());
  bytes->clear();
  for (int i = 0; i < ex->output_count(); ++i) {
    const Tensor& t = ex->output(i);
    const uint8_t* d = static_cast<const uint8_t*>(t.data);
    bytes->insert(bytes->end(), d, d + t.nbytes());
  }
  return Status::ok();
}

}  // namespace parallax::test
