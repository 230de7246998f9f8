#include "passes/canonicalize_rewriter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "passes/eliminate_dead_code.h"

namespace parallax::passes {
namespace {

template <typename T>
void read_as_doubles(const std::vector<uint8_t>& bytes, std::vector<double>* out) {
  const size_t n = bytes.size() / sizeof(T);
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
    (*out)[i] = static_cast<double>(static_cast<rt::compute_t<T>>(v));
  }
}

template <typename T>
std::vector<uint8_t> write_from_doubles(const std::vector<double>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  for (size_t i = 0; i < values.size(); ++i) {
    const T v = static_cast<T>(static_cast<rt::compute_t<T>>(values[i]));
    std::memcpy(bytes.data() + i * sizeof(T), &v, sizeof(T));
  }
  return bytes;
}

}  // namespace

Rewriter::Rewriter(ir::Graph& g)
    : g_(g),
      uses_(g.values.size(), 0),
      user_(g.values.size(), -1),
      is_output_(g.values.size(), false),
      touched_(g.nodes.size(), false) {
  for (ir::NodeId n = 0; n < node_count(); ++n) {
    for (ir::ValueId v : g.nodes[n].inputs) {
      if (v < 0) continue;
      ++uses_[v];
      user_[v] = n;
    }
  }
  for (const ir::Region& r : g.regions) {
    for (ir::ValueId v : r.outputs) {
      ++uses_[v];
      is_output_[v] = true;
    }
  }
}

bool Rewriter::is(ir::NodeId n, std::string_view op_type, std::string_view domain) const {
  if (n < 0 || touched_[n]) return false;
  const ir::Node& node = g_.nodes[n];
  const bool onnx = node.domain.empty() || node.domain == "ai.onnx";
  return node.op_type == op_type && (domain.empty() ? onnx : node.domain == domain);
}

ir::NodeId Rewriter::only_user(ir::ValueId v) const {
  if (v < 0 || uses_[v] != 1 || is_output_[v]) return -1;
  const ir::NodeId n = user_[v];
  return touched_[n] ? -1 : n;
}

ir::NodeId Rewriter::single_producer(ir::ValueId v, std::string_view op_type, ir::NodeId consumer,
                                     std::string_view domain) const {
  if (v < 0 || only_user(v) != consumer) return -1;
  const ir::NodeId p = g_.values[v].producer;
  if (!is(p, op_type, domain)) return -1;
  const ir::Node& pn = g_.nodes[p];
  if (pn.outputs.empty() || pn.outputs[0] != v || pn.region != g_.nodes[consumer].region) return -1;
  return p;
}

bool Rewriter::constant_values(ir::ValueId v, std::vector<double>* out) const {
  if (!is_constant(v)) return false;
  const ir::Value& val = g_.values[v];
  const std::vector<uint8_t>& b = val.data;
  switch (val.dtype) {
    case rt::DType::kFloat32:
      read_as_doubles<float>(b, out);
      break;
    case rt::DType::kFloat64:
      read_as_doubles<double>(b, out);
      break;
    case rt::DType::kFloat16:
      read_as_doubles<rt::float16>(b, out);
      break;
    case rt::DType::kBFloat16:
      read_as_doubles<rt::bfloat16>(b, out);
      break;
    case rt::DType::kInt8:
      read_as_doubles<int8_t>(b, out);
      break;
    case rt::DType::kInt16:
      read_as_doubles<int16_t>(b, out);
      break;
    case rt::DType::kInt32:
      read_as_doubles<int32_t>(b, out);
      break;
    case rt::DType::kInt64:
      read_as_doubles<int64_t>(b, out);
      break;
    case rt::DType::kUInt8:
      read_as_doubles<uint8_t>(b, out);
      break;
    case rt::DType::kUInt16:
      read_as_doubles<uint16_t>(b, out);
      break;
    case rt::DType::kUInt32:
      read_as_doubles<uint32_t>(b, out);
      break;
    case rt::DType::kUInt64:
      read_as_doubles<uint64_t>(b, out);
      break;
    case rt::DType::kBool:
      read_as_doubles<uint8_t>(b, out);
      break;
    default:
      return false;
  }
  return static_cast<int64_t>(out->size()) == ir::static_numel(val);
}

bool Rewriter::scalar_value(ir::ValueId v, double* out) const {
  std::vector<double> vals;
  if (!constant_values(v, &vals) || vals.size() != 1) return false;
  *out = vals[0];
  return true;
}

ir::ValueId Rewriter::add_constant(std::string name, rt::DType dtype, std::vector<int64_t> dims,
                                   const std::vector<double>& values, ir::RegionId region) {
  std::vector<uint8_t> bytes;
  switch (dtype) {
    case rt::DType::kFloat32:
      bytes = write_from_doubles<float>(values);
      break;
    case rt::DType::kFloat64:
      bytes = write_from_doubles<double>(values);
      break;
    case rt::DType::kFloat16:
      bytes = write_from_doubles<rt::float16>(values);
      break;
    case rt::DType::kBFloat16:
      bytes = write_from_doubles<rt::bfloat16>(values);
      break;
    case rt::DType::kInt32:
      bytes = write_from_doubles<int32_t>(values);
      break;
    case rt::DType::kInt64:
      bytes = write_from_doubles<int64_t>(values);
      break;
    default:
      break;  // callers only build float and index constants
  }
  const ir::ValueId id =
      g_.add_constant(std::move(name), dtype, std::move(dims), std::move(bytes), region);
  // Keep the per-value tables in step with the value table.
  uses_.push_back(0);
  user_.push_back(-1);
  is_output_.push_back(false);
  changed_ = true;
  return id;
}

void Rewriter::replace(ir::NodeId n, std::string name, std::string op_type, std::string domain,
                       int opset, std::vector<ir::ValueId> inputs,
                       std::vector<rt::Attribute> attrs) {
  ir::Node& node = g_.nodes[n];
  for (size_t k = 1; k < node.outputs.size(); ++k) {
    const ir::ValueId v = node.outputs[k];
    if (v >= 0 && g_.values[v].producer == n) g_.values[v].producer = -1;
  }
  node.outputs.resize(1);
  node.name = std::move(name);
  node.op_type = std::move(op_type);
  node.domain = std::move(domain);
  node.opset = opset;
  node.inputs = std::move(inputs);
  node.attrs = std::move(attrs);
  if (node.domain == kParallaxDomain) g_.opsets.emplace(kParallaxDomain, kParallaxOpset);
  touched_[n] = true;
  changed_ = true;
}

void Rewriter::erase(ir::NodeId n) {
  ir::Node& node = g_.nodes[n];
  for (ir::ValueId v : node.outputs) {
    if (v >= 0 && g_.values[v].producer == n) g_.values[v].producer = -1;
  }
  node.outputs.clear();
  node.inputs.clear();
  touched_[n] = true;
  changed_ = true;
}

ir::ValueId Rewriter::add_value(std::string name, rt::DType dtype, std::vector<int64_t> dims,
                                ir::RegionId region) {
  const ir::ValueId id = g_.add_value(std::move(name), dtype, std::move(dims), true, region);
  uses_.push_back(0);
  user_.push_back(-1);
  is_output_.push_back(false);
  return id;
}

ir::NodeId Rewriter::insert_before(ir::NodeId at, std::string name, std::string op_type,
                                   std::string domain, int opset, std::vector<ir::ValueId> inputs,
                                   std::vector<ir::ValueId> outputs,
                                   std::vector<rt::Attribute> attrs) {
  const ir::RegionId r = g_.nodes[at].region;
  const ir::NodeId n = g_.add_node(r, std::move(name), std::move(op_type), std::move(domain), opset,
                                   std::move(inputs), std::move(outputs), std::move(attrs));
  // add_node appended n to the region; move it in front of `at`.
  std::vector<ir::NodeId>& order = g_.regions[r].nodes;
  order.pop_back();
  order.insert(std::find(order.begin(), order.end(), at), n);
  for (ir::ValueId v : g_.nodes[n].inputs) {
    if (v < 0) continue;
    ++uses_[v];
    user_[v] = n;
  }
  if (g_.nodes[n].domain == kParallaxDomain) g_.opsets.emplace(kParallaxDomain, kParallaxOpset);
  touched_.push_back(true);
  changed_ = true;
  return n;
}

void Rewriter::replace_uses(ir::ValueId from, ir::ValueId to) {
  for (ir::Node& node : g_.nodes) {
    for (ir::ValueId& v : node.inputs) {
      if (v == from) v = to;
    }
  }
  changed_ = true;
}

bool Rewriter::finish() {
  // eliminate_dead_code cannot fail on a graph whose edits kept every region well-formed.
  if (changed_) (void)eliminate_dead_code(g_);
  return changed_;
}

const rt::Attribute* find_attr(const ir::Node& n, std::string_view name) {
  for (const rt::Attribute& a : n.attrs)
    if (a.name == name) return &a;
  return nullptr;
}

int64_t attr_int(const ir::Node& n, std::string_view name, int64_t def) {
  const rt::Attribute* a = find_attr(n, name);
  return a ? a->i : def;
}

float attr_float(const ir::Node& n, std::string_view name, float def) {
  const rt::Attribute* a = find_attr(n, name);
  return a ? a->f : def;
}

std::string attr_string(const ir::Node& n, std::string_view name, std::string_view def) {
  const rt::Attribute* a = find_attr(n, name);
  return a ? a->s : std::string(def);
}

std::vector<int64_t> attr_ints(const ir::Node& n, std::string_view name, std::vector<int64_t> def) {
  const rt::Attribute* a = find_attr(n, name);
  return a ? a->ints : def;
}

void append_prefixed_attrs(const ir::Node& n, std::string_view prefix,
                           std::initializer_list<std::string_view> names,
                           std::vector<rt::Attribute>* out) {
  for (const rt::Attribute& a : n.attrs) {
    for (std::string_view name : names) {
      if (a.name != name) continue;
      rt::Attribute renamed = a;
      renamed.name = std::string(prefix) + a.name;
      out->push_back(std::move(renamed));
    }
  }
}

bool all_equal(const std::vector<int64_t>& v, int64_t x) {
  for (int64_t e : v)
    if (e != x) return false;
  return true;
}

bool static_f32_4d(const ir::Value& v) {
  return v.dtype == rt::DType::kFloat32 && v.rank_known && v.dims.size() == 4 &&
         ir::static_numel(v) >= 0;
}

rt::Attribute make_attr_string(std::string name, std::string v) {
  rt::Attribute a;
  a.name = std::move(name);
  a.kind = rt::Attribute::Kind::kString;
  a.s = std::move(v);
  return a;
}

rt::Attribute make_attr_floats(std::string name, std::vector<float> v) {
  rt::Attribute a;
  a.name = std::move(name);
  a.kind = rt::Attribute::Kind::kFloats;
  a.floats = std::move(v);
  return a;
}

rt::Attribute make_attr_float(std::string name, float v) {
  rt::Attribute a;
  a.name = std::move(name);
  a.kind = rt::Attribute::Kind::kFloat;
  a.f = v;
  return a;
}

rt::Attribute make_attr_int(std::string name, int64_t v) {
  rt::Attribute a;
  a.name = std::move(name);
  a.kind = rt::Attribute::Kind::kInt;
  a.i = v;
  return a;
}

int reduced_trailing_axes(const Rewriter& rw, ir::NodeId reduce, int64_t rank) {
  const ir::Node& n = rw.node(reduce);
  if (attr_int(n, "keepdims", 1) != 1 || n.inputs.empty() || n.inputs.size() > 2) return 0;
  std::vector<int64_t> axes = attr_ints(n, "axes");
  if (n.inputs.size() == 2) {  // opset 18 form: axes as a constant input
    std::vector<double> a;
    if (!rw.constant_values(n.inputs[1], &a)) return 0;
    axes.assign(a.begin(), a.end());
  }
  if (axes.empty()) return 0;
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) return 0;
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] != rank - static_cast<int64_t>(axes.size() - i)) return 0;
  }
  return static_cast<int>(axes.size());
}

rt::Attribute make_attr_ints(std::string name, std::vector<int64_t> v) {
  rt::Attribute a;
  a.name = std::move(name);
  a.kind = rt::Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}

bool close_to(double a, double b, rt::DType t) {
  double tol = 1e-6;
  if (t == rt::DType::kFloat16) tol = 1e-3;
  if (t == rt::DType::kBFloat16) tol = 8e-3;
  if (t == rt::DType::kFloat64) tol = 1e-12;
  return std::fabs(a - b) <= tol * std::fabs(b);
}

}  // namespace parallax::passes
