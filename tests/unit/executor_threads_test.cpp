// How the executor lays out its threads: every thread of a cluster's budget is a branch worker
// (and helps with the cluster's intra-op work when it has no branch), whatever the shape of the
// plan. Checked through describe_threads() on a fixed 4-CPU topology, and by running each
// program so results stay right with every layout.
#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "program_maker.h"

namespace {

using namespace parallax::rt;
using namespace parallax::test;

ExecutorOptions flat(int threads) {
  ExecutorOptions o = with_threads(threads);
  o.topology.root = std::string(PARALLAX_TEST_FIXTURES) + "/topology/x86_flat";
  o.topology.honour_process_mask = false;
  o.pin_threads = false;  // the fixture's CPUs need not exist here
  return o;
}

// Creates an executor for `m` on `threads` of the flat fixture, runs it twice and returns its
// thread description.
std::string layout(const Maker& m, int threads) {
  std::unique_ptr<Executor> ex;
  const Status s = Executor::create(&m.p, flat(threads), &ex);
  INFO(s.message());
  REQUIRE(s.is_ok());
  CHECK(ex->thread_count() == threads);
  std::vector<float> x = iota_input(-1.0f);
  REQUIRE(ex->set_input(0, view_of(x)).is_ok());
  REQUIRE(ex->run().is_ok());
  REQUIRE(ex->run().is_ok());
  return ex->describe_threads();
}

}  // namespace

TEST_CASE("executor threads: a chain of branches still gets a worker per thread", "[parallel]") {
  Maker m;
  const int32_t x = m.input("x");
  const int32_t a = m.step("Relu", {x}, "a");
  const int32_t b = m.step("Add", {a, x}, "b");
  m.output(m.step("Mul", {b, a}, "c"));
  m.branch({0}, {1, 2}, 0, 0, 0);
  m.branch({1}, {2}, 1, 0, 0);  // 0 -> 2 is implied by 0 -> 1 -> 2
  m.branch({2}, {}, 2, 0, 0);
  CHECK(layout(m, 4) == "4 threads: cluster 0 [caller any any any]");
  CHECK(layout(m, 1) == "1 thread: cluster 0 [caller]");
}

TEST_CASE("executor threads: a diamond on two threads", "[parallel]") {
  Maker m;
  const int32_t x = m.input("x");
  const int32_t a = m.step("Relu", {x}, "a");
  const int32_t b = m.step("Add", {a, x}, "b");
  const int32_t c = m.step("Mul", {a, a}, "c");
  m.output(m.step("Sub", {b, c}, "d"));
  m.branch({0}, {1, 2}, 0, 0, 0);
  m.branch({1}, {3}, 1);
  m.branch({2}, {3}, 1);
  m.branch({3}, {}, 2, 0, 0);
  CHECK(layout(m, 2) == "2 threads: cluster 0 [caller any]");
  CHECK(layout(m, 3) == "3 threads: cluster 0 [caller any any]");
}

TEST_CASE("executor threads: more branches than threads", "[parallel]") {
  Maker w;
  const int32_t y = w.input("x");
  for (const char* name : {"a", "b", "c", "d"}) w.output(w.step("Relu", {y}, name));
  for (int32_t k = 0; k < 4; ++k) w.branch({k}, {}, 0);
  CHECK(layout(w, 3) == "3 threads: cluster 0 [caller any any]");
}
