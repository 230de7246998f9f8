// Device profiles and the cost model that place (and schedule) read: the shipped profiles load
// and say what docs/design.md says; user files are checked field by field; MAC counts are
// hand-computed.
#include <catch2/catch.hpp>
#include <cmath>
#include <thread>

#include "passes/cost_model.h"
#include "passes/device_profile.h"
#include "tests/compiler/test_util.h"

namespace parallax::test {
namespace {

using rt::DType;

passes::DeviceProfile load(const std::string& name) {
  passes::DeviceProfile p;
  const rt::Status s = passes::load_device_profile(name, &p);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return p;
}

std::string load_error(const std::string& json) {
  const std::string path = write_file(temp_dir(), "p.json", json);
  passes::DeviceProfile p;
  const rt::Status s = passes::load_device_profile(path, &p);
  REQUIRE_FALSE(s.is_ok());
  CHECK_THAT(s.message(), Catch::Contains("device profile '" + path + "'"));
  return s.message();
}

std::vector<int> cores_of(const passes::DeviceProfile& p) {
  std::vector<int> c;
  for (const auto& cl : p.clusters) c.push_back(cl.cores);
  return c;
}

TEST_CASE("device profiles: the shipped ones are built in and load", "[place]") {
  const std::vector<std::string> expected = {"host", "snapdragon-8-gen-1", "google-tensor",
                                             "kirin-980", "dimensity-8100"};
  CHECK(passes::builtin_profile_names() == expected);
  for (const std::string& name : expected) {
    const passes::DeviceProfile p = load(name);
    CHECK(p.name == name);
    CHECK(p.source == "built-in profile '" + name + "'");
    REQUIRE_FALSE(p.clusters.empty());
    CHECK(p.clusters[0].speed == 1.0);
    for (size_t i = 1; i < p.clusters.size(); ++i)
      CHECK(p.clusters[i].speed <= p.clusters[i - 1].speed);
    CHECK(p.offload.min_ops == 3);
    CHECK(p.offload.min_macs == 1e9);
    CHECK(p.offload.max_bytes_per_mac == 0.1);
    CHECK(p.gpu.present == (name != "host"));
  }
  CHECK(cores_of(load("snapdragon-8-gen-1")) == std::vector<int>{1, 3, 4});
  CHECK(cores_of(load("google-tensor")) == std::vector<int>{2, 2, 4});
  CHECK(cores_of(load("kirin-980")) == std::vector<int>{2, 2, 4});
  CHECK(cores_of(load("dimensity-8100")) == std::vector<int>{4, 4});
  CHECK(load("snapdragon-8-gen-1").gpu.name == "Adreno 730");
  CHECK(load("").name == "host");
  CHECK(load("host").total_cores() ==
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

TEST_CASE("device profiles: a user file is read, speeds normalised, fastest cluster first",
          "[place]") {
  const std::string path = write_file(temp_dir(), "soc.json", R"({
    "name": "soc", "fastest_core_gmacs": 20, "memory_bandwidth_gbps": 30,
    "clusters": [{"name": "little", "cores": 4, "speed": 0.5},
                 {"name": "big", "cores": 2, "speed": 2.0, "freq_ghz": 3}],
    "gpu": {"name": "G", "gmacs": 100, "dispatch_latency_us": 10, "bandwidth_gbps": 25}})");
  const passes::DeviceProfile p = load(path);
  REQUIRE(p.clusters.size() == 2);
  CHECK(p.clusters[0].name == "big");
  CHECK(p.clusters[0].speed == 1.0);
  CHECK(p.clusters[0].gmacs_per_core == 20);
  CHECK(p.clusters[1].speed == 0.25);
  CHECK(p.clusters[1].gmacs_per_core == 5);
  CHECK(p.total_cores() == 6);
  CHECK(p.gpu.present);
  CHECK(p.offload.min_macs == 1e9);  // the paper's rule when the file gives none
}

TEST_CASE("device profiles: errors name the file and the field", "[place]") {
  const std::string ok_rest = R"("fastest_core_gmacs": 10, "memory_bandwidth_gbps": 10)";
  CHECK_THAT(load_error("{\"name\": \"x\", " + ok_rest + "}"),
             Catch::Contains("field 'clusters': missing"));
  CHECK_THAT(load_error(R"({"name": "x", "clusters": [{"name": "a", "cores": -2, "speed": 1}], )" +
                        ok_rest + "}"),
             Catch::Contains("field 'clusters[0].cores': expected an integer >= 0"));
  CHECK_THAT(load_error(R"({"name": "x", "clusters": [{"name": "a", "cores": 1, "speed": 0}], )" +
                        ok_rest + "}"),
             Catch::Contains("field 'clusters[0].speed': expected a number > 0, got 0"));
  CHECK_THAT(load_error(R"({"name": "x", "clusters": [{"name": "a", "cores": 1, "speed": 1}], )" +
                        ok_rest + R"(, "gpu": {"gmacs": "fast"}})"),
             Catch::Contains("field 'gpu.gmacs': expected a number"));
  CHECK_THAT(load_error(R"({"name": "x", "clusters": [{"name": "a", "cores": 1, "speed": 1}], )" +
                        ok_rest + R"(, "clsuters": 1})"),
             Catch::Contains("field 'clsuters': unknown field"));
  CHECK_THAT(load_error(R"({"name": "x", "clusters": [{"name": "a", "cores": 1, "speed": 1}], )" +
                        ok_rest + R"(, "offload": {"min_ops": 0}})"),
             Catch::Contains("field 'offload.min_ops': expected an integer >= 1"));
  CHECK_THAT(load_error("{\"name\": "), Catch::Contains("not valid JSON"));

  passes::DeviceProfile p;
  const rt::Status s = passes::load_device_profile("no-such-soc", &p);
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.message() ==
        "unknown device profile 'no-such-soc': not a built-in profile (host, "
        "snapdragon-8-gen-1, google-tensor, kirin-980, dimensity-8100) and no such "
        "file");
}

// --- cost model -----------------------------------------------------------------------------

struct OneNode {
  ir::Graph g;
  ir::NodeId n = -1;
};

// One node of `type` reading values of the given shapes (a "w..." name makes a constant).
OneNode one_node(const std::string& type,
                 const std::vector<std::pair<std::string, std::vector<int64_t>>>& ins,
                 std::vector<int64_t> out_dims, std::vector<rt::Attribute> attrs = {}) {
  OneNode o;
  o.g.add_region("main", -1, -1);
  std::vector<ir::ValueId> in_ids;
  for (const auto& [name, dims] : ins) {
    if (name[0] == 'w') {
      int64_t numel = 1;
      for (int64_t d : dims) numel *= d;
      in_ids.push_back(o.g.add_constant(name, DType::kFloat32, dims,
                                        std::vector<uint8_t>(static_cast<size_t>(numel) * 4)));
    } else {
      in_ids.push_back(o.g.add_value(name, DType::kFloat32, dims, true));
      o.g.regions[0].inputs.push_back(in_ids.back());
    }
  }
  const ir::ValueId y = o.g.add_value("y", DType::kFloat32, std::move(out_dims), true);
  o.n = o.g.add_node(0, "n", type, "", 17, in_ids, {y}, std::move(attrs));
  o.g.regions[0].outputs.push_back(y);
  return o;
}

TEST_CASE("cost model: MACs of the compute-heavy ops", "[place]") {
  // Conv 3x3, 16 -> 32 channels, 8x8 output: 32*8*8 outputs x 16*3*3 MACs each.
  OneNode conv = one_node("Conv", {{"x", {1, 16, 8, 8}}, {"w", {32, 16, 3, 3}}}, {1, 32, 8, 8});
  passes::NodeCost c = passes::node_cost(conv.g, conv.n);
  CHECK(c.macs == 32.0 * 8 * 8 * 16 * 9);
  CHECK(c.input_bytes == 16 * 8 * 8 * 4);
  CHECK(c.weight_bytes == 32 * 16 * 9 * 4);
  CHECK(c.output_bytes == 32 * 8 * 8 * 4);
  CHECK(c.shapes_known);

  // Parallax's fused and NHWC forms cost what the ONNX op they replace costs.
  conv.g.nodes[conv.n].domain = "com.parallax";
  conv.g.nodes[conv.n].op_type = "FusedConv";
  CHECK(passes::node_cost(conv.g, conv.n).macs == c.macs);
  conv.g.nodes[conv.n].op_type = "Unknown";  // an unknown op: one operation per output element
  CHECK(passes::node_cost(conv.g, conv.n).macs == 32.0 * 8 * 8);

  // Batched MatMul [2,3,5,7] x [2,3,7,11]: 2*3*5*11 outputs x 7.
  OneNode mm = one_node("MatMul", {{"a", {2, 3, 5, 7}}, {"b", {2, 3, 7, 11}}}, {2, 3, 5, 11});
  CHECK(passes::node_cost(mm.g, mm.n).macs == 2.0 * 3 * 5 * 11 * 7);

  // Gemm with transA: A is [K, M] = [6, 4], B [6, 9] -> [4, 9], K = 6.
  rt::Attribute trans;
  trans.name = "transA";
  trans.i = 1;
  OneNode gemm = one_node("Gemm", {{"a", {6, 4}}, {"w", {6, 9}}}, {4, 9}, {trans});
  CHECK(passes::node_cost(gemm.g, gemm.n).macs == 4.0 * 9 * 6);

  // ConvTranspose: every input element meets Cout/g * k*k weights.
  OneNode ct = one_node("ConvTranspose", {{"x", {1, 8, 4, 4}}, {"w", {8, 3, 2, 2}}}, {1, 3, 8, 8});
  CHECK(passes::node_cost(ct.g, ct.n).macs == 8.0 * 4 * 4 * 3 * 4);

  rt::Attribute eq;
  eq.name = "equation";
  eq.kind = rt::Attribute::Kind::kString;
  eq.s = "bij,bjk->bik";
  OneNode es = one_node("Einsum", {{"a", {2, 3, 4}}, {"b", {2, 4, 5}}}, {2, 3, 5}, {eq});
  CHECK(passes::node_cost(es.g, es.n).macs == 2.0 * 3 * 4 * 5);

  rt::Attribute k;
  k.name = "kernel_shape";
  k.kind = rt::Attribute::Kind::kInts;
  k.ints = {3, 3};
  OneNode pool = one_node("MaxPool", {{"x", {1, 4, 9, 9}}}, {1, 4, 7, 7}, {k});
  CHECK(passes::node_cost(pool.g, pool.n).macs == 4.0 * 7 * 7 * 9);
}

TEST_CASE("cost model: elementwise ops count elements, data movement counts nothing", "[place]") {
  OneNode add = one_node("Add", {{"a", {10, 10}}, {"b", {10, 10}}}, {10, 10});
  CHECK(passes::node_cost(add.g, add.n).macs == 100);
  OneNode tr = one_node("Transpose", {{"a", {10, 20}}}, {20, 10});
  const passes::NodeCost c = passes::node_cost(tr.g, tr.n);
  CHECK(c.macs == 0);
  CHECK(c.input_bytes + c.output_bytes == 1600);
}

TEST_CASE("cost model: unknown dimensions count as 1 and are flagged", "[place]") {
  OneNode mm = one_node("MatMul", {{"a", {-1, 8}}, {"b", {8, 4}}}, {-1, 4});
  const passes::NodeCost c = passes::node_cost(mm.g, mm.n);
  CHECK(c.macs == 4.0 * 8);
  CHECK_FALSE(c.shapes_known);
  CHECK(c.input_bytes == 8 * 4 * 4);  // only the static input
  CHECK(passes::value_bytes(mm.g.values[mm.g.nodes[mm.n].inputs[0]]) == 0);
}

TEST_CASE("cost model: roofline times, sub-linear threads, no GPU is infinitely slow", "[place]") {
  const passes::DeviceProfile sd = load("snapdragon-8-gen-1");
  passes::NodeCost c;
  c.macs = 24e6;  // 1 ms on the prime core (24 GMAC/s)
  const passes::ClusterProfile& prime = sd.clusters[0];
  CHECK(passes::cpu_time_us(c, prime, 1, sd) == Approx(1000 + sd.step_overhead_us));
  // The prime cluster has one core: asking for more threads changes nothing.
  CHECK(passes::cpu_time_us(c, prime, 4, sd) == passes::cpu_time_us(c, prime, 1, sd));
  const passes::ClusterProfile& big = sd.clusters[1];
  const double one = passes::cpu_time_us(c, big, 1, sd) - sd.step_overhead_us;
  const double three = passes::cpu_time_us(c, big, 3, sd) - sd.step_overhead_us;
  CHECK(three == Approx(one / (1 + 2 * sd.intra_op_efficiency)));
  CHECK(three > one / 3);
  // Memory-bound: 51.2 MB at 51.2 GB/s is 1 ms whatever the MACs.
  passes::NodeCost m;
  m.input_bytes = 51200000;
  CHECK(passes::cpu_time_us(m, prime, 1, sd) == Approx(1000 + sd.step_overhead_us));
  CHECK(passes::gpu_time_us(c, sd) ==
        Approx(24e6 / (sd.gpu.gmacs * 1e3) + sd.gpu.dispatch_latency_us));
  CHECK(passes::transfer_time_us(51200000, sd) == Approx(1000));
  const passes::DeviceProfile host = load("host");
  CHECK(std::isinf(passes::gpu_time_us(c, host)));
  CHECK(std::isinf(passes::transfer_time_us(1, host)));
}

}  // namespace
}  // namespace parallax::test
