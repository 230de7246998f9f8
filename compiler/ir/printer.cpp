#include "compiler/ir/printer.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace parallax::ir {
namespace {

std::string fmt_float(float f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(f));
  return buf;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

template <typename T, typename F> std::string list(const std::vector<T>& v, F&& f) {
  std::string r = "[";
  for (size_t i = 0; i < v.size(); ++i) r += (i ? ", " : "") + f(v[i]);
  return r + "]";
}

class Printer {
 public:
  explicit Printer(const Graph& g) : g_(g) {}
  std::string run();

 private:
  std::string ref(ValueId v) const { return v < 0 ? "none" : "%" + std::to_string(v); }
  std::string decl(ValueId v) const {
    return ref(v) + " " + quoted(g_.values[v].name) + ": " + type_string(g_.values[v]);
  }
  std::string attr(const rt::Attribute& a) const;
  void region(RegionId r, int indent);
  void node(NodeId n, int indent);

  const Graph& g_;
  std::ostringstream out_;
};

std::string Printer::attr(const rt::Attribute& a) const {
  using K = rt::Attribute::Kind;
  switch (a.kind) {
    case K::kFloat: return fmt_float(a.f);
    case K::kInt: return std::to_string(a.i);
    case K::kString: return quoted(a.s);
    case K::kTensor: return "tensor " + ref(a.tensor);
    case K::kGraph: return "region " + std::to_string(a.graph);
    case K::kFloats: return list(a.floats, fmt_float);
    case K::kInts: return list(a.ints, [](int64_t i) { return std::to_string(i); });
    case K::kStrings: return list(a.strings, quoted);
  }
  return "?";
}

void Printer::node(NodeId id, int indent) {
  const Node& n = g_.nodes[id];
  const std::string pad(static_cast<size_t>(indent), ' ');
  out_ << pad;
  for (size_t k = 0; k < n.outputs.size(); ++k) out_ << (k ? ", " : "") << (n.outputs[k] < 0 ? "none" : decl(n.outputs[k]));
  out_ << (n.outputs.empty() ? "" : " = ") << (n.domain.empty() ? "" : n.domain + ".") << n.op_type
       << "(";
  for (size_t k = 0; k < n.inputs.size(); ++k) out_ << (k ? ", " : "") << ref(n.inputs[k]);
  out_ << ") " << quoted(n.name);
  std::vector<const rt::Attribute*> attrs;
  for (const rt::Attribute& a : n.attrs) attrs.push_back(&a);
  std::sort(attrs.begin(), attrs.end(), [](auto* a, auto* b) { return a->name < b->name; });
  if (!attrs.empty()) {
    out_ << " {";
    for (size_t k = 0; k < attrs.size(); ++k) out_ << (k ? ", " : "") << attrs[k]->name << ": " << attr(*attrs[k]);
    out_ << "}";
  }
  out_ << "\n";
  for (const rt::Attribute* a : attrs) {
    if (a->kind == rt::Attribute::Kind::kGraph && a->graph >= 0) region(a->graph, indent + 2);
  }
}

void Printer::region(RegionId r, int indent) {
  const Region& reg = g_.regions[r];
  const std::string pad(static_cast<size_t>(indent), ' ');
  out_ << pad << "region " << r << " " << quoted(reg.name) << " (";
  for (size_t k = 0; k < reg.inputs.size(); ++k) out_ << (k ? ", " : "") << decl(reg.inputs[k]);
  out_ << ") {\n";
  for (ValueId v = 0; v < static_cast<ValueId>(g_.values.size()); ++v) {
    const Value& val = g_.values[v];
    if (val.is_constant && val.region == r) out_ << pad << "  const " << decl(v) << " (" << val.data.size() << " bytes)\n";
  }
  for (NodeId n : reg.nodes) node(n, indent + 2);
  out_ << pad << "  return";
  for (size_t k = 0; k < reg.outputs.size(); ++k) out_ << (k ? ", " : " ") << ref(reg.outputs[k]);
  out_ << "\n" << pad << "}\n";
}

std::string Printer::run() {
  out_ << "graph " << quoted(g_.name) << " opsets [";
  bool first = true;
  for (const auto& [domain, version] : g_.opsets) {
    out_ << (first ? "" : ", ") << (domain.empty() ? "ai.onnx" : domain) << "=" << version;
    first = false;
  }
  out_ << "]\n";
  if (!g_.regions.empty()) region(0, 0);
  return out_.str();
}

}  // namespace

std::string type_string(const Value& v) {
  std::string s = rt::dtype_name(v.dtype);
  if (!v.rank_known) return s + "[*]";
  s += "[";
  for (size_t i = 0; i < v.dims.size(); ++i) {
    s += i ? ", " : "";
    if (v.dims[i] >= 0) {
      s += std::to_string(v.dims[i]);
    } else if (i < v.dim_params.size() && !v.dim_params[i].empty()) {
      s += v.dim_params[i];
    } else {
      s += "?";
    }
  }
  return s + "]";
}

std::string print(const Graph& g) { return Printer(g).run(); }

}  // namespace parallax::ir
