// Cost model: how much work a node is and how long it takes on a processor of a profile.
//
// Work is counted in multiply-accumulates (MACs) from static shapes (Conv, ConvTranspose, Gemm,
// MatMul, attention-like batched MatMul, Einsum, LSTM/GRU/RNN, pooling) and in element operations
// for the rest (elementwise ops, reductions, normalisations); pure data movement (Reshape,
// Transpose, Concat, Gather, ...) is 0 MACs and costs only its bytes. A dimension that is not
// static counts as 1, so the work of a node with dynamic shapes is a lower bound, and
// `shapes_known` says so. Times are roofline-style: max(compute, memory) plus a fixed per-step
// overhead, with intra-op threads scaling compute sub-linearly
// (1 + intra_op_efficiency * (threads - 1) cores' worth).
//
//   NodeCost c = node_cost(g, n);
//   double us = cpu_time_us(c, profile.clusters[0], /*threads=*/2, profile);
#pragma once

#include <cstdint>

#include "compiler/ir/graph.h"
#include "passes/device_profile.h"

namespace parallax::passes {

struct NodeCost {
  double macs = 0;            // multiply-accumulates (for ops without MACs: element operations)
  uint64_t input_bytes = 0;   // bytes of all non-constant inputs with static shapes
  uint64_t output_bytes = 0;  // bytes of all outputs with static shapes
  uint64_t weight_bytes = 0;  // bytes of constant inputs
  bool shapes_known = true;   // false: some input or output shape is not static (macs is a bound)
};

// Bytes of a value with a static shape; 0 when a dimension or the rank is unknown.
uint64_t value_bytes(const ir::Value& v);

NodeCost node_cost(const ir::Graph& g, ir::NodeId n);

// Estimated microseconds for a node of cost `c` on `threads` cores of `cluster` (threads is
// clamped to [1, cluster.cores]).
double cpu_time_us(const NodeCost& c, const ClusterProfile& cluster, int threads,
                   const DeviceProfile& profile);

// Estimated microseconds on the profile's GPU (excluding transfers across the region boundary);
// +infinity when the profile has no GPU.
double gpu_time_us(const NodeCost& c, const DeviceProfile& profile);

// Estimated microseconds to move `bytes` between host and GPU memory; +infinity without a GPU.
double transfer_time_us(uint64_t bytes, const DeviceProfile& profile);

}  // namespace parallax::passes
