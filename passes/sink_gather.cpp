#include "passes/sink_gather.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

bool is_static(const ir::Value& v) { return v.rank_known && ir::static_numel(v) >= 0; }

int64_t product(const std::vector<int64_t>& d, size_t end) {
  int64_t p = 1;
  for (size_t i = 0; i < end; ++i) p *= d[i];
  return p;
}

bool one_of(const std::string& op, std::initializer_list<const char*> ops) {
  for (const char* o : ops)
    if (op == o) return true;
  return false;
}

// Axis `a` of a broadcasting elementwise node's output of rank `rank` and size `size` there, on
// an operand of shape `dims`: the operand's axis, or -1 when it broadcasts along it. False when
// it neither matches nor broadcasts.
bool operand_axis(const std::vector<int64_t>& dims, size_t rank, int a, int64_t size, int* axis) {
  const int aligned = a - static_cast<int>(rank - dims.size());
  if (aligned < 0 || dims[aligned] == 1) {
    *axis = -1;
    return true;
  }
  *axis = aligned;
  return dims[aligned] == size;
}

// For node n whose output is gathered along axis `a`: the axis along which each input must be
// gathered (-1: read as it is). False when n does not treat rows along `a` independently.
bool input_axes(const Rewriter& rw, const ir::Node& n, int a, std::vector<int>* axes) {
  const ir::Value& out = rw.value(n.outputs[0]);
  const size_t rank = out.dims.size();
  const int64_t size = out.dims[a];
  axes->assign(n.inputs.size(), -1);
  auto static_input = [&](size_t i) {
    return n.inputs[i] >= 0 && is_static(rw.value(n.inputs[i]));
  };
  for (size_t i = 0; i < n.inputs.size(); ++i)
    if (n.inputs[i] >= 0 && !static_input(i)) return false;
  const bool onnx = n.domain.empty() || n.domain == "ai.onnx";
  const std::string& op = n.op_type;
  if (onnx &&
      one_of(op,
             {"Relu",     "Sigmoid",     "Tanh",      "Erf",       "Exp",   "Log",  "Neg",   "Abs",
              "Sqrt",     "Reciprocal",  "Identity",  "Cast",      "Floor", "Ceil", "Round", "Sign",
              "Softplus", "HardSigmoid", "HardSwish", "LeakyRelu", "Elu",   "Not",  "Clip"})) {
    (*axes)[0] = a;  // Clip's bounds are scalars
    return true;
  }
  if (!onnx && op == "Gelu") {
    (*axes)[0] = a;
    return true;
  }
  if (onnx && one_of(op, {"Add", "Sub", "Mul", "Div", "Pow", "Where", "Equal", "Less", "Greater",
                          "And", "Or"})) {
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (!operand_axis(rw.value(n.inputs[i]).dims, rank, a, size, &(*axes)[i])) return false;
    }
    return true;
  }
  if (onnx && op == "Softmax") {
    if (n.opset < 13) return false;
    int64_t s = attr_int(n, "axis", -1);
    if (s < 0) s += static_cast<int64_t>(rank);
    (*axes)[0] = a;
    return s != a;
  }
  if (onnx && op == "LayerNormalization") {
    int64_t first = attr_int(n, "axis", -1);
    if (first < 0) first += static_cast<int64_t>(rank);
    (*axes)[0] = a;
    return a < first;  // scale and bias cover the normalised axes only
  }
  if ((onnx && op == "MatMul") || (!onnx && op == "FusedMatMul")) {
    // B without batch axes, A gathered along any axis but the one it is reduced over.
    if (n.inputs.size() < 2 || rw.value(n.inputs[1]).dims.size() != 2 ||
        rw.value(n.inputs[0]).dims.size() != rank || a + 1 >= static_cast<int>(rank)) {
      return false;
    }
    (*axes)[0] = a;
    return true;
  }
  if ((onnx && op == "Gemm") || (!onnx && op == "FusedGemm")) {
    if (a != 0 || attr_int(n, "transA", 0) != 0 || rank != 2) return false;
    if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
      const std::vector<int64_t>& c = rw.value(n.inputs[2]).dims;
      if (c.size() == 2 && c[0] != 1) return false;  // a bias per row
    }
    (*axes)[0] = 0;
    return true;
  }
  if (onnx && op == "Transpose") {
    std::vector<int64_t> perm = attr_ints(n, "perm");
    if (perm.empty()) {
      for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
    }
    if (perm.size() != rank) return false;
    (*axes)[0] = static_cast<int>(perm[a]);
    return true;
  }
  if (onnx && (op == "Reshape" || op == "Flatten")) {
    // The axis keeps its size and everything in front of it its element count.
    const std::vector<int64_t>& in = rw.value(n.inputs[0]).dims;
    for (size_t b = 0; b < in.size(); ++b) {
      if (in[b] == size && product(in, b) == product(out.dims, a)) {
        (*axes)[0] = static_cast<int>(b);
        return true;
      }
    }
    return false;
  }
  if (onnx && op == "Slice") {
    if (n.opset < 10 || n.inputs.size() < 3) return false;
    std::vector<double> sliced;
    if (n.inputs.size() > 3 && n.inputs[3] >= 0) {
      if (!rw.constant_values(n.inputs[3], &sliced)) return false;
    } else {
      for (int64_t i = 0; i < rw.value(n.inputs[1]).dims[0]; ++i) sliced.push_back(double(i));
    }
    for (double s : sliced) {
      const int64_t axis =
          s < 0 ? static_cast<int64_t>(s) + static_cast<int64_t>(rank) : static_cast<int64_t>(s);
      if (axis == a) return false;
    }
    (*axes)[0] = a;
    return true;
  }
  if (!onnx && op == "FusedAttention") {
    // The query rows: Q's row axis and the rows of the score operands that vary by row; the
    // scores are [..., (H,) M, N], a head axis added when the heads sit side by side.
    if (a + 2 != static_cast<int>(rank) || n.inputs.size() < 3 ||
        rw.value(n.inputs[0]).dims.size() != rank) {
      return false;
    }
    (*axes)[0] = a;
    const size_t scores = rank + (attr_int(n, "heads", 0) > 0 ? 1 : 0);
    for (size_t i = 3; i < n.inputs.size(); ++i) {
      const std::vector<int64_t>& d = rw.value(n.inputs[i]).dims;
      if (!operand_axis(d, scores, static_cast<int>(scores) - 2, size, &(*axes)[i])) return false;
    }
    return true;
  }
  return false;
}

class Sinker {
 public:
  Sinker(ir::Graph& g) : rw_(g), readers_(g.values.size()) {
    const auto it = g.opsets.find("");
    opset_ = it == g.opsets.end() ? 13 : it->second;
    for (ir::NodeId n = 0; n < rw_.node_count(); ++n)
      for (ir::ValueId v : rw_.node(n).inputs)
        if (v >= 0) readers_[v].insert(n);
  }

  // Sinks the first Gather of the main region that can go up; true when one did.
  bool run() {
    const std::vector<ir::NodeId> order = rw_.graph().regions[0].nodes;
    for (size_t pos = 0; pos < order.size(); ++pos) {
      if (rw_.is(order[pos], "Gather") && sink(order, pos)) {
        rw_.finish();
        return true;
      }
    }
    return false;
  }

 private:
  bool sink(const std::vector<ir::NodeId>& order, size_t pos) {
    gather_ = order[pos];
    need_.clear();
    axes_.clear();
    rebuilt_.clear();
    const ir::Node& gn = rw_.node(gather_);
    if (gn.inputs.size() != 2 || gn.outputs.size() != 1) return false;
    const ir::ValueId x = gn.inputs[0];
    idx_ = gn.inputs[1];
    const ir::Value& xv = rw_.value(x);
    const ir::Value& iv = rw_.value(idx_);
    if (!is_static(xv) || !iv.rank_known || iv.dims.size() != 1 || iv.dims[0] < 1) return false;
    int64_t axis = attr_int(gn, "axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(xv.dims.size());
    if (axis < 0 || axis >= static_cast<int64_t>(xv.dims.size())) return false;
    rows_ = iv.dims[0];
    if (rows_ >= xv.dims[axis]) return false;
    // Backwards from the Gather: which producers run on the gathered rows.
    need_[x] = static_cast<int>(axis);
    for (size_t i = pos; i-- > 0;) {
      const ir::NodeId n = order[i];
      const ir::Node& node = rw_.node(n);
      if (node.outputs.size() != 1 || rw_.touched(n)) continue;
      const ir::ValueId v = node.outputs[0];
      const auto it = need_.find(v);
      if (it == need_.end() || rw_.is_region_output(v) || !is_static(rw_.value(v))) continue;
      bool private_rows = true;
      for (ir::NodeId r : readers_[v])
        private_rows = private_rows && (r == gather_ || axes_.count(r));
      std::vector<int> axes;
      if (!private_rows || !input_axes(rw_, node, it->second, &axes)) continue;
      bool agree = true;
      for (size_t k = 0; k < axes.size(); ++k) {
        if (axes[k] < 0) continue;
        const auto have = need_.find(node.inputs[k]);
        agree = agree && (have == need_.end() || have->second == axes[k]);
      }
      if (!agree) continue;
      for (size_t k = 0; k < axes.size(); ++k)
        if (axes[k] >= 0) need_[node.inputs[k]] = axes[k];
      axes_[n] = std::move(axes);
    }
    const ir::NodeId last = rw_.value(x).producer;
    if (last < 0 || !axes_.count(last)) return false;
    // Forwards: each kept node again, on gathered inputs, just before the Gather; the producer
    // of x takes the Gather's place and output.
    for (size_t i = 0; i < pos; ++i) {
      const ir::NodeId n = order[i];
      if (axes_.count(n)) rebuild(n, n == last);
    }
    return true;
  }

  // v gathered along `axis`: its rebuilt producer's output, or a new Gather of v.
  ir::ValueId gathered(ir::ValueId v, int axis) {
    if (const auto it = rebuilt_.find(v); it != rebuilt_.end()) return it->second;
    // Copies: adding a value may move the value table.
    const std::string name = rw_.value(v).name + "/rows";
    const rt::DType dtype = rw_.value(v).dtype;
    std::vector<int64_t> dims = rw_.value(v).dims;
    dims[axis] = rows_;
    const ir::ValueId out = rw_.add_value(name, dtype, dims, rw_.node(gather_).region);
    rw_.insert_before(gather_, name, "Gather", "", opset_, {v, idx_}, {out},
                      {make_attr_int("axis", axis)});
    rebuilt_[v] = out;
    return out;
  }

  void rebuild(ir::NodeId n, bool last) {
    const ir::Node node = rw_.node(n);  // a copy: inserting nodes moves the table
    const std::vector<int>& axes = axes_[n];
    std::vector<ir::ValueId> inputs = node.inputs;
    for (size_t k = 0; k < inputs.size(); ++k)
      if (axes[k] >= 0) inputs[k] = gathered(inputs[k], axes[k]);
    const ir::ValueId v = node.outputs[0];
    const int axis = need_[v];
    std::vector<int64_t> dims = rw_.value(v).dims;
    dims[axis] = rows_;
    std::string op = node.op_type;
    std::vector<rt::Attribute> attrs = node.attrs;
    const ir::RegionId r = rw_.node(gather_).region;
    if ((node.domain.empty() || node.domain == "ai.onnx") && (op == "Reshape" || op == "Flatten")) {
      const ir::ValueId shape =
          rw_.add_constant(node.name + "/rows_shape", rt::DType::kInt64,
                           {static_cast<int64_t>(dims.size())}, {dims.begin(), dims.end()}, r);
      inputs = {inputs[0], shape};
      op = "Reshape";
      attrs.clear();
    }
    const int opset = op == node.op_type ? node.opset : opset_;
    if (last) {
      rw_.replace(gather_, node.name + "/rows", op, node.domain, opset, std::move(inputs),
                  std::move(attrs));
      return;
    }
    const ir::ValueId out = rw_.add_value(rw_.value(v).name + "/rows", rw_.value(v).dtype, dims, r);
    rw_.insert_before(gather_, node.name + "/rows", op, node.domain, opset, std::move(inputs),
                      {out}, std::move(attrs));
    rebuilt_[v] = out;
  }

  Rewriter rw_;
  int opset_ = 13;
  std::vector<std::set<ir::NodeId>> readers_;
  ir::NodeId gather_ = -1;
  ir::ValueId idx_ = -1;
  int64_t rows_ = 0;
  std::map<ir::ValueId, int> need_;              // values wanted on the gathered rows
  std::map<ir::NodeId, std::vector<int>> axes_;  // nodes rebuilt, with their inputs' axes
  std::map<ir::ValueId, ir::ValueId> rebuilt_;   // value -> its gathered rows
};

}  // namespace

bool sink_gather(ir::Graph& g) {
  bool changed = false;
  // One Gather per sweep (the reader lists are taken before it); a few gathers at most.
  for (int sweep = 0; sweep < 8 && Sinker(g).run(); ++sweep) changed = true;
  return changed;
}

}  // namespace parallax::passes
