#include "passes/fuse_batchnorm.h"

#include <cmath>
#include <string>
#include <vector>

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

// The same rule as the BatchNormalization kernel (runtime/kernels/nn/BatchNormalization.cpp).
bool inference_mode(const Rewriter& rw, const ir::Node& bn) {
  const bool training = bn.opset >= 14 ? attr_int(bn, "training_mode", 0) != 0
                                       : bn.outputs.size() > 1 && attr_int(bn, "is_test", 0) == 0;
  if (training) return false;
  for (size_t k = 1; k < bn.outputs.size(); ++k) {
    if (rw.uses(bn.outputs[k]) > 0) return false;
  }
  return true;
}

bool float_constant(const Rewriter& rw, ir::ValueId v, std::vector<double>* values) {
  return v >= 0 && rt::dtype_is_float(rw.value(v).dtype) && rw.constant_values(v, values);
}

// The per-output-channel factor k and shift (added to k * b) of the BN, or false.
bool bn_affine(const Rewriter& rw, const ir::Node& bn, int64_t channels, std::vector<double>* k,
               std::vector<double>* shift) {
  if (bn.inputs.size() < 5) return false;
  std::vector<double> p[4];  // scale, B, mean, var
  for (int i = 0; i < 4; ++i) {
    if (!float_constant(rw, bn.inputs[i + 1], &p[i])) return false;
    if (static_cast<int64_t>(p[i].size()) != channels) return false;
  }
  const double eps = attr_float(bn, "epsilon", 1e-5f);
  k->resize(channels);
  shift->resize(channels);
  for (int64_t c = 0; c < channels; ++c) {
    (*k)[c] = p[0][c] / std::sqrt(p[3][c] + eps);
    (*shift)[c] = p[1][c] - p[2][c] * (*k)[c];
  }
  return true;
}

bool fuse_one(Rewriter& rw, ir::NodeId bn_id) {
  const ir::Node& bn = rw.node(bn_id);
  if (bn.inputs.empty() || !inference_mode(rw, bn)) return false;
  ir::NodeId conv = rw.single_producer(bn.inputs[0], "Conv", bn_id);
  const bool transpose = conv < 0;
  if (transpose) conv = rw.single_producer(bn.inputs[0], "ConvTranspose", bn_id);
  if (conv < 0) return false;
  const ir::Node& cn = rw.node(conv);
  if (cn.inputs.size() < 2) return false;
  const ir::ValueId w = cn.inputs[1];
  const ir::ValueId b = cn.inputs.size() > 2 ? cn.inputs[2] : -1;
  std::vector<double> wv, bv;
  if (!float_constant(rw, w, &wv) || (b >= 0 && !float_constant(rw, b, &bv))) return false;
  const std::vector<int64_t> wd = rw.value(w).dims;  // a copy: add_constant grows values
  if (wd.size() < 3) return false;
  // Conv W: [M, C/group, k...]. ConvTranspose W: [C, M/group, k...], output channel
  // (c / (C/group)) * (M/group) + j for W[c, j].
  const int64_t group = attr_int(cn, "group", 1);
  if (group <= 0 || wd[0] % group != 0) return false;
  const int64_t out_channels = transpose ? wd[1] * group : wd[0];
  int64_t taps = 1;
  for (size_t d = 2; d < wd.size(); ++d) taps *= wd[d];
  if (b >= 0 && static_cast<int64_t>(bv.size()) != out_channels) return false;
  std::vector<double> k, shift;
  if (!bn_affine(rw, bn, out_channels, &k, &shift)) return false;

  const int64_t rows = wd[0], per_group_rows = wd[0] / group, cols = wd[1];
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) {
      const int64_t m = transpose ? (r / per_group_rows) * cols + j : r;
      double* p = wv.data() + (r * cols + j) * taps;
      for (int64_t t = 0; t < taps; ++t) p[t] *= k[m];
    }
  }
  std::vector<double> bias(out_channels);
  for (int64_t m = 0; m < out_channels; ++m) bias[m] = (b >= 0 ? bv[m] : 0.0) * k[m] + shift[m];

  const ir::RegionId region = cn.region;
  const rt::DType wt = rw.value(w).dtype;
  const rt::DType bt = b >= 0 ? rw.value(b).dtype : wt;
  const ir::ValueId nw = rw.add_constant(cn.name + "/bn_weight", wt, wd, wv, region);
  const ir::ValueId nb = rw.add_constant(cn.name + "/bn_bias", bt, {out_channels}, bias, region);
  rw.replace(bn_id, cn.name, cn.op_type, cn.domain, cn.opset, {cn.inputs[0], nw, nb}, cn.attrs);
  rw.erase(conv);
  return true;
}

}  // namespace

bool fuse_batchnorm(ir::Graph& g) {
  Rewriter rw(g);
  for (ir::NodeId n = 0; n < rw.node_count(); ++n) {
    if (rw.is(n, "BatchNormalization")) fuse_one(rw, n);
  }
  return rw.finish();
}

}  // namespace parallax::passes
