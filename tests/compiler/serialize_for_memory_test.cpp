// serialize-for-memory: an early heavy branch gets ordered after the last reader of an equally
// heavy value it need not overlap, bringing the arena down to the sequential figure; branches
// whose overlap costs nothing keep their freedom.
#include "passes/serialize_for_memory.h"

#include <catch2/catch.hpp>

#include "passes/plan_memory.h"
#include "passes/verify_memory_plan.h"
#include "tests/compiler/plan_test_util.h"

namespace parallax::test {
namespace {

using ir::NodeId;
using ir::ValueId;
using rt::DType;

using Builder = FloatGraphBuilder;

TEST_CASE("serialize-for-memory orders an early heavy branch after the reader it can follow",
          "[serialize_for_memory]") {
  // Like a decoder's cross-attention: k1 and k2 depend only on `a`, block 1 reads k1 and block 2
  // reads k2. Nothing orders k2 after block 1, so both 16 KiB values may be live together.
  Builder b;
  const ValueId x = b.input("x", 256);
  const ValueId a = b.node("Softmax", {x}, "a", 256);        // node 0
  const ValueId k1 = b.node("Softmax", {a}, "k1", 4096);     // node 1
  const ValueId u1 = b.node("MatMul", {a, k1}, "u1", 256);   // node 2
  const ValueId k2 = b.node("Softmax", {a}, "k2", 4096);     // node 3
  const ValueId u2 = b.node("MatMul", {u1, k2}, "u2", 256);  // node 4
  b.output(u2);
  ir::Plan plan;
  set_branches(b.g, plan, {{0}, {1}, {2}, {3}, {4}},
               {{0, 1}, {0, 2}, {1, 2}, {0, 3}, {2, 4}, {3, 4}});
  CHECK(passes::sequential_order(b.g, plan) == std::vector<NodeId>{0, 1, 2, 3, 4});

  REQUIRE(passes::plan_memory(b.g, plan).is_ok());
  const uint64_t before = plan.memory.arena_bytes;
  const uint64_t sequential = plan.memory.sequential_bytes;
  CHECK(before > sequential * 105 / 100);

  REQUIRE(passes::serialize_for_memory(b.g, plan).is_ok());
  // One edge: k2's branch now waits for u1's, the last reader of k1 (k1's own branch reaches it
  // through u1 already).
  CHECK(plan.branches[3].preds == std::vector<int32_t>{0, 2});
  CHECK(plan.branches[2].succs == std::vector<int32_t>{3, 4});
  CHECK(plan.branches[1].succs == std::vector<int32_t>{2});
  CHECK(plan.layer_count == 5);
  CHECK(!plan.memory_planned());  // plan-memory plans the final DAG

  REQUIRE(passes::plan_memory(b.g, plan).is_ok());
  CHECK(passes::verify_memory_plan(b.g, plan).is_ok());
  CHECK(plan.memory.arena_bytes == sequential);
  CHECK(plan.memory.sequential_bytes == sequential);
  CHECK(plan.memory.arena_bytes < before);
  (void)k1, (void)k2, (void)u1;
}

TEST_CASE("serialize-for-memory leaves branches alone when overlap costs nothing",
          "[serialize_for_memory]") {
  // Both arms produce graph outputs, which live to the end in any order: running them side by
  // side needs no more bytes than running them one after the other.
  Builder b;
  const ValueId x = b.input("x", 256);
  const ValueId a = b.node("Softmax", {x}, "a", 256);
  b.output(b.node("Softmax", {a}, "p", 4096));
  b.output(b.node("Softmax", {a}, "q", 4096));
  ir::Plan plan;
  set_branches(b.g, plan, {{0}, {1}, {2}}, {{0, 1}, {0, 2}});
  const std::vector<ir::Branch> original = plan.branches;

  REQUIRE(passes::serialize_for_memory(b.g, plan).is_ok());
  for (size_t i = 0; i < original.size(); ++i) {
    CHECK(plan.branches[i].preds == original[i].preds);
    CHECK(plan.branches[i].succs == original[i].succs);
  }
  REQUIRE(passes::plan_memory(b.g, plan).is_ok());
  CHECK(plan.memory.arena_bytes == plan.memory.sequential_bytes);
}

TEST_CASE("sequential_order follows the branch DAG where it disagrees with the region",
          "[serialize_for_memory]") {
  // An edge from the second branch to the first (as the schedule's chaining may add) puts node 1
  // before node 0 although the region lists node 0 first.
  Builder b;
  const ValueId x = b.input("x", 256);
  b.output(b.node("Softmax", {x}, "p", 256));
  b.output(b.node("Softmax", {x}, "q", 256));
  ir::Plan plan;
  set_branches(b.g, plan, {{0}, {1}}, {{1, 0}});
  CHECK(passes::sequential_order(b.g, plan) == std::vector<NodeId>{1, 0});
  ir::Plan none;
  CHECK(passes::sequential_order(b.g, none) == std::vector<NodeId>{0, 1});
}

}  // namespace
}  // namespace parallax::test
