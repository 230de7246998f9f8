#include "passes/cost_model.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <string_view>
#include <unordered_map>

namespace parallax::passes {
namespace {

// Element count with unknown dimensions (or an unknown rank) counted as 1: a lower bound.
double known_numel(const ir::Graph& g, ir::ValueId v) {
  if (v < 0 || !g.values[v].rank_known) return 1;
  double n = 1;
  for (int64_t d : g.values[v].dims) n *= d < 0 ? 1.0 : static_cast<double>(d);
  return n;
}

double known_dim(const ir::Graph& g, ir::ValueId v, int axis) {
  if (v < 0 || !g.values[v].rank_known) return 1;
  const std::vector<int64_t>& dims = g.values[v].dims;
  const int rank = static_cast<int>(dims.size());
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank || dims[axis] < 0) return 1;
  return static_cast<double>(dims[axis]);
}

// Product of the dims after the first: per-output-element work of a Conv weight
// [Cout, Cin/group, k...] and per-input-element work of a ConvTranspose weight [Cin, Cout/g, k...].
double weight_inner(const ir::Graph& g, ir::ValueId w) {
  return w < 0 ? 1 : known_numel(g, w) / known_dim(g, w, 0);
}

ir::ValueId input(const ir::Node& n, size_t i) { return i < n.inputs.size() ? n.inputs[i] : -1; }
ir::ValueId output(const ir::Node& n) { return n.outputs.empty() ? -1 : n.outputs[0]; }

const rt::Attribute* attr(const ir::Node& n, std::string_view name) {
  for (const rt::Attribute& a : n.attrs)
    if (a.name == name) return &a;
  return nullptr;
}

double all_outputs(const ir::Graph& g, const ir::Node& n) {
  double s = 0;
  for (ir::ValueId o : n.outputs)
    if (o >= 0) s += known_numel(g, o);
  return s;
}

using MacFn = double (*)(const ir::Graph&, const ir::Node&);

double conv_macs(const ir::Graph& g, const ir::Node& n, size_t weight_index) {
  return known_numel(g, output(n)) * weight_inner(g, input(n, weight_index));
}

// Batched MatMul: every output element is a dot product over A's last dimension.
double matmul_macs(const ir::Graph& g, const ir::Node& n) {
  return known_numel(g, output(n)) * known_dim(g, input(n, 0), -1);
}

double gemm_macs(const ir::Graph& g, const ir::Node& n) {
  const rt::Attribute* trans_a = attr(n, "transA");
  const int k_axis = trans_a && trans_a->i ? 0 : 1;
  return known_numel(g, output(n)) * known_dim(g, input(n, 0), k_axis);
}

// Einsum: one MAC per point of the iteration space, the product of every letter's extent.
// Equations with an ellipsis fall back to the output size times the largest input.
double einsum_macs(const ir::Graph& g, const ir::Node& n) {
  const rt::Attribute* eq = attr(n, "equation");
  if (!eq) return all_outputs(g, n);
  const std::string_view lhs = std::string_view(eq->s).substr(0, eq->s.find("->"));
  if (lhs.find("...") != std::string_view::npos) return all_outputs(g, n);
  std::map<char, double> extent;
  size_t operand = 0;
  int axis = 0;
  for (char c : lhs) {
    if (c == ',') {
      ++operand;
      axis = 0;
    } else if (std::isalpha(static_cast<unsigned char>(c))) {
      extent[c] = std::max(extent[c], known_dim(g, input(n, operand), axis++));
    }
  }
  double macs = 1;
  for (const auto& [letter, e] : extent) macs *= e;
  return macs;
}

// LSTM/GRU/RNN: each (time step, batch row) multiplies the input by W and the state by R.
double recurrent_macs(const ir::Graph& g, const ir::Node& n) {
  const ir::ValueId x = input(n, 0);
  const double rows = known_numel(g, x) / known_dim(g, x, -1);
  return rows * (known_numel(g, input(n, 1)) + known_numel(g, input(n, 2)));
}

double pool_macs(const ir::Graph& g, const ir::Node& n) {
  double window = 1;
  if (const rt::Attribute* k = attr(n, "kernel_shape"))
    for (int64_t d : k->ints) window *= static_cast<double>(std::max<int64_t>(d, 1));
  return known_numel(g, output(n)) * window;
}

// One operation per input element (reductions, normalisations, global pooling, softmax).
double per_input(const ir::Graph& g, const ir::Node& n) { return known_numel(g, input(n, 0)); }
double no_compute(const ir::Graph&, const ir::Node&) { return 0; }

// Keyed by op type for the default ONNX domain, by "domain.op_type" otherwise.
const std::unordered_map<std::string, MacFn>& mac_table() {
  static const std::unordered_map<std::string, MacFn> table = {
      {"Conv", [](const ir::Graph& g, const ir::Node& n) { return conv_macs(g, n, 1); }},
      {"ConvInteger", [](const ir::Graph& g, const ir::Node& n) { return conv_macs(g, n, 1); }},
      {"QLinearConv", [](const ir::Graph& g, const ir::Node& n) { return conv_macs(g, n, 3); }},
      {"ConvTranspose",
       [](const ir::Graph& g, const ir::Node& n) {
         return known_numel(g, input(n, 0)) * weight_inner(g, input(n, 1));
       }},
      {"MatMul", matmul_macs},
      {"MatMulInteger", matmul_macs},
      {"QLinearMatMul", matmul_macs},
      {"Gemm", gemm_macs},
      {"Einsum", einsum_macs},
      {"LSTM", recurrent_macs},
      {"GRU", recurrent_macs},
      {"RNN", recurrent_macs},
      {"MaxPool", pool_macs},
      {"AveragePool", pool_macs},
      {"LpPool", pool_macs},
      {"GlobalAveragePool", per_input},
      {"GlobalMaxPool", per_input},
      {"GlobalLpPool", per_input},
      {"ReduceMean", per_input},
      {"ReduceSum", per_input},
      {"ReduceMax", per_input},
      {"ReduceMin", per_input},
      {"ReduceProd", per_input},
      {"ReduceL1", per_input},
      {"ReduceL2", per_input},
      {"ReduceLogSum", per_input},
      {"ReduceLogSumExp", per_input},
      {"ReduceSumSquare", per_input},
      {"ArgMax", per_input},
      {"ArgMin", per_input},
      {"Softmax", per_input},
      {"LogSoftmax", per_input},
      {"LayerNormalization", per_input},
      {"InstanceNormalization", per_input},
      {"BatchNormalization", per_input},
      // Data movement and shape queries: no arithmetic, only bytes.
      {"Reshape", no_compute},
      {"Flatten", no_compute},
      {"Squeeze", no_compute},
      {"Unsqueeze", no_compute},
      {"Identity", no_compute},
      {"Shape", no_compute},
      {"Size", no_compute},
      {"Transpose", no_compute},
      {"Concat", no_compute},
      {"Split", no_compute},
      {"Slice", no_compute},
      {"Gather", no_compute},
      {"GatherElements", no_compute},
      {"GatherND", no_compute},
      {"Expand", no_compute},
      {"Tile", no_compute},
      {"Pad", no_compute},
      {"DepthToSpace", no_compute},
      {"SpaceToDepth", no_compute},
      {"Constant", no_compute},
      {"ConstantOfShape", no_compute},
      // Parallax's own operators (canonicalize, layout): the same work as the ONNX forms they
      // replace. An NHWC weight is OHWI, so Conv's per-output formula holds unchanged.
      {"com.parallax.FusedConv",
       [](const ir::Graph& g, const ir::Node& n) { return conv_macs(g, n, 1); }},
      // ConvNhwc: every output pixel takes all of W once. With output_channels (concat-in-place)
      // Y is wider than W's M channels, so count Y's pixels, not its elements.
      {"com.parallax.ConvNhwc",
       [](const ir::Graph& g, const ir::Node& n) {
         return known_numel(g, output(n)) / std::max(1.0, known_dim(g, output(n), -1)) *
                known_numel(g, input(n, 1));
       }},
      // ExpandDepthwiseNhwc(x, w1, b1, w2, b2): the 1x1 product (every x element times Ce)
      // plus the depthwise convolution's.
      {"com.parallax.ExpandDepthwiseNhwc",
       [](const ir::Graph& g, const ir::Node& n) {
         return known_numel(g, input(n, 0)) * known_dim(g, input(n, 1), 0) + conv_macs(g, n, 3);
       }},
      // InputConvMaxPoolNhwc(image, w, b): the convolution's MACs (its output is the image's
      // pixels over the stride squared, about) plus the pool's.
      {"com.parallax.InputConvMaxPoolNhwc",
       [](const ir::Graph& g, const ir::Node& n) {
         const double pixels = known_numel(g, input(n, 0)) / known_dim(g, input(n, 0), 1);
         const std::vector<int64_t> s =
             attr(n, "strides") ? attr(n, "strides")->ints : std::vector<int64_t>{1, 1};
         const double conv_out = pixels / static_cast<double>(s[0] * s[1]);
         double window = 1;
         if (const rt::Attribute* k = attr(n, "pool_kernel_shape"))
           for (int64_t d : k->ints) window *= static_cast<double>(std::max<int64_t>(d, 1));
         return conv_out * weight_inner(g, input(n, 1)) * known_dim(g, input(n, 1), 0) +
                known_numel(g, output(n)) * window;
       }},
      {"com.parallax.FusedGemm", gemm_macs},
      {"com.parallax.FusedMatMul", matmul_macs},
      // FusedAttention(q, kt, v): both products, (rows x N) x (K + D) MACs.
      {"com.parallax.FusedAttention",
       [](const ir::Graph& g, const ir::Node& n) {
         return known_numel(g, output(n)) / known_dim(g, output(n), -1) *
                known_dim(g, input(n, 1), -1) *
                (known_dim(g, input(n, 0), -1) + known_dim(g, output(n), -1));
       }},
      {"com.parallax.MaxPoolNhwc", pool_macs},
      {"com.parallax.AveragePoolNhwc", pool_macs},
      {"com.parallax.GlobalAveragePoolNhwc", per_input},
  };
  return table;
}

bool static_size(const ir::Value& v) {
  return ir::static_numel(v) >= 0 && rt::dtype_size(v.dtype) > 0;
}

}  // namespace

uint64_t value_bytes(const ir::Value& v) {
  if (!static_size(v)) return 0;
  return static_cast<uint64_t>(ir::static_numel(v)) * rt::dtype_size(v.dtype);
}

NodeCost node_cost(const ir::Graph& g, ir::NodeId id) {
  const ir::Node& n = g.nodes[id];
  NodeCost c;
  for (ir::ValueId v : n.inputs) {
    if (v < 0) continue;
    const ir::Value& val = g.values[v];
    (val.is_constant ? c.weight_bytes : c.input_bytes) += value_bytes(val);
    c.shapes_known = c.shapes_known && static_size(val);
  }
  for (ir::ValueId v : n.outputs) {
    if (v < 0) continue;
    c.output_bytes += value_bytes(g.values[v]);
    c.shapes_known = c.shapes_known && static_size(g.values[v]);
  }
  const auto it = mac_table().find(n.domain.empty() ? n.op_type : n.domain + "." + n.op_type);
  c.macs = it != mac_table().end() ? it->second(g, n) : all_outputs(g, n);
  return c;
}

double cpu_time_us(const NodeCost& c, const ClusterProfile& cluster, int threads,
                   const DeviceProfile& profile) {
  const int t = std::clamp(threads, 1, std::max(1, cluster.cores));
  const double cores = 1 + profile.intra_op_efficiency * (t - 1);
  // 1e9 MAC/s = 1e3 MAC/us; 1 GB/s = 1e3 bytes/us.
  const double compute = c.macs / (cluster.gmacs_per_core * 1e3 * cores);
  const double bytes = static_cast<double>(c.input_bytes + c.output_bytes + c.weight_bytes);
  const double memory = bytes / (profile.memory_bandwidth_gbps * 1e3);
  return std::max(compute, memory) + profile.step_overhead_us;
}

double gpu_time_us(const NodeCost& c, const DeviceProfile& profile) {
  if (!profile.gpu.present) return std::numeric_limits<double>::infinity();
  const double compute = c.macs / (profile.gpu.gmacs * 1e3);
  const double bytes = static_cast<double>(c.input_bytes + c.output_bytes + c.weight_bytes);
  const double memory = bytes / (profile.memory_bandwidth_gbps * 1e3);
  return std::max(compute, memory) + profile.gpu.dispatch_latency_us;
}

double transfer_time_us(uint64_t bytes, const DeviceProfile& profile) {
  if (!profile.gpu.present) return std::numeric_limits<double>::infinity();
  return static_cast<double>(bytes) / (profile.gpu.bandwidth_gbps * 1e3);
}

}  // namespace parallax::passes
