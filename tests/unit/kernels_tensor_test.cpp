// Unit tests of the 'tensor' kernel family: each kernel against hand-computed values.
#include <catch2/catch.hpp>

#include "kernel_harness.h"

using namespace parallax::test;
using parallax::rt::StatusCode;

namespace {

using Shape = std::vector<int64_t>;

// make_tensor<bool> cannot read a std::vector<bool>; bools are stored as bytes.
OwnedTensor make_bool_tensor(std::vector<int64_t> shape, const std::vector<uint8_t>& values) {
  OwnedTensor t = make_tensor<uint8_t>(std::move(shape), values);
  t.dtype = DType::kBool;
  return t;
}

}  // namespace

TEST_CASE("Reshape copies 0 dims and infers -1", "[tensor]") {
  OwnedTensor x = make_tensor<float>({2, 3, 4}, std::vector<float>(24, 1.0f));
  OwnedTensor shape = make_tensor<int64_t>({2}, {0, -1});
  OpResult r = run_op("Reshape", 14, {&x, &shape}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == Shape{2, 12});

  // allowzero keeps a literal 0 dim, which only fits an empty input.
  OwnedTensor bad = make_tensor<int64_t>({2}, {0, 24});
  OpResult z = run_op("Reshape", 14, {&x, &bad}, {attr_int("allowzero", 1)}, 1);
  CHECK(z.status.code() == StatusCode::kInvalidArgument);
}

// Swapping the last two axes of matrices larger than 64 KiB takes Transpose's tiled copy; every
// element size and ragged tile edges (300 x 70 is no multiple of 16) must come out exact.
template <typename T>
void check_tiled_transpose(int threads) {
  const int64_t n = 2, a = 300, b = 70;
  std::vector<T> in(static_cast<size_t>(n * a * b));
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<T>(i * 2654435761u);
  const OwnedTensor x = make_tensor<T>({n, a, b}, in);
  const OpResult r =
      run_op("Transpose", 13, {&x}, {attr_ints("perm", {0, 2, 1})}, 1, "", threads);
  REQUIRE(r.status.is_ok());
  REQUIRE(r.outputs[0].shape == Shape{n, b, a});
  const std::vector<T> got = r.outputs[0].values<T>();
  size_t wrong = 0;
  for (int64_t m = 0; m < n; ++m)
    for (int64_t j = 0; j < b; ++j)
      for (int64_t i = 0; i < a; ++i)
        wrong += got[static_cast<size_t>((m * b + j) * a + i)] !=
                 in[static_cast<size_t>((m * a + i) * b + j)];
  CHECK(wrong == 0);
}

TEST_CASE("Transpose of large matrices (tiled copy) for every element size", "[tensor]") {
  for (int threads = 1; threads <= 3; threads += 2) {
    check_tiled_transpose<uint8_t>(threads);
    check_tiled_transpose<uint16_t>(threads);
    check_tiled_transpose<int32_t>(threads);
    check_tiled_transpose<int64_t>(threads);
  }
}

TEST_CASE("Transpose permutes int32 data", "[tensor]") {
  OwnedTensor x = make_tensor<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  OpResult r = run_op("Transpose", 13, {&x}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == Shape{3, 2});
  CHECK(r.outputs[0].values<int32_t>() == std::vector<int32_t>{1, 4, 2, 5, 3, 6});

  OwnedTensor y = make_tensor<float>({1, 2, 2}, {1, 2, 3, 4});
  OpResult p = run_op("Transpose", 13, {&y}, {attr_ints("perm", {0, 2, 1})}, 1);
  REQUIRE(p.status.is_ok());
  CHECK(p.outputs[0].values<float>() == std::vector<float>{1, 3, 2, 4});
  CHECK(run_op("Transpose", 13, {&y}, {attr_ints("perm", {0, 0, 1})}, 1).status.code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("Concat and Split along axis 1", "[tensor]") {
  OwnedTensor a = make_tensor<float>({2, 1}, {1, 2});
  OwnedTensor b = make_tensor<float>({2, 2}, {3, 4, 5, 6});
  OpResult c = run_op("Concat", 13, {&a, &b}, {attr_int("axis", -1)}, 1);
  REQUIRE(c.status.is_ok());
  CHECK(c.outputs[0].shape == Shape{2, 3});
  CHECK(c.outputs[0].values<float>() == std::vector<float>{1, 3, 4, 2, 5, 6});

  OwnedTensor sizes = make_tensor<int64_t>({2}, {1, 2});
  OpResult s = run_op("Split", 13, {&c.outputs[0], &sizes}, {attr_int("axis", 1)}, 2);
  REQUIRE(s.status.is_ok());
  CHECK(s.outputs[0].values<float>() == std::vector<float>{1, 2});
  CHECK(s.outputs[1].values<float>() == std::vector<float>{3, 4, 5, 6});

  // Before opset 13 the sizes are an attribute.
  OpResult s11 =
      run_op("Split", 11, {&c.outputs[0]}, {attr_int("axis", 1), attr_ints("split", {2, 1})}, 2);
  REQUIRE(s11.status.is_ok());
  CHECK(s11.outputs[1].values<float>() == std::vector<float>{4, 6});

  OwnedTensor i = make_tensor<int32_t>({1}, {7});
  CHECK(run_op("Concat", 13, {&a, &i}, {attr_int("axis", 0)}, 1).status.code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("Slice clamps bounds and walks backwards", "[tensor]") {
  OwnedTensor x = make_tensor<int64_t>({2, 4}, {0, 1, 2, 3, 4, 5, 6, 7});
  OwnedTensor starts = make_tensor<int64_t>({2}, {0, -1});
  OwnedTensor ends = make_tensor<int64_t>({2}, {INT64_MAX, INT64_MIN});
  OwnedTensor axes = make_tensor<int64_t>({2}, {0, 1});
  OwnedTensor steps = make_tensor<int64_t>({2}, {1, -2});
  OpResult r = run_op("Slice", 13, {&x, &starts, &ends, &axes, &steps}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == Shape{2, 2});
  CHECK(r.outputs[0].values<int64_t>() == std::vector<int64_t>{3, 1, 7, 5});

  // Opset 1: attributes, axes default to the leading dims.
  OpResult a =
      run_op("Slice", 1, {&x}, {attr_ints("starts", {1, 1}), attr_ints("ends", {2, 3})}, 1);
  REQUIRE(a.status.is_ok());
  CHECK(a.outputs[0].values<int64_t>() == std::vector<int64_t>{5, 6});
}

TEST_CASE("Squeeze, Unsqueeze and Flatten only change the shape", "[tensor]") {
  OwnedTensor x = make_tensor<uint8_t>({1, 3, 1}, {1, 2, 3});
  OpResult s = run_op("Squeeze", 11, {&x}, {}, 1);
  REQUIRE(s.status.is_ok());
  CHECK(s.outputs[0].shape == Shape{3});
  OwnedTensor axes = make_tensor<int64_t>({2}, {0, -1});
  OpResult u = run_op("Unsqueeze", 13, {&s.outputs[0], &axes}, {}, 1);
  REQUIRE(u.status.is_ok());
  CHECK(u.outputs[0].shape == Shape{1, 3, 1});
  OpResult f = run_op("Flatten", 13, {&x}, {attr_int("axis", 2)}, 1);
  REQUIRE(f.status.is_ok());
  CHECK(f.outputs[0].shape == Shape{3, 1});
  OwnedTensor bad = make_tensor<int64_t>({1}, {1});
  CHECK(run_op("Squeeze", 13, {&x, &bad}, {}, 1).status.code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Expand and Tile broadcast and repeat", "[tensor]") {
  OwnedTensor x = make_tensor<float>({2, 1}, {1, 2});
  OwnedTensor shape = make_tensor<int64_t>({3}, {2, 1, 3});
  OpResult e = run_op("Expand", 13, {&x, &shape}, {}, 1);
  REQUIRE(e.status.is_ok());
  CHECK(e.outputs[0].shape == Shape{2, 2, 3});
  CHECK(e.outputs[0].values<float>() == std::vector<float>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2});

  OwnedTensor reps = make_tensor<int64_t>({2}, {2, 2});
  OpResult t = run_op("Tile", 13, {&x, &reps}, {}, 1);
  REQUIRE(t.status.is_ok());
  CHECK(t.outputs[0].shape == Shape{4, 2});
  CHECK(t.outputs[0].values<float>() == std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2});
}

TEST_CASE("Gather family with negative indices", "[tensor]") {
  OwnedTensor data = make_tensor<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  OwnedTensor idx = make_tensor<int64_t>({2}, {-1, 0});
  OpResult g = run_op("Gather", 13, {&data, &idx}, {}, 1);
  REQUIRE(g.status.is_ok());
  CHECK(g.outputs[0].values<float>() == std::vector<float>{5, 6, 1, 2});

  OwnedTensor eidx = make_tensor<int32_t>({1, 2}, {2, 1});
  OpResult ge = run_op("GatherElements", 13, {&data, &eidx}, {attr_int("axis", 0)}, 1);
  REQUIRE(ge.status.is_ok());
  CHECK(ge.outputs[0].values<float>() == std::vector<float>{5, 4});

  OwnedTensor nidx = make_tensor<int64_t>({2, 2}, {0, 1, 2, 0});
  OpResult gn = run_op("GatherND", 13, {&data, &nidx}, {}, 1);
  REQUIRE(gn.status.is_ok());
  CHECK(gn.outputs[0].values<float>() == std::vector<float>{2, 5});

  OwnedTensor oob = make_tensor<int64_t>({1}, {3});
  CHECK(run_op("Gather", 13, {&data, &oob}, {}, 1).status.code() == StatusCode::kOutOfRange);
}

TEST_CASE("ScatterElements and ScatterND with reductions", "[tensor]") {
  OwnedTensor data = make_tensor<int32_t>({2, 2}, {1, 2, 3, 4});
  OwnedTensor idx = make_tensor<int64_t>({1, 2}, {1, 1});
  OwnedTensor upd = make_tensor<int32_t>({1, 2}, {10, 20});
  OpResult se = run_op("ScatterElements", 16, {&data, &idx, &upd},
                       {attr_int("axis", 1), attr_string("reduction", "add")}, 1);
  REQUIRE(se.status.is_ok());
  CHECK(se.outputs[0].values<int32_t>() == std::vector<int32_t>{1, 32, 3, 4});

  OwnedTensor nidx = make_tensor<int64_t>({1, 1}, {1});
  OwnedTensor nupd = make_tensor<int32_t>({1, 2}, {5, 6});
  OpResult sn =
      run_op("ScatterND", 16, {&data, &nidx, &nupd}, {attr_string("reduction", "mul")}, 1);
  REQUIRE(sn.status.is_ok());
  CHECK(sn.outputs[0].values<int32_t>() == std::vector<int32_t>{1, 2, 15, 24});
}

TEST_CASE("Pad modes", "[tensor]") {
  OwnedTensor x = make_tensor<float>({1, 3}, {1, 2, 3});
  OwnedTensor pads = make_tensor<int64_t>({4}, {0, 2, 0, 1});
  OwnedTensor value = make_tensor<float>({}, {9});
  OpResult c = run_op("Pad", 13, {&x, &pads, &value}, {}, 1);
  REQUIRE(c.status.is_ok());
  CHECK(c.outputs[0].values<float>() == std::vector<float>{9, 9, 1, 2, 3, 9});
  OpResult r = run_op("Pad", 13, {&x, &pads}, {attr_string("mode", "reflect")}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>() == std::vector<float>{3, 2, 1, 2, 3, 2});
  OpResult e =
      run_op("Pad", 2, {&x}, {attr_string("mode", "edge"), attr_ints("pads", {0, 2, 0, 1})}, 1);
  REQUIRE(e.status.is_ok());
  CHECK(e.outputs[0].values<float>() == std::vector<float>{1, 1, 1, 2, 3, 3});
}

TEST_CASE("Shape, Size, Range, CumSum, Trilu", "[tensor]") {
  OwnedTensor x = make_tensor<float>({2, 3, 4}, std::vector<float>(24, 0.0f));
  OpResult s = run_op("Shape", 15, {&x}, {attr_int("start", -2)}, 1);
  REQUIRE(s.status.is_ok());
  CHECK(s.outputs[0].values<int64_t>() == std::vector<int64_t>{3, 4});
  OpResult n = run_op("Size", 13, {&x}, {}, 1);
  REQUIRE(n.status.is_ok());
  CHECK(n.outputs[0].values<int64_t>() == std::vector<int64_t>{24});

  OwnedTensor a = make_tensor<int32_t>({}, {10}), b = make_tensor<int32_t>({}, {4}),
              d = make_tensor<int32_t>({}, {-3});
  OpResult rg = run_op("Range", 11, {&a, &b, &d}, {}, 1);
  REQUIRE(rg.status.is_ok());
  CHECK(rg.outputs[0].values<int32_t>() == std::vector<int32_t>{10, 7});

  OwnedTensor v = make_tensor<double>({4}, {1, 2, 3, 4});
  OwnedTensor axis = make_tensor<int32_t>({}, {0});
  OpResult cs =
      run_op("CumSum", 14, {&v, &axis}, {attr_int("exclusive", 1), attr_int("reverse", 1)}, 1);
  REQUIRE(cs.status.is_ok());
  CHECK(cs.outputs[0].values<double>() == std::vector<double>{9, 7, 4, 0});

  OwnedTensor m = make_tensor<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  OwnedTensor k = make_tensor<int64_t>({}, {1});
  OpResult t = run_op("Trilu", 14, {&m, &k}, {attr_int("upper", 0)}, 1);
  REQUIRE(t.status.is_ok());
  CHECK(t.outputs[0].values<int64_t>() == std::vector<int64_t>{1, 2, 0, 4, 5, 6});
}

TEST_CASE("Data-dependent shapes: NonZero, Compress, Unique", "[tensor]") {
  OwnedTensor x = make_bool_tensor({2, 2}, {1, 0, 0, 1});
  OpResult nz = run_op("NonZero", 13, {&x}, {}, 1);
  REQUIRE(nz.status.is_ok());
  CHECK(nz.outputs[0].shape == Shape{2, 2});
  CHECK(nz.outputs[0].values<int64_t>() == std::vector<int64_t>{0, 1, 0, 1});

  OwnedTensor data = make_tensor<float>({3}, {4, 5, 6});
  OwnedTensor cond = make_bool_tensor({2}, {0, 1});
  OpResult c = run_op("Compress", 11, {&data, &cond}, {attr_int("axis", 0)}, 1);
  REQUIRE(c.status.is_ok());
  CHECK(c.outputs[0].values<float>() == std::vector<float>{5});

  OwnedTensor u = make_tensor<float>({5}, {2, 1, 1, 3, 2});
  OpResult un = run_op("Unique", 11, {&u}, {attr_int("sorted", 0)}, 4);
  REQUIRE(un.status.is_ok());
  CHECK(un.outputs[0].values<float>() == std::vector<float>{2, 1, 3});
  CHECK(un.outputs[1].values<int64_t>() == std::vector<int64_t>{0, 1, 3});
  CHECK(un.outputs[2].values<int64_t>() == std::vector<int64_t>{0, 1, 1, 2, 0});
  CHECK(un.outputs[3].values<int64_t>() == std::vector<int64_t>{2, 2, 1});
}

TEST_CASE("DepthToSpace and SpaceToDepth are inverses (DCR)", "[tensor]") {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(i);
  OwnedTensor x = make_tensor<float>({1, 4, 2, 2}, v);
  OpResult d = run_op("DepthToSpace", 13, {&x}, {attr_int("blocksize", 2)}, 1);
  REQUIRE(d.status.is_ok());
  CHECK(d.outputs[0].shape == Shape{1, 1, 4, 4});
  CHECK(d.outputs[0].values<float>()[0 * 4 + 1] == 4.0f);  // (h=0, bw=1) comes from channel 1
  OpResult s = run_op("SpaceToDepth", 13, {&d.outputs[0]}, {attr_int("blocksize", 2)}, 1);
  REQUIRE(s.status.is_ok());
  CHECK(s.outputs[0].values<float>() == v);
}

TEST_CASE("OneHot, EyeLike, ConstantOfShape", "[tensor]") {
  OwnedTensor idx = make_tensor<int64_t>({2}, {1, -1});
  OwnedTensor depth = make_tensor<float>({}, {3});
  OwnedTensor values = make_tensor<int32_t>({2}, {0, 7});
  OpResult oh = run_op("OneHot", 11, {&idx, &depth, &values}, {attr_int("axis", 0)}, 1);
  REQUIRE(oh.status.is_ok());
  CHECK(oh.outputs[0].shape == Shape{3, 2});
  CHECK(oh.outputs[0].values<int32_t>() == std::vector<int32_t>{0, 0, 7, 0, 0, 7});

  OwnedTensor m = make_tensor<float>({2, 3}, std::vector<float>(6, 5.0f));
  OpResult e = run_op("EyeLike", 9, {&m}, {attr_int("k", 1), attr_int("dtype", 7)}, 1);
  REQUIRE(e.status.is_ok());
  CHECK(e.outputs[0].values<int64_t>() == std::vector<int64_t>{0, 1, 0, 0, 0, 1});

  OwnedTensor shape = make_tensor<int64_t>({2}, {2, 0});
  OpResult c = run_op("ConstantOfShape", 9, {&shape}, {}, 1);
  REQUIRE(c.status.is_ok());
  CHECK(c.outputs[0].shape == Shape{2, 0});
}
