// plan-memory's in-place contract against the real kernels: for every op allows_in_place lists,
// a graph where the op's output takes its input's bytes in the arena runs through the executor
// and must give the same bytes as the program without a memory plan (separate buffers).
#include <catch2/catch.hpp>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "codegen/program_builder.h"
#include "parallax/runtime/executor.h"
#include "passes/plan_memory.h"

namespace parallax::test {
namespace {

using ir::ValueId;
using rt::DType;

constexpr int64_t kCount = 37;  // odd, so vectorized kernels run their tails too

struct Case {
  const char* op;
  DType dtype = DType::kFloat32;
  int arena_slot = 0;  // which input is the arena value; binary ops read a graph input otherwise
  int arity = 1;
  std::vector<rt::Attribute> attrs = {};
};

rt::Attribute string_attr(const char* name, const char* value) {
  rt::Attribute a;
  a.name = name;
  a.kind = rt::Attribute::Kind::kString;
  a.s = value;
  return a;
}

rt::Attribute int_attr(const char* name, int64_t value) {
  rt::Attribute a;
  a.name = name;
  a.kind = rt::Attribute::Kind::kInt;
  a.i = value;
  return a;
}

// Deterministic input bytes for `count` elements: mixed-sign floats, small unsigned shifts,
// alternating bools.
std::vector<uint8_t> input_bytes(DType dtype, int salt, int64_t count) {
  std::vector<uint8_t> bytes(count * rt::dtype_size(dtype));
  for (int64_t i = 0; i < count; ++i) {
    if (dtype == DType::kFloat32) {
      const float v = static_cast<float>((i * 7 + salt * 3) % 19) / 10.0f - 0.9f;
      std::memcpy(bytes.data() + i * 4, &v, 4);
    } else if (dtype == DType::kUInt8) {
      bytes[i] = static_cast<uint8_t>((i + salt) % 7);
    } else {
      bytes[i] = static_cast<uint8_t>((i + salt) % 2);
    }
  }
  return bytes;
}

// x -> t = Transpose(x) (a fresh arena value) -> y = op(t) or op(t, c) / op(c, t); y is the output.
// View ops get the shapes and constant inputs they need.
ir::Graph in_place_graph(const Case& c, ValueId* t_out, ValueId* y_out) {
  ir::Graph g;
  g.opsets[""] = 17;
  g.add_region("main", -1, -1);
  const std::string op = c.op;
  std::vector<int64_t> in_dims = {kCount}, out_dims = {kCount};
  if (op == "Squeeze") in_dims = {1, kCount};
  if (op == "Flatten") out_dims = {kCount, 1};
  if (op == "Unsqueeze") out_dims = {1, kCount};
  const ValueId x = g.add_value("x", c.dtype, in_dims, true);
  g.regions[0].inputs.push_back(x);
  const ValueId t = g.add_value("t", c.dtype, in_dims, true);
  rt::Attribute perm;
  perm.name = "perm";
  perm.kind = rt::Attribute::Kind::kInts;
  for (size_t d = 0; d < in_dims.size(); ++d) perm.ints.push_back(static_cast<int64_t>(d));
  g.add_node(0, "copy", "Transpose", "", 17, {x}, {t}, {perm});
  std::vector<ValueId> ins = {t};
  if (c.arity == 2) {
    const ValueId other = g.add_value("c", c.dtype, in_dims, true);
    g.regions[0].inputs.push_back(other);
    ins.insert(c.arena_slot == 0 ? ins.end() : ins.begin(), other);
  }
  const auto int64_constant = [&](const char* name, std::vector<int64_t> v) {
    std::vector<uint8_t> data(v.size() * 8);
    std::memcpy(data.data(), v.data(), data.size());
    return g.add_constant(name, DType::kInt64, {static_cast<int64_t>(v.size())}, data);
  };
  if (op == "Reshape") ins.push_back(int64_constant("shape", {kCount}));
  if (op == "Unsqueeze") ins.push_back(int64_constant("axes", {0}));
  const ValueId y = g.add_value("y", c.dtype, out_dims, true);
  g.add_node(0, "op", c.op, "", 17, ins, {y}, c.attrs);
  g.regions[0].outputs.push_back(y);
  *t_out = t;
  *y_out = y;
  return g;
}

std::vector<uint8_t> run(const rt::Program& p, const Case& c) {
  std::unique_ptr<rt::Executor> ex;
  rt::Status s = rt::Executor::create(&p, &ex);
  INFO(s.message());
  REQUIRE(s.is_ok());
  std::vector<std::vector<uint8_t>> inputs;
  for (int i = 0; i < ex->input_count(); ++i) {
    rt::Tensor in;
    in.dtype = c.dtype;
    const std::vector<int64_t>& dims = p.tensors[p.main().inputs[i]].shape;
    rt::Shape::from(dims.data(), static_cast<int>(dims.size()), &in.shape);
    inputs.push_back(input_bytes(c.dtype, i, in.shape.numel()));
    in.data = inputs.back().data();
    REQUIRE(ex->set_input(i, in).is_ok());
  }
  s = ex->run();
  INFO(s.message());
  REQUIRE(s.is_ok());
  const rt::Tensor& y = ex->output(0);
  const uint8_t* bytes = static_cast<const uint8_t*>(y.data);
  return std::vector<uint8_t>(bytes, bytes + y.nbytes());
}

TEST_CASE("in-place ops give the same bytes when their output overwrites their input",
          "[plan_memory]") {
  std::vector<Case> cases;
  for (const char* op :
       {"Abs",       "Acos",     "Acosh",   "Asin",       "Asinh",       "Atan",
        "Atanh",     "Ceil",     "Celu",    "Clip",       "Cos",         "Cosh",
        "Elu",       "Erf",      "Exp",     "Floor",      "HardSigmoid", "HardSwish",
        "LeakyRelu", "Log",      "Neg",     "Reciprocal", "Relu",        "Round",
        "Selu",      "Shrink",   "Sigmoid", "Sign",       "Sin",         "Sinh",
        "Softplus",  "Softsign", "Sqrt",    "Tan",        "Tanh",        "ThresholdedRelu",
        "Flatten",   "Identity", "Reshape", "Squeeze",    "Unsqueeze"})
    cases.push_back({op});
  cases.push_back({"Not", DType::kBool});
  for (int slot : {0, 1}) {
    for (const char* op : {"Add", "Div", "Mul", "PRelu", "Sub"})
      cases.push_back({op, DType::kFloat32, slot, 2});
    cases.push_back({"Mod", DType::kFloat32, slot, 2, {int_attr("fmod", 1)}});
    for (const char* op : {"And", "Or", "Xor"}) cases.push_back({op, DType::kBool, slot, 2});
    cases.push_back({"BitShift", DType::kUInt8, slot, 2, {string_attr("direction", "LEFT")}});
  }
  for (const Case& c : cases) {
    INFO(c.op << " over input " << c.arena_slot);
    ValueId t = -1, y = -1;
    const ir::Graph g = in_place_graph(c, &t, &y);
    ir::Plan plan;
    REQUIRE(passes::plan_memory(g, plan).is_ok());
    REQUIRE(plan.memory.in_place_of[y] == t);
    rt::Program separate, shared;
    REQUIRE(codegen::build_program(g, &separate).is_ok());
    REQUIRE(codegen::build_program(g, plan, &shared).is_ok());
    REQUIRE(shared.tensors[y].arena_offset == shared.tensors[t].arena_offset);
    CHECK(run(shared, c) == run(separate, c));
  }
}

// The control: a transpose is not in-place safe, and forcing its output onto its input's bytes
// must change the result, or the comparison above could not catch a broken kernel.
TEST_CASE("forcing a transpose to run in place changes its result", "[plan_memory]") {
  ir::Graph g;
  g.opsets[""] = 17;
  g.add_region("main", -1, -1);
  const ValueId x = g.add_value("x", DType::kFloat32, {kCount, 2}, true);
  g.regions[0].inputs.push_back(x);
  rt::Attribute swap;
  swap.name = "perm";
  swap.kind = rt::Attribute::Kind::kInts;
  swap.ints = {1, 0};
  const ValueId t = g.add_value("t", DType::kFloat32, {2, kCount}, true);
  g.add_node(0, "t", "Transpose", "", 17, {x}, {t}, {swap});
  const ValueId y = g.add_value("y", DType::kFloat32, {kCount, 2}, true);
  g.add_node(0, "y", "Transpose", "", 17, {t}, {y}, {swap});
  g.regions[0].outputs.push_back(y);
  ir::Plan plan;
  REQUIRE(passes::plan_memory(g, plan).is_ok());
  REQUIRE(plan.memory.in_place_of[y] == -1);
  plan.memory.offset[y] = plan.memory.offset[t];
  rt::Program separate, forced;
  REQUIRE(codegen::build_program(g, &separate).is_ok());
  REQUIRE(codegen::build_program(g, plan, &forced).is_ok());
  CHECK(run(forced, Case{"Transpose"}) != run(separate, Case{"Transpose"}));
}

}  // namespace
}  // namespace parallax::test
