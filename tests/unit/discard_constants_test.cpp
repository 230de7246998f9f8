// ExecutorOptions::discard_packed_constants: the bytes of a constant whose every reader packed it
// in prepare (the fully connected weights, in sgemm's panels) are given back, and nothing else
// is. That also shows which fully connected steps took the packed path.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "parallax/runtime/executor.h"
#include "parallax/runtime/kernel.h"

namespace {

using namespace parallax::rt;

constexpr int64_t kM = 4, kK = 256, kN = 512;  // W is 512 KiB: many whole pages

int32_t add_tensor(Program* p, const std::string& name, TensorKind kind,
                   std::vector<int64_t> shape) {
  TensorInfo t;
  t.name = name;
  t.dtype = DType::kFloat32;
  t.kind = kind;
  t.shape = std::move(shape);
  t.rank_known = true;
  p->tensors.push_back(t);
  return static_cast<int32_t>(p->tensors.size() - 1);
}

void add_step(Program* p, const char* op, std::vector<int32_t> inputs, int32_t output,
              const char* domain = "", int opset = 14, std::vector<Attribute> attrs = {}) {
  Step s;
  s.kernel = find_kernel(domain, op, opset);
  REQUIRE(s.kernel >= 0);
  s.name = std::string(op) + std::to_string(p->graphs[0].steps.size());
  s.op_type = op;
  s.domain = domain;
  s.opset = opset;
  s.attributes = std::move(attrs);
  s.inputs = std::move(inputs);
  s.outputs = {output};
  s.output_wanted = {true};
  p->graphs[0].steps.push_back(s);
  p->graphs[0].outputs.push_back(output);
}

float weight(int64_t i) { return static_cast<float>(i % 7) - 2.5f; }  // never zero

// y = x W, and with `relu_too` also relu(W): a second reader that does not pack W.
Program matmul_program(bool relu_too) {
  Program p;
  p.graphs.resize(1);
  const int32_t x = add_tensor(&p, "x", TensorKind::kInput, {kM, kK});
  p.graphs[0].inputs.push_back(x);
  const int32_t w = add_tensor(&p, "w", TensorKind::kConstant, {kK, kN});
  p.weights.resize(static_cast<size_t>(kK * kN) * sizeof(float));
  float* wd = reinterpret_cast<float*>(p.weights.data());
  for (int64_t i = 0; i < kK * kN; ++i) wd[i] = weight(i);
  add_step(&p, "MatMul", {x, w}, add_tensor(&p, "y", TensorKind::kIntermediate, {kM, kN}));
  if (relu_too) add_step(&p, "Relu", {w}, add_tensor(&p, "r", TensorKind::kIntermediate, {kK, kN}));
  return p;
}

// y = Relu(x W) as com.parallax.FusedGemm (version 1: Gemm's opset-11 semantics).
Program fused_gemm_program() {
  Program p = matmul_program(false);
  Step& s = p.graphs[0].steps[0];
  s.kernel = find_kernel("com.parallax", "FusedGemm", 1);
  REQUIRE(s.kernel >= 0);
  s.op_type = "FusedGemm";
  s.domain = "com.parallax";
  s.opset = 1;
  Attribute act;
  act.name = "activation";
  act.kind = Attribute::Kind::kString;
  act.s = "Relu";
  s.attributes = {act};
  return p;
}

size_t zero_weights(const Program& p) {
  size_t zeros = 0;
  for (size_t i = 0; i < p.weights.size(); i += sizeof(float)) {
    zeros += *reinterpret_cast<const float*>(p.weights.data() + i) == 0.0f;
  }
  return zeros;
}

// Runs twice and checks y (and relu(W)) against plain loops.
void run_and_check(const Program& p, bool discard) {
  ExecutorOptions o;
  o.threads = 1;
  o.discard_packed_constants = discard;
  std::unique_ptr<Executor> ex;
  REQUIRE(Executor::create(&p, o, &ex).is_ok());
  std::vector<float> x(static_cast<size_t>(kM * kK));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 5) * 0.25f - 0.5f;
  Tensor xv;
  xv.dtype = DType::kFloat32;
  xv.shape = Shape{kM, kK};
  xv.data = x.data();
  REQUIRE(ex->set_input(0, xv).is_ok());
  for (int run = 0; run < 2; ++run) {
    REQUIRE(ex->run().is_ok());
    const float* y = static_cast<const float*>(ex->output(0).data);
    const bool relu = ex->output_count() == 1 && p.graphs[0].steps[0].op_type == "FusedGemm";
    for (int64_t m = 0; m < kM; ++m) {
      for (int64_t n = 0; n < kN; n += 37) {
        double want = 0;
        for (int64_t k = 0; k < kK; ++k) want += x[m * kK + k] * weight(k * kN + n);
        if (relu) want = std::max(want, 0.0);
        REQUIRE(y[m * kN + n] == Approx(want).margin(1e-3));
      }
    }
    if (ex->output_count() > 1) {
      const float* r = static_cast<const float*>(ex->output(1).data);
      for (int64_t i = 0; i < kK * kN; i += 101) REQUIRE(r[i] == std::max(weight(i), 0.0f));
    }
  }
}

}  // namespace

TEST_CASE("discard_packed_constants gives back weights only XNNPACK's packed copy reads",
          "[executor][memory]") {
  const Program p = matmul_program(false);
  run_and_check(p, /*discard=*/false);
  CHECK(zero_weights(p) == 0);  // off by default
  run_and_check(p, /*discard=*/true);
  // Every whole page inside W now reads as zeros; at most the partial pages at its ends remain.
  CHECK(zero_weights(p) * sizeof(float) + 2 * 4096 >= p.weights.size());
}

TEST_CASE("a FusedGemm's weights are packed too", "[executor][memory]") {
  // FusedGemm is version 1 of its own domain: an opset check meant for ONNX Gemm before 7 once
  // sent every FusedGemm to the single-threaded reference kernel.
  const Program p = fused_gemm_program();
  run_and_check(p, /*discard=*/true);
  CHECK(zero_weights(p) * sizeof(float) + 2 * 4096 >= p.weights.size());
}

TEST_CASE("discard_packed_constants keeps a constant another step reads", "[executor][memory]") {
  const Program p = matmul_program(true);
  run_and_check(p, /*discard=*/true);
  CHECK(zero_weights(p) == 0);
}

TEST_CASE("discard_packed_constants leaves weights the Program does not own",
          "[executor][memory]") {
  Program p = matmul_program(false);
  AlignedBytes owned = p.weights;
  p.weights_view = owned.data();
  p.weights_view_bytes = owned.size();
  p.weights.clear();
  run_and_check(p, /*discard=*/true);
  size_t zeros = 0;
  for (size_t i = 0; i < owned.size(); i += sizeof(float)) {
    zeros += *reinterpret_cast<const float*>(owned.data() + i) == 0.0f;
  }
  CHECK(zeros == 0);
}
