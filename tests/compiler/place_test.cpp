// place: CPU/GPU placement on hand-built graphs. The OpenCL backend has no kernels yet, so a
// capability table defined here (kGpuOps) answers `supports` through CompileOptions::gpu_supports.
// Sizes are chosen against the paper's rule (>= 3 ops, >= 1e9 MAC, <= 0.1 boundary bytes/MAC):
// a 1024x1024x1024 MatMul is 1.07e9 MACs with 8 MiB of operands.
#include "passes/place.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "compiler/ir/verifier.h"
#include "passes/main_region_deps.h"
#include "passes/placement_file.h"
#include "tests/compiler/test_util.h"

namespace parallax::test {
namespace {

using ir::Device;
using rt::DType;

const std::set<std::string> kGpuOps = {"MatMul", "Relu", "Add", "Conv"};

// A graph under construction; `op` appends a main-region node with one float output.
struct Builder {
  ir::Graph g;
  Builder() { g.add_region("main", -1, -1); }
  ir::ValueId input(const std::string& name, std::vector<int64_t> dims) {
    const ir::ValueId v = g.add_value(name, DType::kFloat32, std::move(dims), true);
    g.regions[0].inputs.push_back(v);
    return v;
  }
  ir::ValueId op(const std::string& name, const std::string& type, std::vector<ir::ValueId> in,
                 std::vector<int64_t> dims) {
    const ir::ValueId out = g.add_value(name + "_out", DType::kFloat32, std::move(dims), true);
    g.add_node(0, name, type, "", 17, std::move(in), {out});
    return out;
  }
  ir::NodeId node(const std::string& name) const {
    for (size_t n = 0; n < g.nodes.size(); ++n)
      if (g.nodes[n].name == name) return static_cast<ir::NodeId>(n);
    FAIL("no node " << name);
    return -1;
  }
  void output(ir::ValueId v) { g.regions[0].outputs.push_back(v); }
};

passes::CompileOptions gpu_options(const std::string& profile = "snapdragon-8-gen-1") {
  passes::CompileOptions o;
  o.gpu = "opencl";
  o.device_profile = profile;
  o.gpu_supports = [](const ir::Graph& g, ir::NodeId n) {
    return kGpuOps.count(g.nodes[n].op_type) > 0;
  };
  return o;
}

ir::Plan place_ok(const ir::Graph& g, const passes::CompileOptions& o) {
  REQUIRE(ir::verify(g).is_ok());
  ir::Plan plan;
  const rt::Status s = passes::place(g, plan, o);
  INFO(s.message());
  REQUIRE(s.is_ok());
  REQUIRE(plan.device.size() == g.nodes.size());
  return plan;
}

std::string place_error(const ir::Graph& g, const passes::CompileOptions& o) {
  ir::Plan plan;
  const rt::Status s = passes::place(g, plan, o);
  REQUIRE_FALSE(s.is_ok());
  return s.message();
}

// x -> mm1 -> mm2 -> relu -> mm3 -> y: four GPU-capable ops, 3.2e9 MACs.
Builder heavy_chain() {
  Builder b;
  const ir::ValueId x = b.input("x", {1024, 1024});
  const ir::ValueId w = b.input("w", {1024, 1024});
  ir::ValueId v = b.op("mm1", "MatMul", {x, w}, {1024, 1024});
  v = b.op("mm2", "MatMul", {v, w}, {1024, 1024});
  v = b.op("relu", "Relu", {v}, {1024, 1024});
  b.output(b.op("mm3", "MatMul", {v, w}, {1024, 1024}));
  return b;
}

TEST_CASE("place: --gpu none puts every node on the CPU, capability table or not", "[place]") {
  Builder b = heavy_chain();
  passes::CompileOptions o = gpu_options();
  o.gpu = "none";
  const ir::Plan plan = place_ok(b.g, o);
  for (ir::NodeId n : b.g.regions[0].nodes) CHECK(plan.device[n] == Device::kCpu);
}

TEST_CASE("place: a heavy region of supported ops goes to the GPU", "[place]") {
  Builder b = heavy_chain();
  const ir::Plan plan = place_ok(b.g, gpu_options());
  for (ir::NodeId n : b.g.regions[0].nodes) CHECK(plan.device[n] == Device::kGpu);
}

TEST_CASE("place: an unsupported op falls back to the CPU and splits the region", "[place]") {
  Builder b;
  const ir::ValueId x = b.input("x", {1024, 1024});
  const ir::ValueId w = b.input("w", {1024, 1024});
  ir::ValueId v = b.op("mm1", "MatMul", {x, w}, {1024, 1024});
  v = b.op("mm2", "MatMul", {v, w}, {1024, 1024});
  v = b.op("mm3", "MatMul", {v, w}, {1024, 1024});
  v = b.op("nms", "Erf", {v}, {1024, 1024});  // not in kGpuOps
  v = b.op("mm4", "MatMul", {v, w}, {1024, 1024});
  b.output(b.op("relu", "Relu", {v}, {1024, 1024}));
  const ir::Plan plan = place_ok(b.g, gpu_options());
  CHECK(plan.device[b.node("mm1")] == Device::kGpu);
  CHECK(plan.device[b.node("mm3")] == Device::kGpu);
  CHECK(plan.device[b.node("nms")] == Device::kCpu);
  // The island after the fallback has two ops: under min_ops, pruned back to the CPU.
  CHECK(plan.device[b.node("mm4")] == Device::kCpu);
  CHECK(plan.device[b.node("relu")] == Device::kCpu);
}

TEST_CASE("place: a region with too little work is pruned", "[place]") {
  Builder b;
  ir::ValueId v = b.input("x", {64, 64});
  const ir::ValueId w = b.input("w", {64, 64});
  for (int i = 0; i < 5; ++i) v = b.op("mm" + std::to_string(i), "MatMul", {v, w}, {64, 64});
  b.output(v);
  const ir::Plan plan = place_ok(b.g, gpu_options());
  for (ir::NodeId n : b.g.regions[0].nodes) CHECK(plan.device[n] == Device::kCpu);
}

TEST_CASE("place: a memory-bound region fails the bytes-per-MAC bound", "[place]") {
  // Three Adds over 1e9 elements: 1e9 element ops each, but 4 bytes of boundary per op at least.
  Builder b;
  const ir::ValueId x = b.input("x", {1000, 1000, 1000});
  ir::ValueId v = b.op("a1", "Add", {x, x}, {1000, 1000, 1000});
  v = b.op("a2", "Add", {v, x}, {1000, 1000, 1000});
  b.output(b.op("a3", "Add", {v, x}, {1000, 1000, 1000}));
  const ir::Plan plan = place_ok(b.g, gpu_options());
  for (ir::NodeId n : b.g.regions[0].nodes) CHECK(plan.device[n] == Device::kCpu);
}

TEST_CASE("place: a boundary value of unknown size keeps the region on the CPU", "[place]") {
  Builder b = heavy_chain();
  b.g.values[b.g.regions[0].inputs[0]].dims = {-1, 1024};
  const ir::Plan plan = place_ok(b.g, gpu_options());
  for (ir::NodeId n : b.g.regions[0].nodes) CHECK(plan.device[n] == Device::kCpu);
}

TEST_CASE("place: the offload constants come from the device profile", "[place]") {
  const auto dir = temp_dir();
  const std::string strict = write_file(dir, "strict.json", R"({
    "name": "strict", "clusters": [{"name": "cpu", "cores": 4, "speed": 1}],
    "fastest_core_gmacs": 10, "memory_bandwidth_gbps": 10,
    "gpu": {"gmacs": 100, "dispatch_latency_us": 10, "bandwidth_gbps": 10},
    "offload": {"min_ops": 3, "min_macs": 1e12, "max_bytes_per_mac": 0.1}})");
  Builder b = heavy_chain();
  ir::Plan plan = place_ok(b.g, gpu_options(strict));
  for (ir::NodeId n : b.g.regions[0].nodes) CHECK(plan.device[n] == Device::kCpu);
  const std::string lenient = write_file(dir, "lenient.json", R"({
    "name": "lenient", "clusters": [{"name": "cpu", "cores": 4, "speed": 1}],
    "fastest_core_gmacs": 10, "memory_bandwidth_gbps": 10,
    "gpu": {"gmacs": 100, "dispatch_latency_us": 10, "bandwidth_gbps": 10},
    "offload": {"min_ops": 1, "min_macs": 0, "max_bytes_per_mac": 100}})");
  Builder small;
  const ir::ValueId x = small.input("x", {4});
  small.output(small.op("r", "Relu", {x}, {4}));
  plan = place_ok(small.g, gpu_options(lenient));
  CHECK(plan.device[small.node("r")] == Device::kGpu);
}

TEST_CASE("place: --gpu opencl needs a profile with a GPU", "[place]") {
  Builder b = heavy_chain();
  CHECK_THAT(place_error(b.g, gpu_options("host")), Catch::Contains("'host' has no GPU"));
}

TEST_CASE("place: without a capability hook the OpenCL backend supports nothing yet", "[place]") {
  Builder b = heavy_chain();
  passes::CompileOptions o = gpu_options();
  o.gpu_supports = nullptr;
  const ir::Plan plan = place_ok(b.g, o);
  for (ir::NodeId n : b.g.regions[0].nodes) CHECK(plan.device[n] == Device::kCpu);
}

// x -> If (then: mm chain reading x; else: Identity(x)) -> y. Everything is "supported".
TEST_CASE("place: control flow and its bodies stay on the CPU", "[place]") {
  Builder b = heavy_chain();
  const ir::ValueId cond = b.input("cond", {});
  b.g.values[cond].dtype = DType::kBool;
  const ir::ValueId x = b.g.regions[0].inputs[0];
  const ir::ValueId y = b.g.add_value("if_out", DType::kFloat32, {1024, 1024}, true);
  const ir::NodeId if_node = b.g.add_node(0, "if", "If", "", 17, {cond}, {y});
  const ir::RegionId then_r = b.g.add_region("then", 0, if_node);
  const ir::RegionId else_r = b.g.add_region("else", 0, if_node);
  const ir::ValueId t = b.g.add_value("t", DType::kFloat32, {1024, 1024}, true, then_r);
  const ir::NodeId inner = b.g.add_node(then_r, "inner_mm", "MatMul", "", 17, {x, x}, {t});
  b.g.regions[then_r].outputs.push_back(t);
  b.g.regions[else_r].outputs.push_back(x);
  rt::Attribute then_a, else_a;
  then_a.name = "then_branch";
  then_a.kind = rt::Attribute::Kind::kGraph;
  then_a.graph = then_r;
  else_a = then_a;
  else_a.name = "else_branch";
  else_a.graph = else_r;
  b.g.nodes[if_node].attrs = {then_a, else_a};
  b.output(y);
  passes::CompileOptions o = gpu_options();
  o.gpu_supports = [](const ir::Graph&, ir::NodeId) { return true; };
  const ir::Plan plan = place_ok(b.g, o);
  CHECK(plan.device[if_node] == Device::kCpu);
  CHECK(plan.device[inner] == Device::kCpu);
  CHECK(plan.device[b.node("mm1")] == Device::kGpu);
}

TEST_CASE("gpu_regions: a path through the CPU splits a connected group", "[place]") {
  // a -> b(cpu) -> d, a -> c -> d: {a, c} and {d} must be separate regions, or the contracted
  // graph would have a cycle through b.
  Builder bld;
  const ir::ValueId x = bld.input("x", {4});
  const ir::ValueId a = bld.op("a", "Relu", {x}, {4});
  const ir::ValueId bv = bld.op("b", "Erf", {a}, {4});
  const ir::ValueId c = bld.op("c", "Relu", {a}, {4});
  bld.output(bld.op("d", "Add", {bv, c}, {4}));
  std::vector<bool> on_gpu(bld.g.nodes.size(), true);
  on_gpu[bld.node("b")] = false;
  int32_t count = 0;
  const std::vector<int32_t> region =
      passes::gpu_regions(bld.g, passes::main_region_deps(bld.g), on_gpu, &count);
  CHECK(count == 2);
  CHECK(region[bld.node("a")] == region[bld.node("c")]);
  CHECK(region[bld.node("d")] != region[bld.node("a")]);
  CHECK(region[bld.node("b")] == -1);
}

TEST_CASE("gpu_regions: independent GPU nodes are separate regions", "[place]") {
  Builder bld;
  const ir::ValueId x = bld.input("x", {4});
  bld.output(bld.op("p", "Relu", {x}, {4}));
  bld.output(bld.op("q", "Relu", {x}, {4}));
  std::vector<bool> on_gpu(bld.g.nodes.size(), true);
  int32_t count = 0;
  passes::gpu_regions(bld.g, passes::main_region_deps(bld.g), on_gpu, &count);
  CHECK(count == 2);
}

// --- placement files ------------------------------------------------------------------------

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_CASE("place: --placement-out writes JSON in execution order, --placement-in reads it back",
          "[place]") {
  const auto dir = temp_dir();
  Builder b = heavy_chain();
  passes::CompileOptions o = gpu_options();
  o.placement_out = (dir / "out.json").string();
  place_ok(b.g, o);
  CHECK(
      read_text(o.placement_out) ==
      "{\n  \"mm1\": \"gpu\",\n  \"mm2\": \"gpu\",\n  \"relu\": \"gpu\",\n  \"mm3\": \"gpu\"\n}\n");

  // The user overrides the cost model: relu to the CPU (allowed even though it is supported).
  passes::CompileOptions in = gpu_options();
  in.placement_in = write_file(dir, "edited.json",
                               R"({"mm1": "gpu", "mm2": "gpu", "relu": "cpu", "mm3": "gpu"})");
  in.placement_out = (dir / "again.json").string();
  const ir::Plan plan = place_ok(b.g, in);
  CHECK(plan.device[b.node("relu")] == Device::kCpu);
  CHECK(plan.device[b.node("mm3")] == Device::kGpu);
  CHECK(
      read_text(in.placement_out) ==
      "{\n  \"mm1\": \"gpu\",\n  \"mm2\": \"gpu\",\n  \"relu\": \"cpu\",\n  \"mm3\": \"gpu\"\n}\n");

  // A small region the cost model would prune is kept when the user asks for it.
  Builder small;
  const ir::ValueId x = small.input("x", {4});
  small.output(small.op("r", "Relu", {x}, {4}));
  in.placement_in = write_file(dir, "small.json", R"({"r": "gpu"})");
  in.placement_out.clear();
  CHECK(place_ok(small.g, in).device[small.node("r")] == Device::kGpu);
}

TEST_CASE("place: placement file errors name the file and every node at fault", "[place]") {
  const auto dir = temp_dir();
  Builder b = heavy_chain();
  passes::CompileOptions o = gpu_options();
  auto error_for = [&](const std::string& text) {
    o.placement_in = write_file(dir, "p.json", text);
    return place_error(b.g, o);
  };
  CHECK_THAT(
      error_for(R"({"mm1": "gpu", "mm2": "gpu", "relu": "gpu", "mm3": "gpu", "nope": "cpu"})"),
      Catch::Contains("p.json': not nodes of the main graph: 'nope'"));
  CHECK_THAT(error_for(R"({"mm1": "gpu", "relu": "gpu"})"),
             Catch::Contains("no device given for: node 'mm2' (MatMul), node 'mm3' (MatMul)"));
  CHECK_THAT(error_for(R"({"mm1": "tpu", "mm2": "gpu", "relu": "gpu", "mm3": 3})"),
             Catch::Contains("expected \"cpu\" or \"gpu\": node 'mm1' (MatMul): \"tpu\", "
                             "node 'mm3' (MatMul): 3"));
  CHECK_THAT(error_for("[1, 2]"), Catch::Contains("expected a JSON object"));
  CHECK_THAT(error_for("{\"mm1\": "), Catch::Contains("not valid JSON"));
  o.placement_in = (dir / "missing.json").string();
  CHECK_THAT(place_error(b.g, o), Catch::Contains("missing.json': cannot open the file"));

  // GPU for a node the backend cannot run, and any GPU with --gpu none.
  o.gpu_supports = [](const ir::Graph& g, ir::NodeId n) { return g.nodes[n].op_type != "Relu"; };
  CHECK_THAT(error_for(R"({"mm1": "gpu", "mm2": "gpu", "relu": "gpu", "mm3": "gpu"})"),
             Catch::Contains("cannot run on the gpu: node 'relu' (Relu): the opencl backend has "
                             "no kernel for it"));
  o.gpu = "none";
  CHECK_THAT(error_for(R"({"mm1": "gpu", "mm2": "cpu", "relu": "cpu", "mm3": "cpu"})"),
             Catch::Contains("node 'mm1' (MatMul): --gpu none"));
}

TEST_CASE("place: placement files need unique node names", "[place]") {
  Builder b = heavy_chain();
  b.g.nodes[b.node("mm2")].name = "mm1";
  passes::CompileOptions o = gpu_options();
  o.placement_out = (temp_dir() / "out.json").string();
  CHECK_THAT(place_error(b.g, o), Catch::Contains("node names must be unique in the main graph; "
                                                  "repeated: 'mm1'"));
}

}  // namespace
}  // namespace parallax::test
