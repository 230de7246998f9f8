// Unit tests of the 'reduce' kernel family: each kernel against hand-computed values.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernel_harness.h"

using namespace parallax::test;
using parallax::rt::StatusCode;
using parallax::rt::float16;

namespace {

std::vector<float> as_floats(const OwnedTensor& t) {
  if (t.dtype == DType::kFloat16) {
    std::vector<float> out;
    for (float16 h : t.values<float16>()) out.push_back(static_cast<float>(h));
    return out;
  }
  return t.values<float>();
}

void check_close(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(want[i]).margin(tol));
}

}  // namespace

TEST_CASE("ReduceSum takes axes from an input from opset 13") {
  OwnedTensor x = make_tensor<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  OwnedTensor axes = make_tensor<int64_t>({1}, {-1});
  OpResult r = run_op("ReduceSum", 13, {&x, &axes}, {attr_int("keepdims", 0)}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == std::vector<int64_t>{2});
  CHECK(r.outputs[0].values<float>() == std::vector<float>{6, 15});
}

TEST_CASE("ReduceSum with no axes reduces everything, or nothing with noop_with_empty_axes") {
  OwnedTensor x = make_tensor<int64_t>({2, 2}, {1, 2, 3, 4});
  OpResult all = run_op("ReduceSum", 13, {&x}, {}, 1);
  REQUIRE(all.status.is_ok());
  CHECK(all.outputs[0].shape == std::vector<int64_t>{1, 1});
  CHECK(all.outputs[0].values<int64_t>() == std::vector<int64_t>{10});
  OpResult noop = run_op("ReduceSum", 13, {&x}, {attr_int("noop_with_empty_axes", 1)}, 1);
  REQUIRE(noop.status.is_ok());
  CHECK(noop.outputs[0].values<int64_t>() == std::vector<int64_t>{1, 2, 3, 4});
}

TEST_CASE("ReduceMean over non-adjacent axes of an int32 tensor truncates") {
  // x[i][j][k] = i * 4 + j * 2 + k; reduce axes 0 and 2.
  OwnedTensor x = make_tensor<int32_t>({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  OpResult r = run_op("ReduceMean", 11, {&x}, {attr_ints("axes", {0, 2})}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == std::vector<int64_t>{1, 2, 1});
  CHECK(r.outputs[0].values<int32_t>() == std::vector<int32_t>{2, 4});  // 10/4, 18/4
}

TEST_CASE("ReduceMax and ReduceL2 work on float16") {
  OwnedTensor x = make_tensor<float16>({2, 2}, {float16(3), float16(-4), float16(0.5f), float16(2)});
  OpResult mx = run_op("ReduceMax", 13, {&x}, {attr_ints("axes", {1})}, 1);
  REQUIRE(mx.status.is_ok());
  check_close(as_floats(mx.outputs[0]), {3, 2});
  OpResult l2 = run_op("ReduceL2", 13, {&x}, {attr_ints("axes", {0, 1}), attr_int("keepdims", 0)}, 1);
  REQUIRE(l2.status.is_ok());
  CHECK(l2.outputs[0].shape.empty());
  check_close(as_floats(l2.outputs[0]), {std::sqrt(9.0f + 16.0f + 0.25f + 4.0f)}, 1e-2f);
}

TEST_CASE("ReduceLogSumExp does not overflow on large inputs") {
  OwnedTensor x = make_tensor<float>({2}, {1000, 1000});
  OpResult r = run_op("ReduceLogSumExp", 13, {&x}, {}, 1);
  REQUIRE(r.status.is_ok());
  check_close(r.outputs[0].values<float>(), {1000 + std::log(2.0f)}, 1e-3f);
}

TEST_CASE("Reduce rejects an axis out of range") {
  OwnedTensor x = make_tensor<float>({2}, {1, 2});
  OpResult r = run_op("ReduceProd", 13, {&x}, {attr_ints("axes", {1})}, 1);
  CHECK(r.status.code() == StatusCode::kInvalidArgument);
}

TEST_CASE("ArgMax and ArgMin break ties by select_last_index") {
  OwnedTensor x = make_tensor<int32_t>({2, 3}, {5, 1, 5, 0, 0, -2});
  OpResult first = run_op("ArgMax", 13, {&x}, {attr_int("axis", 1)}, 1);
  REQUIRE(first.status.is_ok());
  CHECK(first.outputs[0].shape == std::vector<int64_t>{2, 1});
  CHECK(first.outputs[0].values<int64_t>() == std::vector<int64_t>{0, 0});
  OpResult last = run_op("ArgMax", 13, {&x}, {attr_int("axis", 1), attr_int("select_last_index", 1),
                                               attr_int("keepdims", 0)}, 1);
  REQUIRE(last.status.is_ok());
  CHECK(last.outputs[0].values<int64_t>() == std::vector<int64_t>{2, 1});
  OpResult mn = run_op("ArgMin", 13, {&x}, {}, 1);  // axis 0
  REQUIRE(mn.status.is_ok());
  CHECK(mn.outputs[0].values<int64_t>() == std::vector<int64_t>{1, 1, 1});
}

TEST_CASE("TopK returns sorted values, lower index first on ties") {
  OwnedTensor x = make_tensor<float>({1, 5}, {2, 7, 2, 9, 7});
  OwnedTensor k = make_tensor<int64_t>({1}, {3});
  OpResult big = run_op("TopK", 11, {&x, &k}, {}, 2);
  REQUIRE(big.status.is_ok());
  CHECK(big.outputs[0].values<float>() == std::vector<float>{9, 7, 7});
  CHECK(big.outputs[1].values<int64_t>() == std::vector<int64_t>{3, 1, 4});
  OpResult small = run_op("TopK", 11, {&x, &k}, {attr_int("largest", 0)}, 2);
  REQUIRE(small.status.is_ok());
  CHECK(small.outputs[0].values<float>() == std::vector<float>{2, 2, 7});
  CHECK(small.outputs[1].values<int64_t>() == std::vector<int64_t>{0, 2, 1});
  OpResult v1 = run_op("TopK", 1, {&x}, {attr_int("k", 1)}, 2);  // k is an attribute in v1
  REQUIRE(v1.status.is_ok());
  CHECK(v1.outputs[1].values<int64_t>() == std::vector<int64_t>{3});
  OwnedTensor too_big = make_tensor<int64_t>({1}, {6});
  CHECK(run_op("TopK", 11, {&x, &too_big}, {}, 2).status.code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Resize nearest upsamples an int tensor by sizes") {
  OwnedTensor x = make_tensor<int32_t>({1, 2}, {1, 2});
  OwnedTensor sizes = make_tensor<int64_t>({2}, {1, 4});
  OpResult r = run_op("Resize", 13, {&x, nullptr, nullptr, &sizes}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == std::vector<int64_t>{1, 4});
  // half_pixel: x_orig = (i + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25 -> 0, 0, 1, 1.
  CHECK(r.outputs[0].values<int32_t>() == std::vector<int32_t>{1, 1, 2, 2});
}

TEST_CASE("Resize linear with align_corners and with half_pixel") {
  OwnedTensor x = make_tensor<float>({2}, {0, 3});
  OwnedTensor scales = make_tensor<float>({1}, {2});
  OpResult ac = run_op("Resize", 13, {&x, nullptr, &scales},
                       {attr_string("mode", "linear"),
                        attr_string("coordinate_transformation_mode", "align_corners")}, 1);
  REQUIRE(ac.status.is_ok());
  check_close(ac.outputs[0].values<float>(), {0, 1, 2, 3});
  OpResult hp = run_op("Resize", 13, {&x, nullptr, &scales}, {attr_string("mode", "linear")}, 1);
  REQUIRE(hp.status.is_ok());
  check_close(hp.outputs[0].values<float>(), {0, 0.75f, 2.25f, 3});
}

TEST_CASE("Resize needs exactly one of scales and sizes") {
  OwnedTensor x = make_tensor<float>({2}, {0, 3});
  OwnedTensor scales = make_tensor<float>({1}, {2});
  OwnedTensor sizes = make_tensor<int64_t>({1}, {4});
  OpResult r = run_op("Resize", 13, {&x, nullptr, &scales, &sizes}, {}, 1);
  CHECK(r.status.code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Upsample-7 repeats elements by the scales attribute") {
  OwnedTensor x = make_tensor<float>({1, 2}, {1, 2});
  OpResult r = run_op("Upsample", 7, {&x}, {attr_floats("scales", {2, 3})}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == std::vector<int64_t>{2, 6});
  CHECK(r.outputs[0].values<float>() == std::vector<float>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2});
}

TEST_CASE("NonMaxSuppression keeps the best of overlapping boxes per class") {
  // Boxes 0 and 1 overlap with IoU 0.81; box 2 is far away.
  OwnedTensor boxes = make_tensor<float>({1, 3, 4}, {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 5, 5, 6, 6});
  OwnedTensor scores = make_tensor<float>({1, 1, 3}, {0.8f, 0.9f, 0.1f});
  OwnedTensor max_out = make_tensor<int64_t>({1}, {10});
  OwnedTensor iou = make_tensor<float>({1}, {0.5f});
  OwnedTensor thr = make_tensor<float>({1}, {0.2f});
  OpResult r = run_op("NonMaxSuppression", 11, {&boxes, &scores, &max_out, &iou, &thr}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == std::vector<int64_t>{1, 3});
  CHECK(r.outputs[0].values<int64_t>() == std::vector<int64_t>{0, 0, 1});
  OpResult none = run_op("NonMaxSuppression", 11, {&boxes, &scores}, {}, 1);  // max_out = 0
  REQUIRE(none.status.is_ok());
  CHECK(none.outputs[0].shape == std::vector<int64_t>{0, 3});
}

TEST_CASE("Einsum: explicit and implicit output, diagonal, ellipsis broadcast") {
  OwnedTensor a = make_tensor<float>({2, 2}, {1, 2, 3, 4});
  OwnedTensor b = make_tensor<float>({2, 2}, {5, 6, 7, 8});
  OpResult mm = run_op("Einsum", 12, {&a, &b}, {attr_string("equation", "ij,jk")}, 1);
  REQUIRE(mm.status.is_ok());
  CHECK(mm.outputs[0].values<float>() == std::vector<float>{19, 22, 43, 50});
  OpResult tr = run_op("Einsum", 12, {&a}, {attr_string("equation", "ii->")}, 1);
  REQUIRE(tr.status.is_ok());
  CHECK(tr.outputs[0].shape.empty());
  CHECK(tr.outputs[0].values<float>() == std::vector<float>{5});
  OwnedTensor v = make_tensor<float>({2}, {10, 100});
  OpResult bc = run_op("Einsum", 12, {&a, &v}, {attr_string("equation", "...j,j->...")}, 1);
  REQUIRE(bc.status.is_ok());
  CHECK(bc.outputs[0].values<float>() == std::vector<float>{210, 430});
  CHECK(run_op("Einsum", 12, {&a, &v}, {attr_string("equation", "ij,jk->ik")}, 1).status.code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("Det of a batch of matrices, singular included") {
  OwnedTensor x = make_tensor<double>({2, 3, 3}, {2, 0, 1, 1, 3, 2, 1, 1, 2,  //
                                                 1, 2, 3, 2, 4, 6, 0, 1, 1});
  OpResult r = run_op("Det", 11, {&x}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == std::vector<int64_t>{2});
  const std::vector<double> d = r.outputs[0].values<double>();
  CHECK(d[0] == Approx(6.0));  // 2 * (6 - 2) + (1 - 3)
  CHECK(d[1] == Approx(0.0).margin(1e-12));
}

TEST_CASE("GridSample with an identity grid and align_corners reproduces the input") {
  OwnedTensor x = make_tensor<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  OwnedTensor grid = make_tensor<float>({1, 2, 2, 2}, {-1, -1, 1, -1, -1, 1, 1, 1});
  OpResult r = run_op("GridSample", 16, {&x, &grid}, {attr_int("align_corners", 1)}, 1);
  REQUIRE(r.status.is_ok());
  check_close(r.outputs[0].values<float>(), {1, 2, 3, 4});
  OpResult zeros = run_op("GridSample", 16, {&x, &grid}, {}, 1);  // corners at pixel edges
  REQUIRE(zeros.status.is_ok());
  check_close(zeros.outputs[0].values<float>(), {0.25f, 0.5f, 0.75f, 1.0f});
}

TEST_CASE("RoiAlign averages bilinear samples of a linear ramp") {
  // x[h][w] = w, so any average of samples is the mean sample x coordinate.
  std::vector<float> ramp;
  for (int h = 0; h < 4; ++h)
    for (int w = 0; w < 4; ++w) ramp.push_back(static_cast<float>(w));
  OwnedTensor x = make_tensor<float>({1, 1, 4, 4}, ramp);
  OwnedTensor rois = make_tensor<float>({1, 4}, {0, 0, 2, 2});
  OwnedTensor batch = make_tensor<int64_t>({1}, {0});
  OpResult r = run_op("RoiAlign", 16, {&x, &rois, &batch},
                      {attr_string("coordinate_transformation_mode", "output_half_pixel"),
                       attr_int("output_width", 2), attr_int("sampling_ratio", 1)}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == std::vector<int64_t>{1, 1, 1, 2});
  check_close(r.outputs[0].values<float>(), {0.5f, 1.5f});
  OwnedTensor bad = make_tensor<int64_t>({1}, {3});
  CHECK(run_op("RoiAlign", 16, {&x, &rois, &bad}, {}, 1).status.code() == StatusCode::kOutOfRange);
}
