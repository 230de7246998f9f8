// concat-in-place: convolutions whose outputs only meet in a channel Concat write their channels
// straight into the concatenated tensor, and the Concat goes away (squeezenet1_1's fire modules,
// googlenet's and inception_v3's inception blocks). The Concat copied every element once more,
// and its inputs and output were live at the same time.
//
//   %a = ConvNhwc(%x, %wa, %ba) {...}          [N, H, W, Ca]
//   %b = ConvNhwc(%x2, %wb, %bb) {...}         [N, H, W, Cb]
//   %y = Concat(%a, %b) {axis: 3}              [N, H, W, Ca + Cb]
//   ->
//   %a = ConvNhwc(%x, %wa, %ba) {..., output_channels: Ca + Cb, output_channel_offset: 0}
//   %y = ConvNhwc(%x2, %wb, %bb, %a) {..., output_channels: Ca + Cb, output_channel_offset: Ca}
//
// The convolutions form a chain in the region's order, each (after the first) taking the
// previous one's tensor as input 3 (`into`) and writing its own channel range over it; the last
// one produces the Concat's output. plan-memory puts each link in place of the one before
// (allows_in_place), so the chain is one buffer and nothing is copied. Offsets follow the
// Concat's input order, the chain the region's order, so no edge runs backwards. The chain
// orders the convolutions, which were independent; each has only the Concat as its reader, so
// that adds no cycle, and what feeds them stays as parallel as it was.
//
// Matched when: the Concat joins two or more values along the last axis of a static 4-D float32
// tensor; every input is the only output of a ConvNhwc (no `into` yet) that the Concat reads
// once and nothing else reads, and none is a graph output. A Concat with any other input
// (a pool, a Concat, a region input) is left as it is.
//
// Runs: after layout (which makes the ConvNhwc nodes), the NHWC fusions and dense-concat, before
// place.
//
//   concat_in_place(graph);   // true when it rewrote anything
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

class Rewriter;

bool concat_in_place(ir::Graph& g);

// One link of such a chain (also dense_concat.h's): ConvNhwc `conv` (one output, no `into` yet)
// writes its channels from `offset` on of a tensor shaped like `result`, over `into` (its new
// input 3; -1 for none). Unless `last`, the convolution's own output value takes result's shape
// and is the link's output; with `last`, the convolution produces `result` itself (whose
// producer the caller has erased) and its own value is left without one. Returns the link's
// output. Touches `conv`.
ir::ValueId write_channels_into(Rewriter& rw, ir::NodeId conv, ir::ValueId into, ir::ValueId result,
                                int64_t offset, bool last);

}  // namespace parallax::passes
