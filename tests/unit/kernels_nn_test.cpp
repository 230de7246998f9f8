// Unit tests of the 'nn' kernel family: each kernel against hand-computed values.
#include <catch2/catch.hpp>

#include "kernel_harness.h"

using namespace parallax::test;

namespace {

using parallax::rt::float16;
using parallax::rt::StatusCode;

std::vector<float> to_floats(const std::vector<float16>& v) {
  return std::vector<float>(v.begin(), v.end());
}

}  // namespace

TEST_CASE("Conv: 2x2 kernel over a 3x3 image, with bias and padding", "[nn]") {
  OwnedTensor x = make_tensor<float>({1, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8});
  OwnedTensor w = make_tensor<float>({1, 1, 2, 2}, {1, 1, 1, 1});
  OwnedTensor b = make_tensor<float>({1}, {100});
  OpResult r = run_op("Conv", 11, {&x, &w, &b}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == std::vector<int64_t>{1, 1, 2, 2});
  CHECK(r.outputs[0].values<float>() == std::vector<float>{108, 112, 120, 124});
  // Padding one on the left/top only, stride 2: windows at (-1,-1), (-1,1), (1,-1), (1,1).
  OpResult p = run_op("Conv", 11, {&x, &w},
                      {attr_ints("pads", {1, 1, 0, 0}), attr_ints("strides", {2, 2})}, 1);
  REQUIRE(p.status.is_ok());
  CHECK(p.outputs[0].values<float>() == std::vector<float>{0, 3, 9, 24});
}

TEST_CASE("Conv: depthwise groups and SAME_UPPER in float16", "[nn]") {
  // Two channels, each convolved with its own 1x3 kernel; SAME_UPPER keeps the width.
  OwnedTensor x = make_tensor<float16>({1, 2, 1, 3}, {1, 2, 3, 10, 20, 30});
  OwnedTensor w = make_tensor<float16>({2, 1, 1, 3}, {1, 1, 1, 0, 1, 0});
  OpResult r = run_op("Conv", 11, {&x, &w},
                      {attr_int("group", 2), attr_string("auto_pad", "SAME_UPPER")}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].dtype == DType::kFloat16);
  CHECK(to_floats(r.outputs[0].values<float16>()) == std::vector<float>{3, 6, 5, 10, 20, 30});
}

TEST_CASE("Conv rejects weights whose channels do not match X", "[nn]") {
  OwnedTensor x = make_tensor<float>({1, 3, 2, 2}, std::vector<float>(12, 1.0f));
  OwnedTensor w = make_tensor<float>({1, 2, 1, 1}, {1, 1});
  OpResult r = run_op("Conv", 11, {&x, &w}, {}, 1);
  CHECK(r.status.code() == StatusCode::kInvalidArgument);
}

TEST_CASE("ConvTranspose scatters each input over the kernel", "[nn]") {
  OwnedTensor x = make_tensor<float>({1, 1, 2}, {1, 2});
  OwnedTensor w = make_tensor<float>({1, 1, 2}, {1, 10});
  OpResult r = run_op("ConvTranspose", 11, {&x, &w}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>() == std::vector<float>{1, 12, 20});
  OpResult s = run_op("ConvTranspose", 11, {&x, &w}, {attr_ints("strides", {3})}, 1);
  REQUIRE(s.status.is_ok());
  CHECK(s.outputs[0].values<float>() == std::vector<float>{1, 10, 0, 2, 20});
}

TEST_CASE("MatMul broadcasts batches and handles 1-D operands", "[nn]") {
  OwnedTensor a = make_tensor<float>({2, 1, 2}, {1, 2, 3, 4});
  OwnedTensor b = make_tensor<float>({2, 2}, {1, 0, 0, 2});
  OpResult r = run_op("MatMul", 13, {&a, &b}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == std::vector<int64_t>{2, 1, 2});
  CHECK(r.outputs[0].values<float>() == std::vector<float>{1, 4, 3, 8});
  OwnedTensor v = make_tensor<int32_t>({3}, {1, 2, 3});
  OpResult dot = run_op("MatMul", 13, {&v, &v}, {}, 1);
  REQUIRE(dot.status.is_ok());
  CHECK(dot.outputs[0].shape.empty());
  CHECK(dot.outputs[0].values<int32_t>() == std::vector<int32_t>{14});
  OwnedTensor bad = make_tensor<float>({3, 2}, std::vector<float>(6, 1.0f));
  CHECK(run_op("MatMul", 13, {&a, &bad}, {}, 1).status.code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Gemm: transposes, alpha, beta and a broadcast row of C", "[nn]") {
  OwnedTensor a = make_tensor<float>({2, 2}, {1, 3, 2, 4});  // A^T = [[1, 2], [3, 4]]
  OwnedTensor b = make_tensor<float>({2, 2}, {1, 0, 1, 1});  // B^T = [[1, 1], [0, 1]]
  OwnedTensor c = make_tensor<float>({2}, {10, 20});
  OpResult r = run_op("Gemm", 13, {&a, &b, &c},
                      {attr_int("transA", 1), attr_int("transB", 1), attr_float("alpha", 2.0f),
                       attr_float("beta", 0.5f)},
                      1);
  REQUIRE(r.status.is_ok());
  // A^T B^T = [[1, 3], [3, 7]]; * 2 + [5, 10].
  CHECK(r.outputs[0].values<float>() == std::vector<float>{7, 16, 11, 24});
}

TEST_CASE("MaxPool returns row- and column-major indices", "[nn]") {
  OwnedTensor x = make_tensor<float>({1, 1, 2, 3}, {1, 9, 2, 8, 3, 7});
  OpResult r = run_op("MaxPool", 12, {&x}, {attr_ints("kernel_shape", {2, 2})}, 2);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>() == std::vector<float>{9, 9});
  CHECK(r.outputs[1].values<int64_t>() == std::vector<int64_t>{1, 1});
  OpResult c = run_op("MaxPool", 12, {&x},
                      {attr_ints("kernel_shape", {2, 2}), attr_int("storage_order", 1)}, 2);
  REQUIRE(c.status.is_ok());
  CHECK(c.outputs[1].values<int64_t>() == std::vector<int64_t>{2, 2});  // (0, 1) column-major
}

TEST_CASE("AveragePool counts padding only with count_include_pad", "[nn]") {
  OwnedTensor x = make_tensor<float>({1, 1, 2}, {2, 4});
  OpResult ex = run_op("AveragePool", 11, {&x},
                       {attr_ints("kernel_shape", {2}), attr_ints("pads", {1, 0})}, 1);
  REQUIRE(ex.status.is_ok());
  CHECK(ex.outputs[0].values<float>() == std::vector<float>{2, 3});
  OpResult in = run_op(
      "AveragePool", 11, {&x},
      {attr_ints("kernel_shape", {2}), attr_ints("pads", {1, 0}), attr_int("count_include_pad", 1)},
      1);
  REQUIRE(in.status.is_ok());
  CHECK(in.outputs[0].values<float>() == std::vector<float>{1, 3});
}

TEST_CASE("Softmax axis meaning changes at opset 13", "[nn]") {
  OwnedTensor x = make_tensor<float>({1, 2}, {0, 0});
  // Opset 11, axis 0: the whole tensor is one row of two equal values.
  OpResult old = run_op("Softmax", 11, {&x}, {attr_int("axis", 0)}, 1);
  REQUIRE(old.status.is_ok());
  CHECK(old.outputs[0].values<float>() == std::vector<float>{0.5f, 0.5f});
  // Opset 13, axis 0: each column normalises alone.
  OpResult now = run_op("Softmax", 13, {&x}, {attr_int("axis", 0)}, 1);
  REQUIRE(now.status.is_ok());
  CHECK(now.outputs[0].values<float>() == std::vector<float>{1.0f, 1.0f});
  OwnedTensor h = make_tensor<double>({3}, {1, 5, 5});
  OpResult hard = run_op("Hardmax", 13, {&h}, {}, 1);
  REQUIRE(hard.status.is_ok());
  CHECK(hard.outputs[0].values<double>() == std::vector<double>{0, 1, 0});
}

TEST_CASE("LayerNormalization normalises rows and reports statistics", "[nn]") {
  OwnedTensor x = make_tensor<float>({2, 2}, {1, 3, 4, 6});
  OwnedTensor scale = make_tensor<float>({2}, {1, 2});
  OwnedTensor bias = make_tensor<float>({2}, {0, 1});
  OpResult r =
      run_op("LayerNormalization", 17, {&x, &scale, &bias}, {attr_float("epsilon", 0.0f)}, 3);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>() == std::vector<float>{-1, 3, -1, 3});
  CHECK(r.outputs[1].shape == std::vector<int64_t>{2, 1});
  CHECK(r.outputs[1].values<float>() == std::vector<float>{2, 5});
  CHECK(r.outputs[2].values<float>()[0] == Approx(1.0f));
}

TEST_CASE("BatchNormalization in inference mode", "[nn]") {
  OwnedTensor x = make_tensor<float>({1, 2, 1, 2}, {1, 2, 3, 4});
  OwnedTensor scale = make_tensor<float>({2}, {1, 2});
  OwnedTensor bias = make_tensor<float>({2}, {0, 1});
  OwnedTensor mean = make_tensor<float>({2}, {1, 3});
  OwnedTensor var = make_tensor<float>({2}, {1, 4});
  OpResult r = run_op("BatchNormalization", 15, {&x, &scale, &bias, &mean, &var},
                      {attr_float("epsilon", 0.0f)}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>() == std::vector<float>{0, 1, 1, 2});
}

TEST_CASE("QuantizeLinear rounds half to even and saturates; DequantizeLinear inverts", "[nn]") {
  OwnedTensor x = make_tensor<float>({5}, {1, 3, -300, 1000, 5});
  OwnedTensor scale = make_tensor<float>({}, {2});
  OwnedTensor zp = make_tensor<int8_t>({}, {0});
  OpResult q = run_op("QuantizeLinear", 13, {&x, &scale, &zp}, {}, 1);
  REQUIRE(q.status.is_ok());
  CHECK(q.outputs[0].dtype == DType::kInt8);
  CHECK(q.outputs[0].values<int8_t>() == std::vector<int8_t>{0, 2, -128, 127, 2});
  OpResult d = run_op("DequantizeLinear", 13, {&q.outputs[0], &scale, &zp}, {}, 1);
  REQUIRE(d.status.is_ok());
  CHECK(d.outputs[0].values<float>() == std::vector<float>{0, 4, -256, 254, 4});
}

TEST_CASE("MatMulInteger subtracts per-row and scalar zero points", "[nn]") {
  OwnedTensor a = make_tensor<uint8_t>({2, 2}, {11, 12, 23, 24});
  OwnedTensor b = make_tensor<uint8_t>({2, 1}, {3, 4});
  OwnedTensor a_zp = make_tensor<uint8_t>({2}, {10, 20});
  OwnedTensor b_zp = make_tensor<uint8_t>({}, {2});
  OpResult r = run_op("MatMulInteger", 10, {&a, &b, &a_zp, &b_zp}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<int32_t>() == std::vector<int32_t>{1 * 1 + 2 * 2, 3 * 1 + 4 * 2});
}
