// Unit tests of the 'misc' kernel family: each kernel against hand-computed values.
#include <catch2/catch.hpp>
#include <cmath>

#include "kernel_harness.h"

using namespace parallax::test;
namespace rt = parallax::rt;

namespace {

using parallax::rt::StatusCode;

rt::Attribute attr_strings(const std::string& name, std::vector<std::string> v) {
  rt::Attribute a;
  a.name = name;
  a.kind = rt::Attribute::Kind::kStrings;
  a.strings = std::move(v);
  return a;
}

}  // namespace

TEST_CASE("RNN: Relu activation, sequence_lens and both directions", "[misc]") {
  // seq 2, batch 2, input 1, hidden 1, W = R = 1: H_t = relu(x_t + H_{t-1}). Batch entry 1
  // has length 1, so its second step is zero in Y.
  OwnedTensor x = make_tensor<float>({2, 2, 1}, {1, 2, 3, 4});
  OwnedTensor w = make_tensor<float>({1, 1, 1}, {1});
  OwnedTensor r = make_tensor<float>({1, 1, 1}, {1});
  OwnedTensor lens = make_tensor<int32_t>({2}, {2, 1});
  const std::vector<rt::Attribute> attrs = {attr_int("hidden_size", 1),
                                            attr_strings("activations", {"Relu"})};
  OpResult fwd = run_op("RNN", 14, {&x, &w, &r, nullptr, &lens}, attrs, 2);
  REQUIRE(fwd.status.is_ok());
  CHECK(fwd.outputs[0].shape == std::vector<int64_t>{2, 1, 2, 1});
  CHECK(fwd.outputs[0].values<float>() == std::vector<float>{1, 2, 4, 0});
  CHECK(fwd.outputs[1].values<float>() == std::vector<float>{4, 2});
  // Reverse walks each entry from its own last valid step: entry 0 sees 3 then 1 + 3.
  std::vector<rt::Attribute> rev = attrs;
  rev.push_back(attr_string("direction", "reverse"));
  OpResult bwd = run_op("RNN", 14, {&x, &w, &r, nullptr, &lens}, rev, 2);
  REQUIRE(bwd.status.is_ok());
  CHECK(bwd.outputs[0].values<float>() == std::vector<float>{4, 2, 3, 0});
  CHECK(bwd.outputs[1].values<float>() == std::vector<float>{4, 2});
}

TEST_CASE("RNN rejects a W whose shape does not match hidden_size", "[misc]") {
  OwnedTensor x = make_tensor<float>({1, 1, 2}, {1, 2});
  OwnedTensor w = make_tensor<float>({1, 3, 2}, std::vector<float>(6, 0.0f));
  OwnedTensor r = make_tensor<float>({1, 2, 2}, std::vector<float>(4, 0.0f));
  OpResult res = run_op("RNN", 14, {&x, &w, &r}, {attr_int("hidden_size", 2)}, 1);
  CHECK(res.status.code() == StatusCode::kInvalidArgument);
}

TEST_CASE("GRU in double with zero weights halves the state (batch-major layout)", "[misc]") {
  // z = r = sigmoid(0) = 0.5 and the candidate is tanh(0) = 0, so H' = 0.5 * H.
  OwnedTensor x = make_tensor<double>({1, 2, 1}, {7, 9});  // layout 1: [batch, seq, input]
  OwnedTensor w = make_tensor<double>({1, 3, 1}, {0, 0, 0});
  OwnedTensor r = make_tensor<double>({1, 3, 1}, {0, 0, 0});
  OwnedTensor h0 = make_tensor<double>({1, 1, 1}, {8});
  OpResult res = run_op("GRU", 14, {&x, &w, &r, nullptr, nullptr, &h0},
                        {attr_int("hidden_size", 1), attr_int("layout", 1)}, 2);
  REQUIRE(res.status.is_ok());
  CHECK(res.outputs[0].dtype == DType::kFloat64);
  CHECK(res.outputs[0].shape == std::vector<int64_t>{1, 2, 1, 1});
  CHECK(res.outputs[0].values<double>() == std::vector<double>{4, 2});
  CHECK(res.outputs[1].values<double>() == std::vector<double>{2});
}

TEST_CASE("LSTM: one step from an initial cell state, with an output-gate peephole", "[misc]") {
  // Zero weights: i = f = sigmoid(0), candidate tanh(0) = 0, so C' = 0.5 * C0 = 0.5; the
  // output gate sees P_o * C' = 1, so H' = sigmoid(1) * tanh(0.5).
  OwnedTensor x = make_tensor<float>({1, 1, 1}, {3});
  OwnedTensor w = make_tensor<float>({1, 4, 1}, {0, 0, 0, 0});
  OwnedTensor r = make_tensor<float>({1, 4, 1}, {0, 0, 0, 0});
  OwnedTensor c0 = make_tensor<float>({1, 1, 1}, {1});
  OwnedTensor p = make_tensor<float>({1, 3}, {0, 2, 0});  // i, o, f
  OpResult res = run_op("LSTM", 14, {&x, &w, &r, nullptr, nullptr, nullptr, &c0, &p},
                        {attr_int("hidden_size", 1)}, 3);
  REQUIRE(res.status.is_ok());
  const float expected_h = static_cast<float>(1.0 / (1.0 + std::exp(-1.0)) * std::tanh(0.5));
  CHECK(res.outputs[1].values<float>()[0] == Approx(expected_h));
  CHECK(res.outputs[2].values<float>() == std::vector<float>{0.5f});
}

TEST_CASE("NegativeLogLikelihoodLoss: weights, reductions and ignore_index", "[misc]") {
  OwnedTensor in = make_tensor<float>({2, 3}, {-1, -2, -3, -4, -5, -6});
  OwnedTensor target = make_tensor<int64_t>({2}, {2, 0});
  OwnedTensor weight = make_tensor<float>({3}, {1, 2, 3});
  OpResult none = run_op("NegativeLogLikelihoodLoss", 13, {&in, &target, &weight},
                         {attr_string("reduction", "none")}, 1);
  REQUIRE(none.status.is_ok());
  CHECK(none.outputs[0].values<float>() == std::vector<float>{9, 4});
  // Mean divides by the total weight of the targets: (9 + 4) / (3 + 1).
  OpResult mean = run_op("NegativeLogLikelihoodLoss", 13, {&in, &target, &weight}, {}, 1);
  REQUIRE(mean.status.is_ok());
  CHECK(mean.outputs[0].shape.empty());
  CHECK(mean.outputs[0].values<float>() == std::vector<float>{3.25f});
  OpResult ignored = run_op("NegativeLogLikelihoodLoss", 13, {&in, &target, &weight},
                            {attr_int("ignore_index", 0)}, 1);
  REQUIRE(ignored.status.is_ok());
  CHECK(ignored.outputs[0].values<float>() == std::vector<float>{3});
}

TEST_CASE("SoftmaxCrossEntropyLoss of uniform scores is log(C); bad labels are rejected",
          "[misc]") {
  // Scores [N=1, C=3, d1=2]: equal scores give log_prob = -log 3 everywhere.
  OwnedTensor scores = make_tensor<float>({1, 3, 2}, {5, 5, 5, 5, 5, 5});
  OwnedTensor labels = make_tensor<int32_t>({1, 2}, {0, 2});
  OpResult r = run_op("SoftmaxCrossEntropyLoss", 13, {&scores, &labels}, {}, 2);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>()[0] == Approx(std::log(3.0f)));
  CHECK(r.outputs[1].shape == std::vector<int64_t>{1, 3, 2});
  CHECK(r.outputs[1].values<float>()[4] == Approx(-std::log(3.0f)));
  OwnedTensor bad = make_tensor<int32_t>({1, 2}, {0, 3});
  CHECK(run_op("SoftmaxCrossEntropyLoss", 13, {&scores, &bad}, {}, 1).status.code() ==
        StatusCode::kOutOfRange);
}

TEST_CASE("DFT in double: an impulse, onesided output, and the inverse", "[misc]") {
  // x = [0, 1, 0, 0] (real): X_k = exp(-2 pi i k / 4) = 1, -i, -1, i.
  OwnedTensor x = make_tensor<double>({1, 4, 1}, {0, 1, 0, 0});
  OpResult r = run_op("DFT", 17, {&x}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == std::vector<int64_t>{1, 4, 2});
  const std::vector<double> want = {1, 0, 0, -1, -1, 0, 0, 1};
  const std::vector<double> got = r.outputs[0].values<double>();
  for (size_t i = 0; i < want.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(1e-12));
  OpResult half = run_op("DFT", 17, {&x}, {attr_int("onesided", 1)}, 1);
  REQUIRE(half.status.is_ok());
  CHECK(half.outputs[0].shape == std::vector<int64_t>{1, 3, 2});
  // Transforming the spectrum back gives the impulse again.
  OwnedTensor spectrum = r.outputs[0];
  OpResult back = run_op("DFT", 17, {&spectrum}, {attr_int("inverse", 1)}, 1);
  REQUIRE(back.status.is_ok());
  const std::vector<double> impulse = back.outputs[0].values<double>();
  for (size_t i = 0; i < impulse.size(); ++i)
    CHECK(impulse[i] == Approx(i == 2 ? 1.0 : 0.0).margin(1e-12));
}

TEST_CASE("HannWindow: periodic and symmetric, double output", "[misc]") {
  OwnedTensor four = make_tensor<int64_t>({}, {4});
  OpResult p = run_op("HannWindow", 17, {&four}, {attr_int("output_datatype", 11)}, 1);
  REQUIRE(p.status.is_ok());
  CHECK(p.outputs[0].dtype == DType::kFloat64);
  const std::vector<double> w = p.outputs[0].values<double>();
  const std::vector<double> want = {0, 0.5, 1, 0.5};
  for (size_t i = 0; i < 4; ++i) CHECK(w[i] == Approx(want[i]).margin(1e-12));
  OwnedTensor three = make_tensor<int32_t>({}, {3});
  OpResult s = run_op("HannWindow", 17, {&three}, {attr_int("periodic", 0)}, 1);
  REQUIRE(s.status.is_ok());
  CHECK(s.outputs[0].values<float>()[1] == Approx(1.0f));
}

TEST_CASE("Adagrad updates X and the squared-gradient sum", "[misc]") {
  // r = 1 / (1 + 1 * 1) = 0.5; g = 3; H' = 7 + 9 = 16; X' = 5 - 0.5 * 3 / 4 = 4.625.
  OwnedTensor rate = make_tensor<float>({}, {1});
  OwnedTensor t = make_tensor<int64_t>({}, {1});
  OwnedTensor x = make_tensor<float>({1}, {5});
  OwnedTensor g = make_tensor<float>({1}, {3});
  OwnedTensor h = make_tensor<float>({1}, {7});
  OpResult r = run_op("Adagrad", 1, {&rate, &t, &x, &g, &h},
                      {attr_float("decay_factor", 1.0f), attr_float("epsilon", 0.0f)}, 2,
                      "ai.onnx.preview.training");
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>() == std::vector<float>{4.625f});
  CHECK(r.outputs[1].values<float>() == std::vector<float>{16});
}

TEST_CASE("Loop runs its body M times and stacks the scan outputs", "[misc]") {
  // Main graph: (y) -> Loop(M = 3, cond omitted, y) -> (y_final, scan).
  // Body: (i, cond, y_in) -> cond_out = Identity(cond), y_out = Add(y_in, y_in), scan = y_out.
  rt::Program p;
  auto tensor = [&](const char* name, DType dt, rt::TensorKind kind) {
    rt::TensorInfo info;
    info.name = name;
    info.dtype = dt;
    info.kind = kind;
    p.tensors.push_back(info);
    return static_cast<int32_t>(p.tensors.size() - 1);
  };
  auto step = [&](const char* op, std::vector<int32_t> in, std::vector<int32_t> out) {
    rt::Step s;
    s.op_type = s.name = op;
    s.opset = 13;
    s.kernel = rt::find_kernel("", op, 13);
    s.inputs = std::move(in);
    s.outputs = out;
    s.output_wanted.assign(out.size(), true);
    return s;
  };
  const int32_t y = tensor("y", DType::kFloat32, rt::TensorKind::kInput);
  const int32_t m = tensor("M", DType::kInt64, rt::TensorKind::kConstant);
  const int32_t y_final = tensor("y_final", DType::kFloat32, rt::TensorKind::kIntermediate);
  const int32_t scan = tensor("scan", DType::kFloat32, rt::TensorKind::kIntermediate);
  const int32_t i = tensor("i", DType::kInt64, rt::TensorKind::kInput);
  const int32_t cond = tensor("cond", DType::kBool, rt::TensorKind::kInput);
  const int32_t y_in = tensor("y_in", DType::kFloat32, rt::TensorKind::kInput);
  const int32_t cond_out = tensor("cond_out", DType::kBool, rt::TensorKind::kIntermediate);
  const int32_t y_out = tensor("y_out", DType::kFloat32, rt::TensorKind::kIntermediate);
  const int32_t scan_out = tensor("scan_out", DType::kFloat32, rt::TensorKind::kIntermediate);
  const int64_t three = 3;
  p.weights.resize(64);
  std::memcpy(p.weights.data(), &three, sizeof(three));
  p.graphs.resize(2);
  rt::Step loop = step("Loop", {m, -1, y}, {y_final, scan});
  rt::Attribute body;
  body.name = "body";
  body.kind = rt::Attribute::Kind::kGraph;
  body.graph = 1;
  loop.attributes.push_back(body);
  p.graphs[0].inputs = {y};
  p.graphs[0].outputs = {y_final, scan};
  p.graphs[0].steps = {loop};
  p.graphs[1].inputs = {i, cond, y_in};
  p.graphs[1].outputs = {cond_out, y_out, scan_out};
  p.graphs[1].steps = {step("Identity", {cond}, {cond_out}), step("Add", {y_in, y_in}, {y_out}),
                       step("Identity", {y_out}, {scan_out})};
  std::unique_ptr<rt::Executor> ex;
  REQUIRE(rt::Executor::create(&p, &ex).is_ok());
  OwnedTensor one = make_tensor<float>({1}, {1});
  REQUIRE(ex->set_input(0, one.view()).is_ok());
  const rt::Status s = ex->run();
  INFO(s.message());
  REQUIRE(s.is_ok());
  CHECK(ex->output(0).data_as<float>()[0] == 8.0f);
  const rt::Tensor& stacked = ex->output(1);
  REQUIRE(stacked.shape == rt::Shape{3, 1});
  CHECK(std::vector<float>(stacked.data_as<float>(), stacked.data_as<float>() + 3) ==
        std::vector<float>{2, 4, 8});
}
