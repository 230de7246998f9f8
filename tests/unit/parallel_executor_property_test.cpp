// Property test of the parallel executor: random branch DAGs, with a random (valid) arena that
// reuses bytes wherever the happens-before relation allows, must give bit-identical outputs to
// a sequential run without arena, on 1, 2 and 4 threads and under forced random interleavings.
// A schedule that broke happens-before would show up as a corrupted (reused) tensor.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "program_maker.h"

namespace {

using namespace parallax::test;

struct RandomDag {
  Program parallel;    // branch table + arena
  Program sequential;  // the same steps, one branch, no arena
  int tensors_in_arena = 0;
  int arena_slots = 0;
};

RandomDag make_dag(uint32_t seed) {
  std::mt19937 rng(seed);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int n_branches = uniform(1, 12);
  // Edges only from lower to higher ids: a DAG whose ids are a topological order.
  std::vector<std::vector<int32_t>> succs(n_branches);
  std::vector<std::vector<bool>> before(n_branches, std::vector<bool>(n_branches, false));
  std::vector<int32_t> preds(n_branches, 0);
  for (int j = 0; j < n_branches; ++j) {
    for (int i = 0; i < j; ++i) {
      if (uniform(0, 3) != 0) continue;
      succs[i].push_back(j);
      ++preds[j];
      before[i][j] = true;
      for (int k = 0; k < i; ++k) before[k][j] = before[k][j] || before[k][i];
    }
  }
  Maker m;
  std::vector<int32_t> pool_base = {m.input("x"), m.input("y")};
  std::vector<int32_t> step_branch, step_pos, produced_by_step;
  std::vector<std::vector<int32_t>> branch_steps(n_branches);
  const char* unary[] = {"Tanh", "Relu", "Neg"};
  const char* binary[] = {"Add", "Sub", "Mul"};
  for (int b = 0; b < n_branches; ++b) {
    // What branch b may read: the inputs, its ancestors' results, its own earlier results.
    std::vector<int32_t> readable = pool_base;
    for (size_t s = 0; s < step_branch.size(); ++s)
      if (before[step_branch[s]][b]) readable.push_back(produced_by_step[s]);
    const int steps = uniform(1, 6);
    for (int k = 0; k < steps; ++k) {
      const int32_t id = static_cast<int32_t>(step_branch.size());
      auto pick = [&] {
        return readable[static_cast<size_t>(uniform(0, static_cast<int>(readable.size()) - 1))];
      };
      const std::string name = "s" + std::to_string(id);
      const int32_t out = uniform(0, 1) ? m.step(unary[uniform(0, 2)], {pick()}, name)
                                        : m.step(binary[uniform(0, 2)], {pick(), pick()}, name);
      step_branch.push_back(b);
      step_pos.push_back(k);
      produced_by_step.push_back(out);
      branch_steps[b].push_back(id);
      readable.push_back(out);
    }
  }
  const int n_steps = static_cast<int>(step_branch.size());
  std::vector<bool> is_output(m.p.tensors.size(), false);
  for (int s = 0; s < n_steps; ++s) {
    const bool sink_end = succs[step_branch[s]].empty() &&
                          step_pos[s] + 1 == static_cast<int>(branch_steps[step_branch[s]].size());
    if (sink_end || uniform(0, 4) == 0) {
      m.output(produced_by_step[s]);
      is_output[produced_by_step[s]] = true;
    }
  }
  for (int b = 0; b < n_branches; ++b) {
    m.branch(branch_steps[b], succs[b], preds[b], uniform(0, 1), uniform(0, 4) == 0 ? 2 : 1);
  }
  m.p.processors = {{"cpu0", false, 2, 1.0}, {"cpu1", false, 2, 0.5}};

  RandomDag dag;
  dag.sequential = m.p;
  dag.sequential.branches.clear();
  dag.sequential.processors.clear();

  // A greedy arena: x may share a 64-byte slot with y when every access of one happens before
  // the other's producer (graph outputs are never dead).
  auto hb = [&](int a, int b) {
    return step_branch[a] == step_branch[b]
               ? step_pos[a] < step_pos[b]
               : static_cast<bool>(before[step_branch[a]][step_branch[b]]);
  };
  std::vector<std::vector<int>> readers(m.p.tensors.size());
  for (int s = 0; s < n_steps; ++s)
    for (int32_t in : m.p.graphs[0].steps[s].inputs) readers[in].push_back(s);
  auto dead_before = [&](int x_step, int y_step) {
    const int32_t x = produced_by_step[x_step];
    if (is_output[x] || !hb(x_step, y_step)) return false;
    return std::all_of(readers[x].begin(), readers[x].end(), [&](int r) { return hb(r, y_step); });
  };
  std::vector<std::vector<int>> slots;  // producer steps per slot
  for (int s = 0; s < n_steps; ++s) {
    size_t slot = 0;
    for (; slot < slots.size(); ++slot) {
      if (std::all_of(slots[slot].begin(), slots[slot].end(),
                      [&](int o) { return dead_before(o, s) || dead_before(s, o); })) {
        break;
      }
    }
    if (slot == slots.size()) slots.emplace_back();
    slots[slot].push_back(s);
    TensorInfo& t = m.p.tensors[produced_by_step[s]];
    t.arena_offset = static_cast<int64_t>(slot) * 64;
    t.max_bytes = 64;
  }
  m.p.arena_bytes = slots.size() * 64;
  dag.parallel = m.p;
  dag.tensors_in_arena = n_steps;
  dag.arena_slots = static_cast<int>(slots.size());
  return dag;
}

// Sleeps, yields or does nothing before a step, at random.
void jitter(void*, int) {
  thread_local std::minstd_rand rng(
      static_cast<uint32_t>(std::hash<std::thread::id>()(std::this_thread::get_id())));
  const uint32_t r = rng() % 8;
  if (r == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 200));
  if (r == 1) std::this_thread::yield();
}

std::vector<std::vector<float>> dag_inputs() { return {iota_input(-2.0f), iota_input(0.3f)}; }

}  // namespace

TEST_CASE("parallel executor: random DAGs are bit-identical on 1, 2 and 4 threads",
          "[parallel][property]") {
  constexpr uint32_t kDags = 600;
  int reused = 0;
  for (uint32_t seed = 1; seed <= kDags; ++seed) {
    const RandomDag dag = make_dag(seed);
    reused += dag.arena_slots < dag.tensors_in_arena;
    std::vector<uint8_t> want, got;
    REQUIRE(run_program(dag.sequential, with_threads(1), dag_inputs(), &want).is_ok());
    for (int threads : {1, 2, 4}) {
      INFO("seed " << seed << ", " << threads << " threads");
      const Status s = run_program(dag.parallel, with_threads(threads), dag_inputs(), &got, 2);
      INFO(s.message());
      REQUIRE(s.is_ok());
      REQUIRE(got == want);
    }
  }
  // The arenas really reuse bytes, so a broken order would corrupt values.
  CHECK(reused > static_cast<int>(kDags) / 2);
}

TEST_CASE("parallel executor: random DAGs are bit-identical under forced interleavings",
          "[parallel][property]") {
  for (uint32_t seed = 1001; seed <= 1150; ++seed) {
    const RandomDag dag = make_dag(seed);
    std::vector<uint8_t> want, got;
    REQUIRE(run_program(dag.sequential, with_threads(1), dag_inputs(), &want).is_ok());
    for (int threads : {2, 4}) {
      INFO("seed " << seed << ", " << threads << " threads with random delays");
      ExecutorOptions o = with_threads(threads);
      o.step_hook = &jitter;
      const Status s = run_program(dag.parallel, o, dag_inputs(), &got, 3);
      INFO(s.message());
      REQUIRE(s.is_ok());
      REQUIRE(got == want);
    }
  }
}
