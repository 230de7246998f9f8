// The compiler's IR: one ONNX model as flat, index-based tables.
//
// Meaning. A Graph is a dataflow program. Values are immutable tensors, each defined exactly
// once: by a node output, as a region input, or as a constant whose bytes live in the IR.
// Nodes are ONNX operators (op_type, domain, the opset the model imports for that domain)
// reading and writing values by id. Regions are ordered node lists: region 0 is the model's
// main graph; every If/Loop/Scan body is a further region owned by the node whose kGraph
// attribute names it. A node in a region may read any value defined earlier in its own region
// or in an enclosing one (ONNX outer-scope references, resolved by name at import), and any
// constant. There is no aliasing: a value names one tensor, and its lifetime ends with its
// last use. Shapes are what is known before run time: `dims` holds -1 for a dimension that
// only the running kernel knows, and `rank_known` is false when even the rank is unknown.
//
//   ir::Graph g;
//   ValueId x = g.add_value("x", rt::DType::kFloat32, {1, 3}, true);
//   NodeId n = g.add_node(0, "relu0", "Relu", "", 14, {x}, {g.add_value("y", ...)});
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "parallax/runtime/dtype.h"
#include "parallax/runtime/program.h"

namespace parallax::ir {

namespace rt = ::parallax::rt;

using ValueId = int32_t;
using NodeId = int32_t;
using RegionId = int32_t;

struct Value {
  std::string name;
  rt::DType dtype = rt::DType::kUndefined;
  std::vector<int64_t> dims;             // -1 = known only at run time
  bool rank_known = false;
  std::vector<std::string> dim_params;   // symbolic names of dims ("" where none); may be empty
  NodeId producer = -1;                  // -1: a region input or a constant
  RegionId region = 0;                   // where the value is defined
  bool is_constant = false;
  std::vector<uint8_t> data;             // constant bytes, little-endian, row-major
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" = the default ONNX domain
  int opset = 0;
  std::vector<ValueId> inputs;   // -1 = an omitted optional input
  std::vector<ValueId> outputs;  // -1 = an omitted optional output
  // kTensor attributes keep a constant ValueId in .tensor; kGraph attributes a RegionId in .graph.
  std::vector<rt::Attribute> attrs;
  RegionId region = 0;
};

struct Region {
  std::string name;
  std::vector<NodeId> nodes;  // in a valid execution order
  std::vector<ValueId> inputs;
  std::vector<ValueId> outputs;
  RegionId parent = -1;
  NodeId owner = -1;  // the control-flow node whose attribute names this region
};

struct Graph {
  std::string name;
  std::vector<Value> values;
  std::vector<Node> nodes;
  std::vector<Region> regions;         // regions[0] = the main graph
  std::map<std::string, int> opsets;   // imported opset per domain ("" = default domain)

  ValueId add_value(std::string name, rt::DType dtype, std::vector<int64_t> dims,
                    bool rank_known, RegionId region = 0);
  ValueId add_constant(std::string name, rt::DType dtype, std::vector<int64_t> dims,
                       std::vector<uint8_t> data, RegionId region = 0);
  // Appends a node to `region`, and makes it the producer of its outputs.
  NodeId add_node(RegionId region, std::string name, std::string op_type, std::string domain,
                  int opset, std::vector<ValueId> inputs, std::vector<ValueId> outputs,
                  std::vector<rt::Attribute> attrs = {});
  RegionId add_region(std::string name, RegionId parent, NodeId owner);

  // True when `inner` is `outer` or nested (at any depth) inside it.
  bool region_within(RegionId inner, RegionId outer) const;
};

// Number of elements of a static shape; -1 when a dimension or the rank is unknown.
int64_t static_numel(const Value& v);

}  // namespace parallax::ir
