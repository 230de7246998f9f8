#include "passes/fuse_bias.h"

#include <string>
#include <vector>

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

// The constant operand c of an Add whose other operand is the product `y`, as values, with
// its dims; false unless c is a constant of y's float type.
bool bias_operand(const Rewriter& rw, ir::ValueId y, ir::ValueId c, std::vector<double>* values,
                  std::vector<int64_t>* dims) {
  const ir::Value& yv = rw.value(y);
  if (!rt::dtype_is_float(yv.dtype) || !yv.rank_known || !rw.is_constant(c) ||
      rw.value(c).dtype != yv.dtype || !rw.constant_values(c, values)) {
    return false;
  }
  *dims = rw.value(c).dims;
  return dims->size() <= yv.dims.size();  // c must not add dimensions to the result
}

// Whether c (right-aligned to a result of rank `rank`) is 1 everywhere except possibly along
// `axis`, where it is 1 or `extent`.
bool varies_only_along(const std::vector<int64_t>& c, size_t rank, size_t axis, int64_t extent) {
  for (size_t i = 0; i < c.size(); ++i) {
    const size_t d = rank - c.size() + i;
    if (c[i] == 1) continue;
    if (d != axis || c[i] != extent) return false;
  }
  return true;
}

// c broadcast to `extent` values along its one varying axis.
std::vector<double> per_index(const std::vector<double>& c, int64_t extent) {
  if (static_cast<int64_t>(c.size()) == extent) return c;
  return std::vector<double>(extent, c[0]);
}

bool fuse_conv(Rewriter& rw, ir::NodeId add, ir::NodeId conv, ir::ValueId c) {
  const ir::Node& cn = rw.node(conv);
  std::vector<double> cv;
  std::vector<int64_t> cd;
  if (cn.inputs.size() < 2 || !bias_operand(rw, cn.outputs[0], c, &cv, &cd)) return false;
  const ir::Value& w = rw.value(cn.inputs[1]);
  const size_t rank = rw.value(cn.outputs[0]).dims.size();
  if (!w.rank_known || w.dims.empty() || w.dims[0] < 0 || rank < 3) return false;
  const int64_t m = w.dims[0];
  if (!varies_only_along(cd, rank, 1, m)) return false;
  std::vector<double> bias = per_index(cv, m);
  const ir::ValueId old = cn.inputs.size() > 2 ? cn.inputs[2] : -1;
  if (old >= 0) {
    std::vector<double> ov;
    if (rw.value(old).dtype != rw.value(c).dtype || !rw.constant_values(old, &ov) ||
        static_cast<int64_t>(ov.size()) != m) {
      return false;
    }
    for (int64_t i = 0; i < m; ++i) bias[i] += ov[i];
  }
  const ir::ValueId nb =
      rw.add_constant(cn.name + "/bias", rw.value(c).dtype, {m}, bias, cn.region);
  rw.replace(add, cn.name, cn.op_type, cn.domain, cn.opset, {cn.inputs[0], cn.inputs[1], nb},
             cn.attrs);
  rw.erase(conv);
  return true;
}

bool fuse_gemm(Rewriter& rw, ir::NodeId add, ir::NodeId gemm, ir::ValueId c) {
  const ir::Node& gn = rw.node(gemm);
  std::vector<double> cv;
  std::vector<int64_t> cd;
  if (gn.inputs.size() < 2 || !bias_operand(rw, gn.outputs[0], c, &cv, &cd)) return false;
  const std::vector<int64_t> out = rw.value(gn.outputs[0]).dims;
  if (out.size() != 2) return false;
  // The new C's shape: per dimension, 1 unless c or the old C varies there (then [M, N]'s).
  std::vector<int64_t> shape(2, 1);
  auto widen = [&](const std::vector<int64_t>& d) {
    for (size_t i = 0; i < d.size(); ++i) {
      const size_t k = 2 - d.size() + i;
      if (d[i] == 1) continue;
      if (d[i] != out[k]) return false;
      shape[k] = d[i];
    }
    return true;
  };
  if (!widen(cd)) return false;
  const ir::ValueId old = gn.inputs.size() > 2 ? gn.inputs[2] : -1;
  const double beta = attr_float(gn, "beta", 1.0f);
  std::vector<double> ov;
  std::vector<int64_t> od;
  if (old >= 0 && beta != 0.0) {
    if (rw.value(old).dtype != rw.value(c).dtype || !rw.constant_values(old, &ov)) return false;
    od = rw.value(old).dims;
    if (od.size() > 2 || !widen(od)) return false;
  }
  // Materialise beta * C + c over `shape` (both broadcast into it).
  auto at = [&](const std::vector<double>& v, const std::vector<int64_t>& d, int64_t i, int64_t j) {
    const int64_t rows = d.size() == 2 ? d[0] : 1, cols = d.empty() ? 1 : d.back();
    return v[(rows == 1 ? 0 : i) * cols + (cols == 1 ? 0 : j)];
  };
  std::vector<double> sum(shape[0] * shape[1]);
  for (int64_t i = 0; i < shape[0]; ++i) {
    for (int64_t j = 0; j < shape[1]; ++j) {
      double v = at(cv, cd, i, j);
      if (!ov.empty()) v += beta * at(ov, od, i, j);
      sum[i * shape[1] + j] = v;
    }
  }
  const ir::ValueId nc =
      rw.add_constant(gn.name + "/bias", rw.value(c).dtype, shape, sum, gn.region);
  std::vector<rt::Attribute> attrs;
  for (const rt::Attribute& a : gn.attrs) {
    if (a.name != "beta") attrs.push_back(a);
  }
  attrs.push_back(make_attr_float("beta", 1.0f));
  rw.replace(add, gn.name, gn.op_type, gn.domain, gn.opset, {gn.inputs[0], gn.inputs[1], nc},
             std::move(attrs));
  rw.erase(gemm);
  return true;
}

bool fuse_matmul(Rewriter& rw, ir::NodeId add, ir::NodeId mm, ir::ValueId c) {
  const ir::Node& mn = rw.node(mm);
  std::vector<double> cv;
  std::vector<int64_t> cd;
  if (mn.inputs.size() != 2 || !bias_operand(rw, mn.outputs[0], c, &cv, &cd)) return false;
  // With a 1-D B the result has no column axis (MatMul drops it).
  const ir::Value& b = rw.value(mn.inputs[1]);
  if (!b.rank_known || b.dims.size() < 2) return false;
  const std::vector<int64_t> out = rw.value(mn.outputs[0]).dims;
  if (out.empty() || out.back() < 0) return false;
  const int64_t n = out.back();
  if (!varies_only_along(cd, out.size(), out.size() - 1, n)) return false;
  const ir::ValueId nb =
      rw.add_constant(mn.name + "/bias", rw.value(c).dtype, {n}, per_index(cv, n), mn.region);
  rw.replace(add, mn.name, "FusedMatMul", kParallaxDomain, kParallaxOpset,
             {mn.inputs[0], mn.inputs[1], nb}, {});
  rw.erase(mm);
  return true;
}

}  // namespace

bool fuse_bias(ir::Graph& g) {
  Rewriter rw(g);
  for (ir::NodeId add = 0; add < rw.node_count(); ++add) {
    if (!rw.is(add, "Add") || rw.node(add).inputs.size() != 2) continue;
    for (int side = 0; side < 2; ++side) {
      const ir::ValueId y = rw.node(add).inputs[side];
      const ir::ValueId c = rw.node(add).inputs[1 - side];
      if (ir::NodeId p = rw.single_producer(y, "Conv", add); p >= 0 && fuse_conv(rw, add, p, c))
        break;
      if (ir::NodeId p = rw.single_producer(y, "Gemm", add); p >= 0 && fuse_gemm(rw, add, p, c))
        break;
      if (ir::NodeId p = rw.single_producer(y, "MatMul", add); p >= 0 && fuse_matmul(rw, add, p, c))
        break;
    }
  }
  return rw.finish();
}

}  // namespace parallax::passes
