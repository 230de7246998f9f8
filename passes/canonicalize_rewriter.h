// Rewriter: the matching and editing toolkit shared by the canonicalize rewrites
// (fold_constants, remove_identity, fuse_*).
//
//   Rewriter rw(g);                       // counts every value's uses once
//   for (ir::NodeId n = 0; n < rw.node_count(); ++n) {
//     if (!rw.is(n, "Relu")) continue;
//     const ir::NodeId conv = rw.single_producer(rw.node(n).inputs[0], "Conv", n);
//     if (conv < 0) continue;
//     rw.replace(n, "FusedConv", kParallaxDomain, 1, rw.node(conv).inputs, attrs);
//     rw.erase(conv);
//   }
//   return rw.finish();                   // drops erased nodes; true when anything changed
//
// Editing contract. A match only looks at untouched nodes, and every node an edit changes or
// erases becomes touched, so the use counts taken at construction stay right for everything a
// later match in the same sweep can look at. A replaced node keeps its place in its region and
// its output 0: a fusion rewrites the LAST node of its pattern, whose inputs (those of the
// pattern's first node) are all defined before it and whose output is read only after it, so
// region order stays valid and region outputs keep their ids and names. Erased nodes lose
// their inputs and outputs and are removed by finish() through eliminate_dead_code.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Domain and version of Parallax's own operators (runtime/kernels/fused/).
inline constexpr const char* kParallaxDomain = "com.parallax";
inline constexpr int kParallaxOpset = 1;

class Rewriter {
 public:
  explicit Rewriter(ir::Graph& g);

  ir::Graph& graph() { return g_; }
  ir::NodeId node_count() const { return static_cast<ir::NodeId>(g_.nodes.size()); }
  const ir::Node& node(ir::NodeId n) const { return g_.nodes[n]; }
  const ir::Value& value(ir::ValueId v) const { return g_.values[v]; }
  bool touched(ir::NodeId n) const { return touched_[n]; }

  // True when node n is untouched and is `op_type` of `domain` ("" = ONNX).
  bool is(ir::NodeId n, std::string_view op_type, std::string_view domain = "") const;

  // --- uses (as counted at construction) --------------------------------------------------
  // Node input slots reading v (Mul(d, d) counts twice) plus region outputs returning it.
  int uses(ir::ValueId v) const { return v < 0 ? 0 : uses_[v]; }
  bool is_region_output(ir::ValueId v) const { return v >= 0 && is_output_[v]; }
  // The node that reads v when that is v's only use and the node is untouched; else -1.
  ir::NodeId only_user(ir::ValueId v) const;
  // The producer of v when it is an untouched `op_type` node (default domain) in the same
  // region as node `consumer` and `consumer` holds v's only use; else -1. This is the test
  // every fusion needs: the intermediate value disappears, so nobody else may read it.
  ir::NodeId single_producer(ir::ValueId v, std::string_view op_type, ir::NodeId consumer,
                             std::string_view domain = "") const;

  // --- constants --------------------------------------------------------------------------
  bool is_constant(ir::ValueId v) const { return v >= 0 && g_.values[v].is_constant; }
  // The elements of a constant of a float, integer or bool type, as doubles.
  bool constant_values(ir::ValueId v, std::vector<double>* out) const;
  // The value of a one-element constant.
  bool scalar_value(ir::ValueId v, double* out) const;
  // Adds a constant of a float or integer dtype holding `values` converted to it.
  ir::ValueId add_constant(std::string name, rt::DType dtype, std::vector<int64_t> dims,
                           const std::vector<double>& values, ir::RegionId region);

  // --- edits ------------------------------------------------------------------------------
  // Turns node n into another operator that keeps its output 0 (other outputs are dropped;
  // the caller has checked that nobody reads them). Touches n.
  void replace(ir::NodeId n, std::string name, std::string op_type, std::string domain, int opset,
               std::vector<ir::ValueId> inputs, std::vector<rt::Attribute> attrs);
  // Removes node n (finish() compacts it away). Touches n.
  void erase(ir::NodeId n);
  // Makes every node input reading `from` read `to` instead (region outputs are left alone).
  void replace_uses(ir::ValueId from, ir::ValueId to);
  // Adds a value of static shape `dims` defined in `region` (insert_before gives it a producer).
  ir::ValueId add_value(std::string name, rt::DType dtype, std::vector<int64_t> dims,
                        ir::RegionId region);
  // Adds a node that runs right before node `at`, in at's region, and makes it the producer of
  // its outputs. The new node counts as touched: no match of this sweep looks at it.
  ir::NodeId insert_before(ir::NodeId at, std::string name, std::string op_type, std::string domain,
                           int opset, std::vector<ir::ValueId> inputs,
                           std::vector<ir::ValueId> outputs, std::vector<rt::Attribute> attrs = {});
  // Marks n as touched without changing it (an edit elsewhere made its counts stale).
  void touch(ir::NodeId n) { touched_[n] = true; }
  // Records an edit that touched no node (a value turned into a constant).
  void note_change() { changed_ = true; }

  // Removes erased nodes (and anything the edits left dead); true when anything changed.
  bool finish();

 private:
  ir::Graph& g_;
  std::vector<int> uses_;
  std::vector<ir::NodeId> user_;  // the last node seen reading each value
  std::vector<bool> is_output_;
  std::vector<bool> touched_;
  bool changed_ = false;
};

// --- attribute lookups on IR nodes --------------------------------------------------------
const rt::Attribute* find_attr(const ir::Node& n, std::string_view name);
int64_t attr_int(const ir::Node& n, std::string_view name, int64_t def);
float attr_float(const ir::Node& n, std::string_view name, float def);
std::string attr_string(const ir::Node& n, std::string_view name, std::string_view def);
// The ints attribute `name`, or `def` when absent.
std::vector<int64_t> attr_ints(const ir::Node& n, std::string_view name,
                               std::vector<int64_t> def = {});
// Appends node n's attributes named in `names` to *out, each renamed prefix + name (a fused
// node carrying a second operator's attributes: expand_activation, pool_strides, ...).
void append_prefixed_attrs(const ir::Node& n, std::string_view prefix,
                           std::initializer_list<std::string_view> names,
                           std::vector<rt::Attribute>* out);
// Whether every element of v equals x (true for an empty v): strides, dilations, pads.
bool all_equal(const std::vector<int64_t>& v, int64_t x);
// Whether v is a float32 tensor of static 4-D shape (what the NHWC fusions take).
bool static_f32_4d(const ir::Value& v);
rt::Attribute make_attr_string(std::string name, std::string v);
rt::Attribute make_attr_floats(std::string name, std::vector<float> v);
rt::Attribute make_attr_float(std::string name, float v);
rt::Attribute make_attr_int(std::string name, int64_t v);
rt::Attribute make_attr_ints(std::string name, std::vector<int64_t> v);

// The number of trailing axes of a rank-`rank` input that keepdims Reduce* node `reduce`
// reduces (axes as an attribute, or from opset 18 as a constant input); 0 when it keeps no
// dims, reduces nothing or reduces other than the last axes.
int reduced_trailing_axes(const Rewriter& rw, ir::NodeId reduce, int64_t rank);

// Whether a constant of type t holding `a` stands for `b` (sqrt(2), 1/sqrt(2), 0.5, ...):
// |a - b| <= tol * |b| with tol a little above t's rounding error (float16 1e-3, bfloat16 8e-3,
// float 1e-6, double 1e-12), so an exporter's rounding matches and a different constant not.
bool close_to(double a, double b, rt::DType t);

}  // namespace parallax::passes
