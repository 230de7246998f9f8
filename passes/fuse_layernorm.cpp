#include "passes/fuse_layernorm.h"

#include <vector>

#include "passes/canonicalize_rewriter.h"

namespace parallax::passes {
namespace {

constexpr int kLayerNormOpset = 17;

class LayerNormMatcher {
 public:
  LayerNormMatcher(Rewriter& rw, ir::NodeId div) : rw_(rw), div_(div) {}

  bool run() {
    const ir::Node& div = rw_.node(div_);
    if (div.inputs.size() != 2 || !match_center(div.inputs[0]) || !match_stddev(div.inputs[1]))
      return false;
    ir::NodeId last = div_;
    ir::ValueId scale = -1, bias = -1;
    if (ir::NodeId mul = binary_user(last, "Mul", &scale); mul >= 0 && affine(&scale)) {
      nodes_.push_back(last);
      last = mul;
    } else {
      scale = -1;
    }
    if (ir::NodeId add = binary_user(last, "Add", &bias); add >= 0 && affine(&bias)) {
      nodes_.push_back(last);
      last = add;
    } else {
      bias = -1;
    }
    if (scale < 0) {
      scale = rw_.add_constant(rw_.node(mean_).name + "/ones", rw_.value(x_).dtype, {1}, {1.0},
                               rw_.node(div_).region);
    }
    std::vector<ir::ValueId> inputs = {x_, scale};
    if (bias >= 0) inputs.push_back(bias);
    const int64_t rank = static_cast<int64_t>(rw_.value(x_).dims.size());
    rw_.replace(last, rw_.node(mean_).name, "LayerNormalization", "", kLayerNormOpset,
                std::move(inputs),
                {make_attr_int("axis", rank - axes_),
                 make_attr_float("epsilon", static_cast<float>(eps_))});
    for (ir::NodeId n : nodes_) rw_.erase(n);
    return true;
  }

 private:
  ir::RegionId region() const { return rw_.node(div_).region; }

  // The untouched `op` producer of v in this region, v read only by `consumer`.
  ir::NodeId producer(ir::ValueId v, const char* op, ir::NodeId consumer) {
    const ir::NodeId p = rw_.single_producer(v, op, consumer);
    if (p >= 0) nodes_.push_back(p);
    return p;
  }

  // d = Sub(x, ReduceMean(x)); sets x_, mean_, axes_.
  bool match_center(ir::ValueId d) {
    if (d < 0 || rw_.is_region_output(d)) return false;
    const ir::NodeId sub = rw_.value(d).producer;
    if (!rw_.is(sub, "Sub") || rw_.node(sub).region != region() || rw_.node(sub).inputs.size() != 2)
      return false;
    d_ = d;
    x_ = rw_.node(sub).inputs[0];
    if (x_ < 0) return false;
    const ir::Value& x = rw_.value(x_);
    if (!rt::dtype_is_float(x.dtype) || !x.rank_known || x.dims.empty()) return false;
    mean_ = producer(rw_.node(sub).inputs[1], "ReduceMean", sub);
    if (mean_ < 0 || rw_.node(mean_).inputs.empty() || rw_.node(mean_).inputs[0] != x_)
      return false;
    axes_ = reduced_trailing_axes(rw_, mean_, static_cast<int64_t>(x.dims.size()));
    nodes_.push_back(sub);
    return axes_ > 0;
  }

  // s = Sqrt(Add(ReduceMean(Pow(d, 2) or Mul(d, d)), eps)); sets eps_.
  bool match_stddev(ir::ValueId s) {
    const ir::NodeId sqrt = producer(s, "Sqrt", div_);
    if (sqrt < 0) return false;
    const ir::NodeId add = producer(rw_.node(sqrt).inputs[0], "Add", sqrt);
    if (add < 0 || rw_.node(add).inputs.size() != 2) return false;
    const ir::Node& an = rw_.node(add);
    const bool eps_first = rw_.is_constant(an.inputs[0]);
    const ir::ValueId eps = an.inputs[eps_first ? 0 : 1];
    if (!one_element(eps, &eps_) || eps_ < 0.0) return false;
    const ir::NodeId var = producer(an.inputs[eps_first ? 1 : 0], "ReduceMean", add);
    if (var < 0 ||
        reduced_trailing_axes(rw_, var, static_cast<int64_t>(rw_.value(x_).dims.size())) != axes_)
      return false;
    const ir::ValueId sq = rw_.node(var).inputs[0];
    if (const ir::NodeId pow = producer(sq, "Pow", var); pow >= 0) {
      double e = 0.0;
      const ir::Node& pn = rw_.node(pow);
      return pn.inputs.size() == 2 && pn.inputs[0] == d_ && rw_.scalar_value(pn.inputs[1], &e) &&
             e == 2.0 && rw_.value(pn.inputs[1]).dims.size() <= rw_.value(x_).dims.size() &&
             rw_.uses(d_) == 2;
    }
    const ir::NodeId mul = producer(sq, "Mul", var);
    return mul >= 0 && rw_.node(mul).inputs == std::vector<ir::ValueId>{d_, d_} &&
           rw_.uses(d_) == 3;
  }

  // A one-element constant of x's type that adds no dimensions.
  bool one_element(ir::ValueId c, double* v) const {
    const ir::Value& cv = rw_.value(c);
    return rw_.scalar_value(c, v) && cv.dtype == rw_.value(x_).dtype &&
           cv.dims.size() <= rw_.value(x_).dims.size();
  }

  // The `op` node of this region that alone reads `from`'s output, with a constant other
  // operand (returned in *c).
  ir::NodeId binary_user(ir::NodeId from, const char* op, ir::ValueId* c) const {
    const ir::ValueId v = rw_.node(from).outputs[0];
    const ir::NodeId n = rw_.only_user(v);
    if (!rw_.is(n, op) || rw_.node(n).region != region() || rw_.node(n).inputs.size() != 2)
      return -1;
    const ir::Node& node = rw_.node(n);
    *c = node.inputs[0] == v ? node.inputs[1] : node.inputs[0];
    return rw_.is_constant(*c) ? n : -1;
  }

  // Whether constant *c (gamma or beta) varies only along the normalised axes and matches x
  // there; trims leading ones so it broadcasts to x.shape[axis:] (replacing *c if needed).
  bool affine(ir::ValueId* c) {
    const ir::Value& cv = rw_.value(*c);
    const std::vector<int64_t>& xd = rw_.value(x_).dims;
    if (cv.dtype != rw_.value(x_).dtype || cv.dims.size() > xd.size()) return false;
    const size_t lead = cv.dims.size() > static_cast<size_t>(axes_) ? cv.dims.size() - axes_ : 0;
    for (size_t i = 0; i < cv.dims.size(); ++i) {
      const int64_t want = xd[xd.size() - cv.dims.size() + i];
      if (cv.dims[i] == 1) continue;
      if (i < lead || cv.dims[i] != want) return false;
    }
    if (lead == 0) return true;
    std::vector<double> values;
    if (!rw_.constant_values(*c, &values)) return false;
    const std::vector<int64_t> dims(cv.dims.begin() + lead, cv.dims.end());
    *c = rw_.add_constant(cv.name + "/trimmed", cv.dtype, dims, values, rw_.node(div_).region);
    return true;
  }

  Rewriter& rw_;
  ir::NodeId div_;
  ir::ValueId x_ = -1, d_ = -1;
  ir::NodeId mean_ = -1;
  int axes_ = 0;
  double eps_ = 0.0;
  std::vector<ir::NodeId> nodes_;  // every matched node but the last (which is replaced)
};

}  // namespace

bool fuse_layernorm(ir::Graph& g) {
  Rewriter rw(g);
  for (ir::NodeId n = 0; n < rw.node_count(); ++n) {
    if (rw.is(n, "Div")) LayerNormMatcher(rw, n).run();
  }
  return rw.finish();
}

}  // namespace parallax::passes
