// Whole pipeline + program builder + parallel executor on the edge cases of the main region: no
// nodes at all (canonicalize folded everything, or the import found only constants), empty
// tensors (a dimension of 0), and a LayerNormalization-shaped graph whose outputs sit in the
// arena next to concurrently running branches, run under forced random interleavings.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "codegen/program_builder.h"
#include "compiler/import/importer.h"
#include "parallax/runtime/executor.h"
#include "passes/pipeline.h"
#include "test_util.h"

namespace parallax::test {
namespace {

using rt::DType;

struct Compiled {
  ir::Graph g;
  ir::Plan plan;
  rt::Program program;
};

// Imports `text`, runs the default pipeline on a fixed 2-core profile and builds the program.
std::unique_ptr<Compiled> compile(const std::string& text, int threads = 0) {
  auto c = std::make_unique<Compiled>();
  const std::filesystem::path dir = temp_dir();
  rt::Status s = import::import_model(write_file(dir, "m.onnxtxt", text), {}, &c->g);
  INFO(s.message());
  REQUIRE(s.is_ok());
  passes::CompileOptions options;
  options.device_profile = write_file(dir, "duo.json",
                                      R"({"name": "duo", "fastest_core_gmacs": 20,
                                          "memory_bandwidth_gbps": 20,
                                          "clusters": [{"name": "cpu", "cores": 2, "speed": 1}]})");
  options.threads = threads;
  passes::PassContext ctx{c->g, c->plan, options};
  s = passes::run_pipeline(ctx, passes::PipelineOptions{});
  INFO(s.message());
  REQUIRE(s.is_ok());
  s = codegen::build_program(c->g, c->plan, &c->program);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return c;
}

std::unique_ptr<rt::Executor> executor(const rt::Program& p, int threads,
                                       void (*hook)(void*, int) = nullptr) {
  rt::ExecutorOptions o;
  o.threads = threads;
  o.step_hook = hook;
  std::unique_ptr<rt::Executor> ex;
  const rt::Status s = rt::Executor::create(&p, o, &ex);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return ex;
}

rt::Tensor view(std::vector<float>& data, std::initializer_list<int64_t> dims) {
  rt::Tensor t;
  t.dtype = DType::kFloat32;
  t.shape = rt::Shape(dims);
  t.data = data.data();
  return t;
}

template <typename T>
std::vector<T> values(const rt::Tensor& t) {
  const T* p = t.data_as<T>();
  return std::vector<T>(p, p + t.numel());
}

TEST_CASE("empty main region: outputs folded to constants or taken from inputs", "[schedule]") {
  auto c = compile(R"(<ir_version: 8, opset_import: ["" : 17]>
folded (float[3,4,5] x, float[2] p) => (int64[3] s, int64 n, float[2] k, float[2] p)
{
  s = Shape(x)
  n = Size(x)
  k = Constant <value = float[2] {1.5, -2}> ()
}
)");
  CHECK(c->g.regions[0].nodes.empty());
  CHECK(c->plan.branches.empty());
  REQUIRE(c->plan.processors.size() == 1);  // schedule ran and filled the processors in
  CHECK(c->plan.memory.arena_bytes == 0);
  CHECK(c->program.branches.empty());
  CHECK(c->program.main().steps.empty());
  CHECK(c->program.arena_bytes == 0);

  for (int threads : {1, 2}) {
    INFO(threads << " threads");
    auto ex = executor(c->program, threads);
    std::vector<float> x(60, 0.0f), p = {3.0f, 4.0f};
    REQUIRE(ex->set_input(0, view(x, {3, 4, 5})).is_ok());
    REQUIRE(ex->set_input(1, view(p, {2})).is_ok());
    for (int run = 0; run < 2; ++run) {  // a second run resets nothing it should not
      const rt::Status s = ex->run();
      INFO(s.message());
      REQUIRE(s.is_ok());
      REQUIRE(ex->output_count() == 4);
      CHECK(values<int64_t>(ex->output(0)) == std::vector<int64_t>{3, 4, 5});
      CHECK(ex->output(1).shape.rank == 0);
      CHECK(values<int64_t>(ex->output(1)) == std::vector<int64_t>{60});
      CHECK(values<float>(ex->output(2)) == std::vector<float>{1.5f, -2.0f});
      CHECK(values<float>(ex->output(3)) == p);
    }
  }
}

TEST_CASE("empty tensors take no arena bytes and run", "[plan_memory]") {
  auto c = compile(R"(<ir_version: 8, opset_import: ["" : 17]>
zero (float[3,0] x, float[3,4] z) => (float[3,0] y, float[3,4] w)
{
  a = Relu(x)
  y = Neg(a)
  w = Abs(z)
}
)");
  for (const char* name : {"a", "y"}) {
    const ir::ValueId v = find_value(c->g, name);
    REQUIRE(v >= 0);
    CHECK(c->plan.memory.offset[v] == ir::MemoryPlan::kNotInArena);
    CHECK(c->program.tensors[v].arena_offset == rt::TensorInfo::kNotInArena);
  }
  CHECK(c->program.tensors[find_value(c->g, "w")].arena_offset == 0);

  // A plan that does give an empty tensor a 0-byte place (at the arena's end) is legal too.
  rt::Program edited = c->program;
  edited.tensors[find_value(c->g, "a")].arena_offset = static_cast<int64_t>(edited.arena_bytes);
  edited.tensors[find_value(c->g, "a")].max_bytes = 0;

  for (const rt::Program* p : {&c->program, &edited}) {
    auto ex = executor(*p, 2);
    std::vector<float> x, z(12);
    for (size_t i = 0; i < z.size(); ++i) z[i] = static_cast<float>(i) - 6.0f;
    REQUIRE(ex->set_input(0, view(x, {3, 0})).is_ok());
    REQUIRE(ex->set_input(1, view(z, {3, 4})).is_ok());
    const rt::Status s = ex->run();
    INFO(s.message());
    REQUIRE(s.is_ok());
    CHECK(ex->output(0).shape == rt::Shape{3, 0});
    CHECK(ex->output(0).data != nullptr);
    std::vector<float> want(12);
    for (size_t i = 0; i < want.size(); ++i) want[i] = std::abs(z[i]);
    CHECK(values<float>(ex->output(1)) == want);
  }
}

// Sleeps or yields at random before a step, so branches interleave in unusual ways.
void jitter(void*, int step) {
  static std::atomic<uint32_t> state{12345};
  uint32_t r = state.fetch_add(0x9e3779b9u) + static_cast<uint32_t>(step) * 0x85ebca6bu;
  r ^= r >> 16;
  r *= 0x7feb352du;
  r ^= r >> 15;
  if (r % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(r % 300));
  if (r % 4 == 1) std::this_thread::yield();
}

// The graph of test_layer_normalization_2d_axis_negative_2_expanded (ONNX's LayerNormalization
// function body): 13 branches, in-place chains, and three graph outputs in the arena, two of
// them written by branches that may run beside others.
constexpr const char* kLayerNorm = R"(<ir_version: 8, opset_import: ["" : 17]>
ln (float[3,4] X, float[3,4] W, float[3,4] B) => (float[3,4] Y, float[1,1] Mean, float[1,1] InvStdDev)
{
  Epsilon = Constant <value = float {1e-5}> ()
  XShape = Shape(X)
  ReducedShape = Constant <value = int64[2] {1, 1}> ()
  X2D = Flatten <axis = -2> (X)
  XU = Cast <to = 1> (X2D)
  Mean2D = ReduceMean <axes = [1]> (XU)
  Square = Mul(XU, XU)
  MeanOfSquare = ReduceMean <axes = [1]> (Square)
  SquareOfMean = Mul(Mean2D, Mean2D)
  Var = Sub(MeanOfSquare, SquareOfMean)
  VarPlusEpsilon = Add(Var, Epsilon)
  StdDev = Sqrt(VarPlusEpsilon)
  Deviation = Sub(XU, Mean2D)
  Normalized = Div(Deviation, StdDev)
  NormalizedT = Cast <to = 1> (Normalized)
  Scale2D = Flatten <axis = 0> (W)
  Scaled = Mul(NormalizedT, Scale2D)
  B2D = Flatten <axis = 0> (B)
  Biased = Add(Scaled, B2D)
  Y = Reshape(Biased, XShape)
  InvStdDev2D = Reciprocal(StdDev)
  Mean = Reshape(Mean2D, ReducedShape)
  InvStdDev = Reshape(InvStdDev2D, ReducedShape)
}
)";

TEST_CASE("parallel runs of a planned LayerNorm body match the sequential plan bit for bit",
          "[codegen]") {
  auto par = compile(kLayerNorm);
  auto seq = compile(kLayerNorm, /*threads=*/1);
  REQUIRE(par->program.branches.size() > 1);
  REQUIRE(par->program.arena_bytes > 0);
  std::vector<float> x(12), w(12), b(12);
  for (size_t i = 0; i < 12; ++i) {
    x[i] = static_cast<float>(i * i % 7) - 2.5f;
    w[i] = 0.25f * static_cast<float>(i) - 1.0f;
    b[i] = static_cast<float>(i % 3);
  }
  auto bind = [&](rt::Executor& ex) {
    REQUIRE(ex.set_input(0, view(x, {3, 4})).is_ok());
    REQUIRE(ex.set_input(1, view(w, {3, 4})).is_ok());
    REQUIRE(ex.set_input(2, view(b, {3, 4})).is_ok());
  };
  auto ref = executor(seq->program, 1);
  bind(*ref);
  REQUIRE(ref->run().is_ok());
  std::vector<std::vector<float>> want;
  for (int o = 0; o < 3; ++o) want.push_back(values<float>(ref->output(o)));

  for (bool hook : {false, true}) {
    for (int threads : {2, 3}) {
      INFO(threads << " threads" << (hook ? " with random delays" : ""));
      auto ex = executor(par->program, threads, hook ? &jitter : nullptr);
      bind(*ex);
      for (int run = 0; run < 100; ++run) {
        const rt::Status s = ex->run();
        INFO("run " << run << ": " << s.message());
        REQUIRE(s.is_ok());
        for (int o = 0; o < 3; ++o) REQUIRE(values<float>(ex->output(o)) == want[o]);
      }
    }
  }
}

}  // namespace
}  // namespace parallax::test
