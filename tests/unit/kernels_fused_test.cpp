// Unit tests of the 'fused' kernel family (com.parallax): each fused kernel against the
// unfused pair of kernels on the same inputs, plus its error messages.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "kernel_harness.h"

using namespace parallax::test;

namespace {

using parallax::rt::float16;
using parallax::rt::StatusCode;

const char* kDomain = "com.parallax";

std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -2.0f, float hi = 2.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

// Element-wise equality up to float rounding: the unfused activations may run on XNNPACK,
// whose Sigmoid / HardSwish differ from the reference formulas in the last bits.
void check_close(const OwnedTensor& got, const OwnedTensor& want) {
  REQUIRE(got.shape == want.shape);
  const std::vector<float> g = got.values<float>(), w = want.values<float>();
  for (size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i);
    CHECK(std::fabs(g[i] - w[i]) <= 1e-6f + 1e-5f * std::fabs(w[i]));
  }
}

// Runs activation `op` (with `attrs`, extra inputs) on t and returns its single output.
OwnedTensor activate(const std::string& op, const OwnedTensor& t,
                     std::vector<parallax::rt::Attribute> attrs = {},
                     std::vector<const OwnedTensor*> extra = {}) {
  std::vector<const OwnedTensor*> in = {&t};
  in.insert(in.end(), extra.begin(), extra.end());
  OpResult r = run_op(op, 14, in, std::move(attrs), 1);
  REQUIRE(r.status.is_ok());
  return r.outputs[0];
}

struct ActivationCase {
  std::string op;                                 // the standalone ONNX op
  std::vector<parallax::rt::Attribute> op_attrs;  // its attributes
  std::string name;                               // the fused `activation`
  std::vector<float> params;                      // `activation_params`
};

std::vector<ActivationCase> activation_cases() {
  return {
      {"Relu", {}, "Relu", {}},
      {"LeakyRelu", {attr_float("alpha", 0.1f)}, "LeakyRelu", {0.1f}},
      {"Sigmoid", {}, "Sigmoid", {}},
      {"Tanh", {}, "Tanh", {}},
      {"HardSigmoid",
       {attr_float("alpha", 0.3f), attr_float("beta", 0.4f)},
       "HardSigmoid",
       {0.3f, 0.4f}},
      {"HardSwish", {}, "HardSwish", {}},
      {"Clip", {}, "Clip", {-0.5f, 1.5f}},
  };
}

// The unfused result of case c applied to t.
OwnedTensor unfused(const ActivationCase& c, const OwnedTensor& t) {
  if (c.op == "Clip") {
    OwnedTensor lo = make_tensor<float>({}, {c.params[0]});
    OwnedTensor hi = make_tensor<float>({}, {c.params[1]});
    return activate("Clip", t, {}, {&lo, &hi});
  }
  return activate(c.op, t, c.op_attrs);
}

std::vector<parallax::rt::Attribute> with_activation(std::vector<parallax::rt::Attribute> attrs,
                                                     const ActivationCase& c) {
  attrs.push_back(attr_string("activation", c.name));
  if (!c.params.empty()) attrs.push_back(attr_floats("activation_params", c.params));
  return attrs;
}

}  // namespace

TEST_CASE("FusedConv equals Conv followed by each activation", "[fused]") {
  OwnedTensor x = make_tensor<float>({1, 4, 6, 6}, random_floats(144, 1));
  OwnedTensor w = make_tensor<float>({6, 2, 3, 3}, random_floats(108, 2, -0.5f, 0.5f));
  OwnedTensor b = make_tensor<float>({6}, random_floats(6, 3));
  const std::vector<parallax::rt::Attribute> conv_attrs = {attr_int("group", 2),
                                                           attr_ints("pads", {1, 1, 1, 1})};
  OpResult conv = run_op("Conv", 11, {&x, &w, &b}, conv_attrs, 1);
  REQUIRE(conv.status.is_ok());
  for (const ActivationCase& c : activation_cases()) {
    INFO(c.name);
    OpResult fused =
        run_op("FusedConv", 1, {&x, &w, &b}, with_activation(conv_attrs, c), 1, kDomain);
    REQUIRE(fused.status.is_ok());
    check_close(fused.outputs[0], unfused(c, conv.outputs[0]));
  }
  // SiLU is Mul(y, Sigmoid(y)).
  OpResult silu = run_op("FusedConv", 1, {&x, &w, &b},
                         with_activation(conv_attrs, {"", {}, "SiLU", {}}), 1, kDomain);
  REQUIRE(silu.status.is_ok());
  OwnedTensor sig = activate("Sigmoid", conv.outputs[0]);
  OpResult mul = run_op("Mul", 14, {&conv.outputs[0], &sig}, {}, 1);
  check_close(silu.outputs[0], mul.outputs[0]);
  // No activation attribute: plain Conv.
  OpResult plain = run_op("FusedConv", 1, {&x, &w, &b}, conv_attrs, 1, kDomain);
  check_close(plain.outputs[0], conv.outputs[0]);
}

TEST_CASE("FusedConv in float16 matches Conv + Relu within one rounding", "[fused]") {
  const std::vector<float> xf = random_floats(2 * 3 * 4 * 4, 4);
  const std::vector<float> wf = random_floats(5 * 3 * 2 * 2, 5, -0.5f, 0.5f);
  OwnedTensor x = make_tensor<float16>({2, 3, 4, 4}, std::vector<float16>(xf.begin(), xf.end()));
  OwnedTensor w = make_tensor<float16>({5, 3, 2, 2}, std::vector<float16>(wf.begin(), wf.end()));
  OpResult conv = run_op("Conv", 11, {&x, &w}, {}, 1);
  REQUIRE(conv.status.is_ok());
  OwnedTensor relu = activate("Relu", conv.outputs[0]);
  OpResult fused =
      run_op("FusedConv", 1, {&x, &w}, {attr_string("activation", "Relu")}, 1, kDomain);
  REQUIRE(fused.status.is_ok());
  CHECK(fused.outputs[0].dtype == DType::kFloat16);
  const auto a = fused.outputs[0].values<float16>();
  const auto e = relu.values<float16>();
  for (size_t i = 0; i < a.size(); ++i)
    CHECK(static_cast<float>(a[i]) == Approx(static_cast<float>(e[i])).margin(1e-3));
}

TEST_CASE("FusedGemm equals Gemm followed by the activation, with and without C", "[fused]") {
  OwnedTensor a = make_tensor<float>({3, 4}, random_floats(12, 6));
  OwnedTensor b = make_tensor<float>({5, 4}, random_floats(20, 7));
  OwnedTensor c = make_tensor<float>({5}, random_floats(5, 8));
  const std::vector<parallax::rt::Attribute> attrs = {attr_int("transB", 1),
                                                      attr_float("alpha", 0.5f)};
  for (bool with_c : {true, false}) {
    std::vector<const OwnedTensor*> in = {&a, &b};
    if (with_c) in.push_back(&c);
    OpResult gemm = run_op("Gemm", 13, in, attrs, 1);
    REQUIRE(gemm.status.is_ok());
    for (const ActivationCase& k : activation_cases()) {
      INFO(k.name << (with_c ? " with C" : " without C"));
      OpResult fused = run_op("FusedGemm", 1, in, with_activation(attrs, k), 1, kDomain);
      REQUIRE(fused.status.is_ok());
      check_close(fused.outputs[0], unfused(k, gemm.outputs[0]));
    }
  }
}

TEST_CASE("FusedMatMul equals MatMul + Add + activation, with batch broadcasting", "[fused]") {
  OwnedTensor a = make_tensor<float>({2, 3, 4}, random_floats(24, 9));
  OwnedTensor b = make_tensor<float>({4, 5}, random_floats(20, 10));
  OwnedTensor bias = make_tensor<float>({5}, random_floats(5, 11));
  OpResult mm = run_op("MatMul", 13, {&a, &b}, {}, 1);
  REQUIRE(mm.status.is_ok());
  OpResult add = run_op("Add", 14, {&mm.outputs[0], &bias}, {}, 1);
  REQUIRE(add.status.is_ok());
  OpResult plain = run_op("FusedMatMul", 1, {&a, &b, &bias}, {}, 1, kDomain);
  REQUIRE(plain.status.is_ok());
  CHECK(plain.outputs[0].shape == std::vector<int64_t>{2, 3, 5});
  check_close(plain.outputs[0], add.outputs[0]);
  for (const ActivationCase& k : activation_cases()) {
    INFO(k.name);
    OpResult fused = run_op("FusedMatMul", 1, {&a, &b, &bias}, with_activation({}, k), 1, kDomain);
    REQUIRE(fused.status.is_ok());
    check_close(fused.outputs[0], unfused(k, add.outputs[0]));
  }
}

TEST_CASE("Gelu equals its decomposed erf form", "[fused]") {
  OwnedTensor x = make_tensor<float>({2, 8}, random_floats(16, 12, -4.0f, 4.0f));
  OwnedTensor r2 = make_tensor<float>({}, {1.4142135623730951f});
  OwnedTensor one = make_tensor<float>({}, {1.0f});
  OwnedTensor half = make_tensor<float>({}, {0.5f});
  OpResult d = run_op("Div", 14, {&x, &r2}, {}, 1);
  OpResult e = run_op("Erf", 13, {&d.outputs[0]}, {}, 1);
  OpResult a = run_op("Add", 14, {&e.outputs[0], &one}, {}, 1);
  OpResult m = run_op("Mul", 14, {&x, &a.outputs[0]}, {}, 1);
  OpResult y = run_op("Mul", 14, {&m.outputs[0], &half}, {}, 1);
  REQUIRE(y.status.is_ok());
  OpResult g = run_op("Gelu", 1, {&x}, {}, 1, kDomain);
  REQUIRE(g.status.is_ok());
  check_close(g.outputs[0], y.outputs[0]);
  // As FusedMatMul's activation on an identity matrix product.
  OwnedTensor eye = make_tensor<float>({8, 8}, [] {
    std::vector<float> v(64, 0.0f);
    for (int i = 0; i < 8; ++i) v[i * 9] = 1.0f;
    return v;
  }());
  OpResult fused =
      run_op("FusedMatMul", 1, {&x, &eye}, {attr_string("activation", "Gelu")}, 1, kDomain);
  REQUIRE(fused.status.is_ok());
  check_close(fused.outputs[0], y.outputs[0]);
}

TEST_CASE("fused kernels reject bad activations, biases and types", "[fused]") {
  OwnedTensor x = make_tensor<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  OwnedTensor w = make_tensor<float>({1, 1, 1, 1}, {1});
  OpResult r = run_op("FusedConv", 1, {&x, &w}, {attr_string("activation", "Mish")}, 1, kDomain);
  CHECK(r.status.code() == StatusCode::kInvalidArgument);
  CHECK(r.status.message().find("unknown activation 'Mish'") != std::string::npos);
  r = run_op("FusedConv", 1, {&x, &w}, {attr_string("activation", "Swish")}, 1, kDomain);
  CHECK(r.status.message().find("activation 'Swish' takes 1 activation_params, got 0") !=
        std::string::npos);
  r = run_op("FusedConv", 1, {&x, &w},
             {attr_string("activation", "Clip"), attr_floats("activation_params", {0.0f})}, 1,
             kDomain);
  CHECK(r.status.message().find("activation 'Clip' takes 2 activation_params, got 1") !=
        std::string::npos);

  OwnedTensor a = make_tensor<float>({2, 3}, random_floats(6, 13));
  OwnedTensor b = make_tensor<float>({3, 4}, random_floats(12, 14));
  OwnedTensor bad_bias = make_tensor<float>({3}, {1, 2, 3});
  r = run_op("FusedMatMul", 1, {&a, &b, &bad_bias}, {}, 1, kDomain);
  CHECK(r.status.message().find("bias must be a 1-D tensor of 4 values") != std::string::npos);

  OwnedTensor ia = make_tensor<int32_t>({1, 2}, {1, 2});
  OwnedTensor ib = make_tensor<int32_t>({2, 1}, {3, 4});
  r = run_op("FusedGemm", 1, {&ia, &ib}, {attr_string("activation", "Relu")}, 1, kDomain);
  CHECK(r.status.message().find("A must have a float type, got int32") != std::string::npos);
}

TEST_CASE("L2Normalize matches ReduceL2 -> Clip -> Div on 1-3 threads, zero rows included",
          "[fused]") {
  std::mt19937 rng(77);
  // Shapes: SwinV2's rows of 32 (many rows: the threaded split), odd row lengths, one row.
  const std::vector<std::vector<int64_t>> shapes = {
      {49, 3, 64, 32}, {5, 7}, {3, 1}, {1, 13}, {2, 9, 17}, {4096, 5}, {6}};
  for (const std::vector<int64_t>& dims : shapes) {
    int64_t numel = 1;
    for (int64_t d : dims) numel *= d;
    std::vector<float> v = random_floats(static_cast<size_t>(numel), rng());
    const int64_t n = dims.back();
    // Row 0 all zeros: its norm is clamped to eps. With more rows, one tiny row too.
    for (int64_t j = 0; j < n; ++j) v[static_cast<size_t>(j)] = 0.0f;
    if (numel >= 2 * n) {
      for (int64_t j = 0; j < n; ++j) v[static_cast<size_t>(n + j)] *= 1e-13f;
    }
    OwnedTensor x = make_tensor<float>(dims, v);
    OwnedTensor eps = make_tensor<float>({}, {1e-12f});
    OpResult norm = run_op("ReduceL2", 13, {&x}, {attr_ints("axes", {-1})}, 1);
    REQUIRE(norm.status.is_ok());
    OpResult clip = run_op("Clip", 13, {&norm.outputs[0], &eps}, {}, 1);
    REQUIRE(clip.status.is_ok());
    OpResult want = run_op("Div", 14, {&x, &clip.outputs[0]}, {}, 1);
    REQUIRE(want.status.is_ok());
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      INFO("shape of " << dims.size() << " dims, last " << n << ", threads " << threads);
      OpResult got = run_op("L2Normalize", 1, {&x}, {attr_float("epsilon", 1e-12f)}, 1, kDomain,
                            threads);
      REQUIRE(got.status.is_ok());
      check_close(got.outputs[0], want.outputs[0]);
      if (threads == 1) first = got.outputs[0].values<float>();
      CHECK(got.outputs[0].values<float>() == first);  // the same bits on any thread count
    }
  }
  // epsilon 0 on a zero row: 0 / 0, NaN, as the unfused Div gives.
  OwnedTensor zeros = make_tensor<float>({2, 3}, {0, 0, 0, 1, 2, 2});
  OpResult z = run_op("L2Normalize", 1, {&zeros}, {}, 1, kDomain);
  REQUIRE(z.status.is_ok());
  const std::vector<float> zv = z.outputs[0].values<float>();
  CHECK(std::isnan(zv[0]));
  CHECK(zv[3] == Approx(1.0f / 3.0f));
  CHECK(zv[5] == Approx(2.0f / 3.0f));
}

TEST_CASE("L2Normalize rejects a scalar and a negative epsilon", "[fused]") {
  OwnedTensor s = make_tensor<float>({}, {1.0f});
  OpResult r = run_op("L2Normalize", 1, {&s}, {}, 1, kDomain);
  CHECK(r.status.code() == StatusCode::kInvalidArgument);
  CHECK(r.status.message().find("rank >= 1") != std::string::npos);
  OwnedTensor x = make_tensor<float>({2}, {1.0f, 2.0f});
  r = run_op("L2Normalize", 1, {&x}, {attr_float("epsilon", -1.0f)}, 1, kDomain);
  CHECK(r.status.message().find("epsilon must be >= 0") != std::string::npos);
}
