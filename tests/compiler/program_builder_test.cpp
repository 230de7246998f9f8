// Program builder: layout of tensors, weights, graphs and steps.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory>

#include "codegen/program_builder.h"
#include "parallax/runtime/executor.h"
#include "parallax/runtime/kernel.h"

namespace parallax::test {
namespace {

using rt::DType;

template <typename T> std::vector<uint8_t> bytes(std::vector<T> v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// y = MatMul(x, w) with a second constant that forces alignment padding, and a TopK-like node
// with an omitted optional output (never run).
ir::Graph matmul_graph() {
  ir::Graph g;
  g.opsets[""] = 17;
  g.add_region("main", -1, -1);
  const ir::ValueId x = g.add_value("x", DType::kFloat32, {1, 2}, true);
  g.regions[0].inputs.push_back(x);
  g.add_constant("pad", DType::kUInt8, {3}, {1, 2, 3});
  const ir::ValueId w = g.add_constant("w", DType::kFloat32, {2, 2}, bytes<float>({1, 2, 3, 4}));
  const ir::ValueId y = g.add_value("y", DType::kFloat32, {1, 2}, true);
  g.add_node(0, "mm", "MatMul", "", 17, {x, w}, {y, -1});
  g.regions[0].outputs.push_back(y);
  return g;
}

TEST_CASE("program builder: tensors, weights and steps", "[codegen]") {
  if (rt::find_kernel("", "MatMul", 17) < 0) {
    WARN("no MatMul kernel yet");
    return;
  }
  ir::Graph g = matmul_graph();
  rt::Program p;
  REQUIRE(codegen::build_program(g, &p).is_ok());
  // Tensor i is value i; one extra anonymous tensor for the omitted output.
  REQUIRE(p.tensors.size() == g.values.size() + 1);
  CHECK(p.tensors[0].kind == rt::TensorKind::kInput);
  CHECK(p.tensors[1].kind == rt::TensorKind::kConstant);
  CHECK(p.tensors[1].weight_offset == 0);
  CHECK(p.tensors[2].kind == rt::TensorKind::kConstant);
  CHECK(p.tensors[2].weight_offset == 64);
  CHECK(p.weights.size() == 64 + 16);
  REQUIRE(p.graphs.size() == 1);
  const rt::Step& s = p.graphs[0].steps.at(0);
  CHECK(s.kernel == rt::find_kernel("", "MatMul", 17));
  CHECK(s.outputs.size() == 2);
  CHECK(s.output_wanted == std::vector<bool>{true, false});
  CHECK(p.tensors[s.outputs[1]].kind == rt::TensorKind::kIntermediate);
}

TEST_CASE("program builder: a consumed graph gives its constants' bytes away", "[codegen]") {
  if (rt::find_kernel("", "MatMul", 17) < 0) {
    WARN("no MatMul kernel yet");
    return;
  }
  ir::Graph g = matmul_graph();
  rt::Program copied;
  REQUIRE(codegen::build_program(g, &copied).is_ok());
  rt::Program moved;
  REQUIRE(codegen::build_program(std::move(g), ir::Plan{}, &moved).is_ok());
  CHECK(moved.weights == copied.weights);  // the same blob, padding and offsets included
  REQUIRE(moved.tensors.size() == copied.tensors.size());
  for (size_t i = 0; i < moved.tensors.size(); ++i) {
    CHECK(moved.tensors[i].weight_offset == copied.tensors[i].weight_offset);
  }
  for (const ir::Value& v : g.values) CHECK(v.data.capacity() == 0);  // NOLINT(use-after-move)
}

TEST_CASE("program builder: the program runs", "[codegen]") {
  if (rt::find_kernel("", "MatMul", 17) < 0) {
    WARN("no MatMul kernel yet");
    return;
  }
  ir::Graph g = matmul_graph();
  g.nodes[0].outputs.pop_back();  // MatMul has one output
  rt::Program p;
  REQUIRE(codegen::build_program(g, &p).is_ok());
  std::unique_ptr<rt::Executor> ex;
  REQUIRE(rt::Executor::create(&p, &ex).is_ok());
  float xv[2] = {1, 1};
  rt::Tensor x;
  x.dtype = DType::kFloat32;
  x.shape = rt::Shape{1, 2};
  x.data = xv;
  REQUIRE(ex->set_input(0, x).is_ok());
  REQUIRE(ex->run().is_ok());
  const float* y = ex->output(0).data_as<float>();
  CHECK(y[0] == 4.0f);
  CHECK(y[1] == 6.0f);
}

TEST_CASE("program builder: regions become graphs, missing kernels are listed", "[codegen]") {
  ir::Graph g;
  g.opsets[""] = 17;
  g.add_region("main", -1, -1);
  const ir::ValueId c = g.add_value("c", DType::kBool, {}, true);
  g.regions[0].inputs.push_back(c);
  const ir::ValueId r = g.add_value("r", DType::kFloat32, {1}, true);
  const ir::NodeId n = g.add_node(0, "cf", "NoSuchOp", "", 17, {c}, {r});
  const ir::RegionId body = g.add_region("body", 0, n);
  const ir::ValueId bi = g.add_value("bi", DType::kFloat32, {1}, true, body);
  g.regions[body].inputs.push_back(bi);
  g.regions[body].outputs.push_back(bi);
  g.add_node(body, "inner", "AlsoMissing", "", 17, {bi}, {});
  rt::Program p;
  rt::Status s = codegen::build_program(g, &p);
  CHECK(s.code() == rt::StatusCode::kUnsupported);
  CHECK(s.message() == "unsupported operators: node 'cf' (NoSuchOp), node 'inner' (AlsoMissing)");
}

}  // namespace
}  // namespace parallax::test
