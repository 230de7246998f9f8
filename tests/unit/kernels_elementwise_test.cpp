// Unit tests of the 'elementwise' kernel family: each kernel against hand-computed values.
#include <catch2/catch.hpp>

#include "kernel_harness.h"

using namespace parallax::test;

namespace {

using parallax::rt::bfloat16;
using parallax::rt::float16;
using parallax::rt::StatusCode;

// The harness copies through std::vector<T>, which vector<bool> cannot do: bools travel as bytes.
OwnedTensor bool_tensor(std::vector<int64_t> shape, const std::vector<uint8_t>& values) {
  OwnedTensor t = make_tensor<uint8_t>(std::move(shape), values);
  t.dtype = DType::kBool;
  return t;
}
std::vector<uint8_t> bools(const OwnedTensor& t) {
  REQUIRE(t.dtype == DType::kBool);
  return t.values<uint8_t>();
}

}  // namespace

TEST_CASE("Relu and Abs map every element", "[elementwise]") {
  OwnedTensor x = make_tensor<float>({2, 2}, {1, -2, 3, -4});
  OpResult relu = run_op("Relu", 14, {&x}, {}, 1);
  REQUIRE(relu.status.is_ok());
  CHECK(relu.outputs[0].values<float>() == std::vector<float>{1, 0, 3, 0});
  OwnedTensor xi = make_tensor<int8_t>({3}, {-128, -5, 7});
  OpResult abs = run_op("Abs", 13, {&xi}, {}, 1);
  REQUIRE(abs.status.is_ok());
  CHECK(abs.outputs[0].values<int8_t>() == std::vector<int8_t>{-128, 5, 7});  // -(-128) wraps
}

TEST_CASE("Add broadcasts a row and a column", "[elementwise]") {
  OwnedTensor a = make_tensor<float>({2, 1}, {10, 20});
  OwnedTensor b = make_tensor<float>({3}, {1, 2, 3});
  OpResult r = run_op("Add", 14, {&a, &b}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].shape == std::vector<int64_t>{2, 3});
  CHECK(r.outputs[0].values<float>() == std::vector<float>{11, 12, 13, 21, 22, 23});
}

TEST_CASE("Sub broadcasts the middle axis of a 3-d tensor", "[elementwise]") {
  OwnedTensor a = make_tensor<int32_t>({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  OwnedTensor b = make_tensor<int32_t>({2, 1, 2}, {1, 1, 2, 2});
  OpResult r = run_op("Sub", 14, {&a, &b}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<int32_t>() == std::vector<int32_t>{0, 1, 2, 3, 3, 4, 5, 6});
}

TEST_CASE("Mul uses the legacy axis attribute before opset 7", "[elementwise]") {
  OwnedTensor a = make_tensor<float>({2, 3}, {1, 1, 1, 1, 1, 1});
  OwnedTensor b = make_tensor<float>({2}, {2, 3});
  OpResult r = run_op("Mul", 6, {&a, &b}, {attr_int("broadcast", 1), attr_int("axis", 0)}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>() == std::vector<float>{2, 2, 2, 3, 3, 3});
}

TEST_CASE("Add rejects shapes that do not broadcast", "[elementwise]") {
  OwnedTensor a = make_tensor<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  OwnedTensor b = make_tensor<float>({2}, {1, 2});
  OpResult r = run_op("Add", 14, {&a, &b}, {}, 1);
  CHECK(r.status.code() == StatusCode::kInvalidArgument);
  CHECK(r.status.message().find("cannot be broadcast") != std::string::npos);
}

TEST_CASE("Integer Div truncates and Mod follows fmod", "[elementwise]") {
  OwnedTensor a = make_tensor<int32_t>({4}, {7, -7, 7, -7});
  OwnedTensor b = make_tensor<int32_t>({4}, {2, 2, -2, -2});
  OpResult div = run_op("Div", 14, {&a, &b}, {}, 1);
  REQUIRE(div.status.is_ok());
  CHECK(div.outputs[0].values<int32_t>() == std::vector<int32_t>{3, -3, -3, 3});
  OpResult mod = run_op("Mod", 13, {&a, &b}, {}, 1);
  REQUIRE(mod.status.is_ok());
  CHECK(mod.outputs[0].values<int32_t>() == std::vector<int32_t>{1, 1, -1, -1});
  OpResult fmod = run_op("Mod", 13, {&a, &b}, {attr_int("fmod", 1)}, 1);
  REQUIRE(fmod.status.is_ok());
  CHECK(fmod.outputs[0].values<int32_t>() == std::vector<int32_t>{1, -1, 1, -1});
  OwnedTensor zero = make_tensor<int32_t>({1}, {0});
  CHECK(run_op("Div", 14, {&a, &zero}, {}, 1).status.code() == StatusCode::kInvalidArgument);
}

TEST_CASE("Comparisons produce bool", "[elementwise]") {
  OwnedTensor a = make_tensor<int64_t>({3}, {1, 2, 3});
  OwnedTensor b = make_tensor<int64_t>({1}, {2});
  OpResult r = run_op("GreaterOrEqual", 16, {&a, &b}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(bools(r.outputs[0]) == std::vector<uint8_t>{0, 1, 1});
}

TEST_CASE("Max folds three broadcast inputs", "[elementwise]") {
  OwnedTensor a = make_tensor<float>({3}, {1, 5, 2});
  OwnedTensor b = make_tensor<float>({1}, {3});
  OwnedTensor c = make_tensor<float>({2, 1}, {0, 4});
  OpResult r = run_op("Max", 13, {&a, &b, &c}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>() == std::vector<float>{3, 5, 3, 4, 5, 4});
  OpResult mean = run_op("Mean", 13, {&a, &b}, {}, 1);
  REQUIRE(mean.status.is_ok());
  CHECK(mean.outputs[0].values<float>() == std::vector<float>{2, 4, 2.5f});
}

TEST_CASE("Pow mixes base and exponent types", "[elementwise]") {
  OwnedTensor a = make_tensor<int64_t>({3}, {2, -3, 5});
  OwnedTensor b = make_tensor<int32_t>({3}, {10, 3, 0});
  OpResult r = run_op("Pow", 15, {&a, &b}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<int64_t>() == std::vector<int64_t>{1024, -27, 1});
  OwnedTensor f = make_tensor<float>({2}, {4, 9});
  OwnedTensor half = make_tensor<float>({1}, {0.5f});
  OpResult s = run_op("Pow", 15, {&f, &half}, {}, 1);
  REQUIRE(s.status.is_ok());
  CHECK(s.outputs[0].values<float>() == std::vector<float>{2, 3});
}

TEST_CASE("Clip takes attributes before opset 11 and inputs after", "[elementwise]") {
  OwnedTensor x = make_tensor<float>({4}, {-2, 0.5f, 3, 9});
  OpResult old = run_op("Clip", 6, {&x}, {attr_float("min", 0), attr_float("max", 1)}, 1);
  REQUIRE(old.status.is_ok());
  CHECK(old.outputs[0].values<float>() == std::vector<float>{0, 0.5f, 1, 1});
  OwnedTensor hi = make_tensor<float>({}, {2});
  OpResult r = run_op("Clip", 13, {&x, nullptr, &hi}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>() == std::vector<float>{-2, 0.5f, 2, 2});
}

TEST_CASE("Round halves to even", "[elementwise]") {
  OwnedTensor x = make_tensor<float>({5}, {0.5f, 1.5f, 2.5f, -0.5f, -2.6f});
  OpResult r = run_op("Round", 11, {&x}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>() == std::vector<float>{0, 2, 2, -0.0f, -3});
}

TEST_CASE("Sigmoid works in float16", "[elementwise]") {
  OwnedTensor x = make_tensor<float16>({2}, {float16(0.0f), float16(-20000.0f)});
  OpResult r = run_op("Sigmoid", 13, {&x}, {}, 1);
  REQUIRE(r.status.is_ok());
  std::vector<float16> y = r.outputs[0].values<float16>();
  CHECK(static_cast<float>(y[0]) == 0.5f);
  CHECK(static_cast<float>(y[1]) == 0.0f);
}

TEST_CASE("Cast converts between numeric types, bool and bfloat16", "[elementwise]") {
  OwnedTensor x = make_tensor<float>({4}, {-1.7f, 0.0f, 2.9f, 300.0f});
  OpResult i = run_op("Cast", 13, {&x}, {attr_int("to", 3)}, 1);  // int8
  REQUIRE(i.status.is_ok());
  CHECK(i.outputs[0].values<int8_t>() == std::vector<int8_t>{-1, 0, 2, 44});  // 300 wraps
  OpResult b = run_op("Cast", 13, {&x}, {attr_int("to", 9)}, 1);
  REQUIRE(b.status.is_ok());
  CHECK(bools(b.outputs[0]) == std::vector<uint8_t>{1, 0, 1, 1});
  OpResult bf = run_op("Cast", 13, {&x}, {attr_int("to", 16)}, 1);
  REQUIRE(bf.status.is_ok());
  CHECK(static_cast<float>(bf.outputs[0].values<bfloat16>()[3]) == 300.0f);
  OpResult old = run_op("Cast", 1, {&x}, {attr_string("to", "DOUBLE")}, 1);
  REQUIRE(old.status.is_ok());
  CHECK(old.outputs[0].values<double>()[0] == static_cast<double>(-1.7f));
  CHECK(run_op("Cast", 13, {&x}, {attr_int("to", 8)}, 1).status.code() == StatusCode::kUnsupported);
}

TEST_CASE("Where selects with a broadcast condition", "[elementwise]") {
  OwnedTensor c = bool_tensor({2, 1}, {1, 0});
  OwnedTensor x = make_tensor<int64_t>({2}, {1, 2});
  OwnedTensor y = make_tensor<int64_t>({1}, {9});
  OpResult r = run_op("Where", 16, {&c, &x, &y}, {}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<int64_t>() == std::vector<int64_t>{1, 2, 9, 9});
}

TEST_CASE("Dropout in inference is the identity with an all-true mask", "[elementwise]") {
  OwnedTensor x = make_tensor<float>({3}, {1, 2, 3});
  OpResult r = run_op("Dropout", 13, {&x}, {}, 2);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>() == std::vector<float>{1, 2, 3});
  CHECK(bools(r.outputs[1]) == std::vector<uint8_t>{1, 1, 1});
}

TEST_CASE("BitShift shifts unsigned integers", "[elementwise]") {
  OwnedTensor x = make_tensor<uint8_t>({3}, {16, 4, 1});
  OwnedTensor s = make_tensor<uint8_t>({3}, {1, 2, 9});
  OpResult r = run_op("BitShift", 11, {&x, &s}, {attr_string("direction", "LEFT")}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<uint8_t>() == std::vector<uint8_t>{32, 16, 0});
  CHECK(run_op("BitShift", 11, {&x, &s}, {attr_string("direction", "UP")}, 1).status.code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("Add matches a naive broadcast on random shapes", "[elementwise]") {
  // Exercises the dimension merging of the broadcast plan: random ranks, random size-1 axes on
  // either side, checked against direct multi-index arithmetic.
  uint32_t seed = 12345;
  auto next = [&seed](uint32_t n) {
    seed = seed * 1664525u + 1013904223u;
    return (seed >> 8) % n;
  };
  for (int iter = 0; iter < 200; ++iter) {
    const int rank = static_cast<int>(next(5));
    std::vector<int64_t> out(rank), sa(rank), sb(rank);
    for (int d = 0; d < rank; ++d) {
      out[d] = 1 + next(3);
      sa[d] = next(3) == 0 ? 1 : out[d];
      sb[d] = next(3) == 0 ? 1 : out[d];
    }
    const int drop = rank > 0 ? static_cast<int>(next(static_cast<uint32_t>(rank))) : 0;
    sb.erase(sb.begin(), sb.begin() + drop);  // b may have a lower rank
    for (int d = 0; d < rank; ++d) {          // where both sides are 1, so is the output
      if (sa[d] == 1 && (d < drop || sb[d - drop] == 1)) out[d] = 1;
    }
    auto count = [](const std::vector<int64_t>& s) {
      int64_t n = 1;
      for (int64_t d : s) n *= d;
      return n;
    };
    std::vector<float> va(count(sa)), vb(count(sb));
    for (size_t i = 0; i < va.size(); ++i) va[i] = static_cast<float>(i);
    for (size_t i = 0; i < vb.size(); ++i) vb[i] = static_cast<float>(1000 * (i + 1));
    OwnedTensor a = make_tensor<float>(sa, va);
    OwnedTensor b = make_tensor<float>(sb, vb);
    OpResult r = run_op("Add", 14, {&a, &b}, {}, 1);
    REQUIRE(r.status.is_ok());
    REQUIRE(r.outputs[0].shape == out);
    std::vector<float> got = r.outputs[0].values<float>();
    std::vector<int64_t> idx(rank, 0);
    for (int64_t o = 0; o < count(out); ++o) {
      int64_t ia = 0, ib = 0;
      for (int d = 0; d < rank; ++d) {
        ia = ia * sa[d] + (sa[d] == 1 ? 0 : idx[d]);
        if (d >= drop) ib = ib * sb[d - drop] + (sb[d - drop] == 1 ? 0 : idx[d]);
      }
      REQUIRE(got[o] == va[ia] + vb[ib]);
      for (int d = rank - 1; d >= 0 && ++idx[d] == out[d]; --d) idx[d] = 0;
    }
  }
}
