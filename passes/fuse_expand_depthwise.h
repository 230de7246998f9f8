// fuse-expand-depthwise: a 1x1 ConvNhwc whose output only feeds a depthwise ConvNhwc (the
// expansion and depthwise convolutions of a MobileNet / EfficientNet inverted-residual block)
// becomes one com.parallax.ExpandDepthwiseNhwc, which computes the expanded rows a few at a
// time into a per-thread ring (runtime/kernels/nn/expand_depthwise.h), so that the expanded
// tensor, the block's largest, is never written to memory and read back.
//
//   %e = ConvNhwc(%x, %w1, %b1) {kernel 1x1, stride 1, no padding, group 1, activation A}
//   %y = ConvNhwc(%e, %w2, %b2) {group = channels of %e, kernel <= 7x7, stride 1 or 2, act D}
//   ->
//   %y = ExpandDepthwiseNhwc(%x, %w1, %b1, %w2, %b2)
//        {the depthwise node's attributes, expand_activation(_params) = A}
//
// Matched when: %e has no other reader and is not a graph output; both weights and biases are
// constants; A is none, Relu, Clip, SiLU or Swish and D none, Relu, Clip or SiLU (what the
// kernels apply in registers); the depthwise is undilated, one filter per channel; and %e is
// at least kMinExpandedBytes (1 MiB). Below that the expanded tensor stays in cache anyway and
// the fused kernel's per-row products of a few pixels lost to the separate convolutions
// (docs/kernels.md, "Expansion and depthwise together").
//
// Runs: after layout, which makes the ConvNhwc nodes, and before place, which must cost the
// fused node and after which node ids are final. Does nothing when the runtime has no
// ExpandDepthwiseNhwc kernel.
//
//   fuse_expand_depthwise(graph);   // true when it fused anything
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Expanded tensors smaller than this stay unfused.
inline constexpr int64_t kMinExpandedBytes = int64_t{1} << 20;

bool fuse_expand_depthwise(ir::Graph& g);

}  // namespace parallax::passes
