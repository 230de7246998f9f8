// layout_rules: which nodes the layout pass (layout.h) can run in NHWC, and what changes about
// each of their inputs there. Internal to the pass; split out so the pass itself reads as the
// region search and the rewrite.
//
//   nhwc::Uses uses(g);
//   nhwc::NodeLayout l = nhwc::classify(g, uses, n);
//   if (l.form == nhwc::Form::kConv) ...   // l.slots[k]: what input k becomes
#pragma once

#include <cstdint>
#include <vector>

#include "compiler/ir/graph.h"

namespace parallax::passes::nhwc {

// NHWC dimension i is NCHW dimension kToNhwc[i] (OIHW -> OHWI is the same permutation), and
// NCHW axis a is NHWC axis kToNchw[a].
inline constexpr int kToNhwc[4] = {0, 2, 3, 1};
inline constexpr int kToNchw[4] = {0, 3, 1, 2};

// What an input slot of a converted node holds.
enum class Slot : uint8_t {
  kParam,       // left alone: weights handled by the node's rewrite, scalars, split sizes
  kActivation,  // a non-constant 4-D tensor: NHWC inside the region
  kConstant,    // a constant broadcast against activations: unsqueezed to 4-D and permuted
  kPerDim,      // a constant vector of 4 * k entries, one per dimension: each 4 permuted
};

// How a node changes inside a region.
enum class Form : uint8_t {
  kNone,           // not convertible: stays outside every region
  kConv,           // Conv / FusedConv -> ConvNhwc
  kPool,           // MaxPool / AveragePool / GlobalAveragePool -> <op>Nhwc
  kAvgPoolAsConv,  // AveragePool counting padding -> depthwise ConvNhwc
  kBatchNorm,      // -> depthwise 1x1 ConvNhwc
  kElementwise,    // unchanged but for its inputs
  kAxis,           // Concat / Split: axis renumbered
  kSlice,          // Slice: axes renumbered
  kShuffle,        // Reshape(Transpose(Reshape(x))) channel shuffle -> ChannelShuffleNhwc(x)
};

struct NodeLayout {
  Form form = Form::kNone;
  std::vector<Slot> slots;  // per input of the node
  // kShuffle: the 4-D tensor shuffled (the first Reshape's input), the group count, and the
  // first Reshape and the Transpose, which die when the shuffle is converted.
  ir::ValueId source = -1;
  int64_t groups = 0;
  ir::NodeId absorbed[2] = {-1, -1};
};

// Every value's readers (node, input slot) and whether a region returns it.
struct Uses {
  struct Use {
    ir::NodeId node;
    int slot;
  };
  explicit Uses(const ir::Graph& g);
  bool unused(ir::ValueId v) const { return v < 0 || (of[v].empty() && !region_output[v]); }
  // v's only reader when it has exactly one and no region returns it; else -1.
  ir::NodeId only_reader(ir::ValueId v) const;

  std::vector<std::vector<Use>> of;
  std::vector<bool> region_output;
};

// The NHWC form of node n, judged on the node alone (its neighbours decide whether it joins a
// region). Form::kNone when it has none here.
NodeLayout classify(const ir::Graph& g, const Uses& uses, ir::NodeId n);

}  // namespace parallax::passes::nhwc
