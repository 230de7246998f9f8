#include "passes/fuse_gelu.h"

#include <cmath>
#include <vector>

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

class GeluMatcher {
 public:
  GeluMatcher(Rewriter& rw, ir::NodeId erf) : rw_(rw), erf_(erf) {}

  bool run() {
    const ir::Node& e = rw_.node(erf_);
    if (e.inputs.size() != 1 || !match_scale(e.inputs[0])) return false;
    const ir::NodeId add = next(e.outputs[0], "Add");
    if (add < 0 || !other_is(add, e.outputs[0], 1.0)) return false;
    const ir::ValueId a = rw_.node(add).outputs[0];
    const ir::NodeId m1 = next(a, "Mul");
    if (m1 < 0) return false;
    const ir::ValueId o = other(m1, a);
    ir::NodeId out = -1;
    if (o == x_) {  // Mul(Mul(x, a), 0.5)
      out = next(rw_.node(m1).outputs[0], "Mul");
      if (out < 0 || !other_is(out, rw_.node(m1).outputs[0], 0.5)) return false;
      nodes_.push_back(m1);
    } else if (scalar_is(o, 0.5)) {  // Mul(Mul(a, 0.5), x)
      out = next(rw_.node(m1).outputs[0], "Mul");
      if (out < 0 || other(out, rw_.node(m1).outputs[0]) != x_) return false;
      nodes_.push_back(m1);
    } else {  // Mul(Mul(x, 0.5), a)
      const ir::NodeId h = rw_.single_producer(o, "Mul", m1);
      if (h < 0 || rw_.node(h).region != region() || !scaled(h, 0.5)) return false;
      nodes_.push_back(h);
      out = m1;
    }
    nodes_.push_back(erf_);
    nodes_.push_back(add);
    rw_.replace(out, rw_.node(scale_).name, "Gelu", kParallaxDomain, kParallaxOpset, {x_}, {});
    rw_.erase(scale_);
    for (ir::NodeId n : nodes_) rw_.erase(n);
    return true;
  }

 private:
  ir::RegionId region() const { return rw_.node(erf_).region; }

  // d = Div(x, sqrt 2) or Mul(x, 1/sqrt 2); sets x_ and scale_.
  bool match_scale(ir::ValueId d) {
    const double kSqrt2 = std::sqrt(2.0);
    if (ir::NodeId div = rw_.single_producer(d, "Div", erf_); div >= 0) {
      const ir::Node& n = rw_.node(div);
      if (n.inputs.size() != 2 || !set_x(n.inputs[0]) || !scalar_is(n.inputs[1], kSqrt2))
        return false;
      scale_ = div;
      return true;
    }
    const ir::NodeId mul = rw_.single_producer(d, "Mul", erf_);
    if (mul < 0 || rw_.node(mul).inputs.size() != 2) return false;
    for (int side = 0; side < 2; ++side) {
      const ir::Node& n = rw_.node(mul);
      if (set_x(n.inputs[side]) && scalar_is(n.inputs[1 - side], 1.0 / kSqrt2)) {
        scale_ = mul;
        return true;
      }
    }
    return false;
  }

  bool set_x(ir::ValueId x) {
    if (x < 0 || !rt::dtype_is_float(rw_.value(x).dtype) || rw_.is_constant(x)) return false;
    x_ = x;
    return true;
  }

  // The untouched `op` node of this region that is v's only reader, or -1.
  ir::NodeId next(ir::ValueId v, const char* op) const {
    const ir::NodeId n = rw_.only_user(v);
    if (!rw_.is(n, op) || rw_.node(n).region != region() || rw_.node(n).inputs.size() != 2)
      return -1;
    return n;
  }

  // The input of binary node n that is not v (v itself for n(v, v)).
  ir::ValueId other(ir::NodeId n, ir::ValueId v) const {
    const ir::Node& node = rw_.node(n);
    return node.inputs[0] == v ? node.inputs[1] : node.inputs[0];
  }
  bool other_is(ir::NodeId n, ir::ValueId v, double want) const {
    return scalar_is(other(n, v), want);
  }

  // Mul(x, c) or Mul(c, x) with c = want.
  bool scaled(ir::NodeId n, double want) const {
    const ir::Node& node = rw_.node(n);
    return node.inputs.size() == 2 && ((node.inputs[0] == x_ && scalar_is(node.inputs[1], want)) ||
                                       (node.inputs[1] == x_ && scalar_is(node.inputs[0], want)));
  }

  // A one-element constant of x's type, no higher rank than x, holding `want`.
  bool scalar_is(ir::ValueId c, double want) const {
    double v = 0.0;
    if (x_ < 0 || !rw_.scalar_value(c, &v)) return false;
    const ir::Value& cv = rw_.value(c);
    const ir::Value& xv = rw_.value(x_);
    if (cv.dtype != xv.dtype || !xv.rank_known || cv.dims.size() > xv.dims.size()) return false;
    return close_to(v, want, cv.dtype);
  }

  Rewriter& rw_;
  ir::NodeId erf_;
  ir::ValueId x_ = -1;
  ir::NodeId scale_ = -1;
  std::vector<ir::NodeId> nodes_;
};

}  // namespace

bool fuse_gelu(ir::Graph& g) {
  Rewriter rw(g);
  for (ir::NodeId n = 0; n < rw.node_count(); ++n) {
    if (rw.is(n, "Erf")) GeluMatcher(rw, n).run();
  }
  return rw.finish();
}

}  // namespace parallax::passes
