// Unit tests of the sequential executor's contract (input checks, error context).
#include <catch2/catch.hpp>

#include "kernel_harness.h"

using namespace parallax::test;

TEST_CASE("an unknown operator has no kernel") {
  OwnedTensor x = make_tensor<float>({1}, {1.0f});
  OpResult r = run_op("NoSuchOp", 13, {&x}, {}, 1);
  CHECK(r.status.code() == parallax::rt::StatusCode::kUnsupported);
}

TEST_CASE("float16 round-trips through float") {
  using parallax::rt::float16;
  for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f}) {
    CHECK(static_cast<float>(float16(f)) == f);
  }
  CHECK(static_cast<float>(float16(1e6f)) == std::numeric_limits<float>::infinity());
}
