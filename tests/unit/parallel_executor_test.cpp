// The parallel executor on hand-built Programs with branch tables: dependencies, concurrency,
// errors, the arena, the trace, and a property test over random branch DAGs whose outputs must
// be bit-identical to a sequential run for every thread count and forced interleaving.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "program_maker.h"

namespace {

using namespace parallax::rt;
using namespace parallax::test;

// x -> a=Relu(x) -> {b=Add(a,x), c=Mul(a,a)} -> d=Sub(b,c), one step per branch.
Maker diamond() {
  Maker m;
  const int32_t x = m.input("x");
  const int32_t a = m.step("Relu", {x}, "a");
  const int32_t b = m.step("Add", {a, x}, "b");
  const int32_t c = m.step("Mul", {a, a}, "c");
  m.output(m.step("Sub", {b, c}, "d"));
  m.branch({0}, {1, 2}, 0);
  m.branch({1}, {3}, 1);
  m.branch({2}, {3}, 1);
  m.branch({3}, {}, 2);
  return m;
}

}  // namespace

TEST_CASE("parallel executor: a diamond gives the sequential result on 1, 2 and 4 threads",
          "[parallel]") {
  Maker m = diamond();
  std::vector<float> x = iota_input(-2.0f);
  std::vector<uint8_t> got;
  for (int threads : {1, 2, 4}) {
    REQUIRE(run_program(m.p, with_threads(threads), {x}, &got, 3).is_ok());
    std::vector<float> d(kLen);
    std::memcpy(d.data(), got.data(), got.size());
    for (int64_t i = 0; i < kLen; ++i) {
      const float a = x[i] > 0 ? x[i] : 0.0f;
      CHECK(d[i] == (a + x[i]) - a * a);
    }
  }
}

TEST_CASE("parallel executor: independent branches run at the same time", "[parallel]") {
  // Two branches after a root; each one's hook waits until the other has arrived. Run one after
  // the other, they would wait for 10 s and the check below would fail.
  Maker m = diamond();
  struct Meet {
    std::atomic<int> arrived{0};
    std::atomic<bool> met{true};
  } meet;
  ExecutorOptions o = with_threads(2);
  o.step_hook_arg = &meet;
  o.step_hook = [](void* arg, int step) {
    if (step != 1 && step != 2) return;
    auto* mt = static_cast<Meet*>(arg);
    mt->arrived.fetch_add(1);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (mt->arrived.load() < 2) {
      if (std::chrono::steady_clock::now() > until) {
        mt->met = false;
        return;
      }
      std::this_thread::yield();
    }
  };
  std::vector<uint8_t> got;
  REQUIRE(run_program(m.p, o, {iota_input(0.0f)}, &got).is_ok());
  CHECK(meet.met.load());
}

TEST_CASE("parallel executor: fan-out of many branches into a chain of merges", "[parallel]") {
  Maker m;
  const int32_t x = m.input("x");
  const int32_t root = m.step("Tanh", {x}, "root");
  constexpr int kFan = 12;
  std::vector<int32_t> leaves;
  for (int i = 0; i < kFan; ++i) {
    const int32_t t = m.step(i % 2 ? "Neg" : "Relu", {root}, "fan" + std::to_string(i));
    leaves.push_back(m.step("Mul", {t, x}, "fan" + std::to_string(i) + ".mul"));
  }
  int32_t acc = leaves[0];
  for (int i = 1; i < kFan; ++i) acc = m.step("Add", {acc, leaves[i]}, "merge" + std::to_string(i));
  m.output(acc);
  // Branch 0 = root; branches 1..kFan = the fan; branch kFan+1 = the merges.
  std::vector<int32_t> fan_ids;
  for (int i = 1; i <= kFan; ++i) fan_ids.push_back(i);
  m.branch({0}, fan_ids, 0);
  for (int i = 0; i < kFan; ++i) m.branch({1 + 2 * i, 2 + 2 * i}, {kFan + 1}, 1);
  std::vector<int32_t> merges;
  for (int i = 0; i < kFan - 1; ++i) merges.push_back(1 + 2 * kFan + i);
  m.branch(merges, {}, kFan);

  Program sequential = m.p;
  sequential.branches.clear();
  std::vector<uint8_t> want, got;
  REQUIRE(run_program(sequential, with_threads(1), {iota_input(-1.0f)}, &want).is_ok());
  for (int threads : {1, 2, 3, 4, 8}) {
    REQUIRE(run_program(m.p, with_threads(threads), {iota_input(-1.0f)}, &got, 2).is_ok());
    CHECK(got == want);
  }
}

TEST_CASE("parallel executor: the first failing step's error ends the run promptly", "[parallel]") {
  // Branch 0 fails at once (float[16] + float[3] do not broadcast); branch 1 is a long chain
  // whose steps each sleep 2 ms, so running it to the end would take 200 ms.
  Maker m;
  const int32_t x = m.input("x");
  const int32_t y = m.input("y", 3);
  m.output(m.step("Add", {x, y}, "bad_add"));
  int32_t t = x;
  constexpr int kChain = 100;
  std::vector<int32_t> chain;
  for (int i = 0; i < kChain; ++i) {
    t = m.step("Neg", {t}, "neg" + std::to_string(i));
    chain.push_back(i + 1);
  }
  m.output(t);
  m.branch({0}, {}, 0);
  m.branch(chain, {}, 0);
  std::atomic<int> chain_steps{0};
  ExecutorOptions o = with_threads(2);
  o.step_hook_arg = &chain_steps;
  o.step_hook = [](void* arg, int step) {
    if (step == 0) return;
    static_cast<std::atomic<int>*>(arg)->fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  };
  std::unique_ptr<Executor> ex;
  REQUIRE(Executor::create(&m.p, o, &ex).is_ok());
  std::vector<float> xv = iota_input(0.0f), yv = {1, 2, 3};
  REQUIRE(ex->set_input(0, view_of(xv)).is_ok());
  REQUIRE(ex->set_input(1, view_of(yv)).is_ok());
  for (int r = 0; r < 2; ++r) {  // the executor is reusable after a failed run
    chain_steps = 0;
    const Status s = ex->run();
    CHECK(s.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::StartsWith("node 'bad_add' (Add): "));
    CHECK(chain_steps.load() < kChain / 2);
  }
}

TEST_CASE("parallel executor: a broken branch table is rejected at create", "[parallel]") {
  Maker m = diamond();
  std::unique_ptr<Executor> ex;
  SECTION("a reader not ordered after its producer") {
    m.p.branches[1].pred_count = 0;  // b no longer waits for a
    m.p.branches[0].succs = {2};
    const Status s = Executor::create(&m.p, with_threads(2), &ex);
    CHECK(s.code() == StatusCode::kInternal);
    CHECK_THAT(s.message(),
               Catch::Contains("node 'b' (Add)") && Catch::Contains("does not order before it"));
  }
  SECTION("a cycle") {
    m.p.branches[3].succs = {1};
    m.p.branches[1].pred_count = 2;
    CHECK_THAT(Executor::create(&m.p, with_threads(2), &ex).message(),
               Catch::Contains("has a cycle"));
  }
  SECTION("a step in no branch") {
    m.p.branches[3].steps.clear();
    CHECK_THAT(Executor::create(&m.p, with_threads(2), &ex).message(),
               Catch::Contains("no branch runs the step"));
  }
  SECTION("a wrong predecessor count") {
    m.p.branches[3].pred_count = 1;
    CHECK_THAT(Executor::create(&m.p, with_threads(2), &ex).message(),
               Catch::Contains("pred_count 1 but 2"));
  }
}

TEST_CASE("parallel executor: arena tensors share bytes by the branch order", "[parallel]") {
  // a and c share offset 0: c's producer runs after a's last reader (b) in every interleaving,
  // because b and c are one branch. d lives at 64 and is an output; b at 128.
  Maker m;
  const int32_t x = m.input("x");
  const int32_t a = m.step("Relu", {x}, "a");
  const int32_t b = m.step("Neg", {a}, "b");
  const int32_t c = m.step("Tanh", {b}, "c");
  const int32_t d = m.step("Add", {c, x}, "d");
  m.output(d);
  m.branch({0}, {1}, 0);
  m.branch({1, 2, 3}, {}, 1);
  const int64_t bytes = kLen * 4;
  for (auto [id, offset] : {std::pair{a, 0}, {b, 128}, {c, 0}, {d, 64}}) {
    m.p.tensors[id].arena_offset = offset;
    m.p.tensors[id].max_bytes = bytes;
  }
  m.p.arena_bytes = 192;
  Program plain = m.p;
  for (TensorInfo& t : plain.tensors) {
    t.arena_offset = TensorInfo::kNotInArena;
    t.max_bytes = 0;
  }
  plain.arena_bytes = 0;
  std::vector<uint8_t> want, got;
  REQUIRE(run_program(plain, with_threads(1), {iota_input(-1.5f)}, &want).is_ok());
  for (int threads : {1, 2}) {
    REQUIRE(run_program(m.p, with_threads(threads), {iota_input(-1.5f)}, &got, 2).is_ok());
    CHECK(got == want);
  }
  std::unique_ptr<Executor> ex;
  SECTION("outputs live in the arena and stay put across runs") {
    REQUIRE(Executor::create(&m.p, with_threads(2), &ex).is_ok());
    std::vector<float> xv = iota_input(0.5f);
    REQUIRE(ex->set_input(0, view_of(xv)).is_ok());
    REQUIRE(ex->run().is_ok());
    const void* first = ex->output(0).data;
    REQUIRE(ex->run().is_ok());
    CHECK(ex->output(0).data == first);
  }
  SECTION("a tensor larger than its reservation is an error naming it") {
    m.p.tensors[d].max_bytes = 32;
    REQUIRE(Executor::create(&m.p, with_threads(1), &ex).is_ok());
    std::vector<float> xv = iota_input(0.5f);
    REQUIRE(ex->set_input(0, view_of(xv)).is_ok());
    const Status s = ex->run();
    CHECK(s.code() == StatusCode::kOutOfRange);
    CHECK_THAT(s.message(), Catch::Contains("output 'd.out' needs 64 bytes"));
  }
  SECTION("a place outside the arena is rejected at create") {
    m.p.tensors[b].arena_offset = 192;
    CHECK_THAT(Executor::create(&m.p, with_threads(1), &ex).message(),
               Catch::Contains("tensor 'b.out' has arena offset 192"));
  }
}

TEST_CASE("parallel executor: clusters from a phone topology", "[parallel]") {
  // Snapdragon 8 Gen 1 fixture: 1 prime, 2 big, 1 little worker. The CPUs need not exist here:
  // pinning may fail, which is recorded, not fatal.
  Maker m = diamond();
  m.p.processors = {{"cpu0", false, 1, 1.0}, {"cpu1", false, 3, 0.7}, {"cpu2", false, 4, 0.3}};
  m.p.branches[1].processor = 1;
  m.p.branches[1].threads = 2;
  m.p.branches[2].processor = 2;
  ExecutorOptions o = with_threads(0);
  o.topology.root = std::string(PARALLAX_TEST_FIXTURES) + "/topology/snapdragon_8_gen_1";
  o.topology.honour_process_mask = false;
  o.threads_per_cluster = {1, 2, 1};
  std::unique_ptr<Executor> ex;
  const Status s = Executor::create(&m.p, o, &ex);
  INFO(s.message());
  REQUIRE(s.is_ok());
  CHECK(ex->thread_count() == 4);
  REQUIRE(ex->topology().clusters.size() == 3);
  CHECK(ex->describe_threads().rfind("4 threads: cluster 0 [caller] cluster 1 [cpu4", 0) == 0);
  std::vector<float> xv = iota_input(-1.0f);
  REQUIRE(ex->set_input(0, view_of(xv)).is_ok());
  REQUIRE(ex->run().is_ok());
  const float* d = static_cast<const float*>(ex->output(0).data);
  for (int64_t i = 0; i < kLen; ++i) {
    const float a = xv[i] > 0 ? xv[i] : 0.0f;
    CHECK(d[i] == (a + xv[i]) - a * a);
  }
}

TEST_CASE("parallel executor: the Chrome trace has one event per step", "[parallel]") {
  Maker m = diamond();
  ExecutorOptions o = with_threads(2);
  o.trace_path = "parallax_trace_test_" + std::to_string(getpid()) + ".json";
  std::vector<uint8_t> got;
  REQUIRE(run_program(m.p, o, {iota_input(0.0f)}, &got).is_ok());
  std::ifstream in(o.trace_path);
  const nlohmann::json trace = nlohmann::json::parse(in);
  std::remove(o.trace_path.c_str());
  std::vector<std::string> names;
  int rows = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name") ++rows;
    if (e["ph"] != "X") continue;
    // Help events (a worker running another's intra-op tiles) come on top; none here, as the
    // diamond's steps are too small to split, but any must name a step.
    if (e["args"].contains("help")) continue;
    names.push_back(e["name"]);
    CHECK(e["dur"].get<double>() >= 0);
    CHECK(e["tid"].get<int>() < 2);
  }
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"a", "b", "c", "d"});
  CHECK(rows == 2);
}
