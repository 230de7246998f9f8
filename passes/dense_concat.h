// dense-concat: DenseNet's growing Concats become one buffer per block that every layer writes
// its new channels into, and the layers read its first channels in place.
//
// A dense block concatenates its input with every layer's output so far: layer k reads
// Concat(x0, f_1, ..., f_{k-1}), a copy of everything before it, so a block of L layers copies
// O(L^2) channels (densenet121: 58 such Concats, about 40 MB written per image). Here the block's
// final channel count C is allocated once: x0 is padded to C channels (F_0), each f_i's ConvNhwc
// writes its channels into the previous F in place (output_channels = C, output_channel_offset,
// input 3 `into`, as in concat_in_place.h), and each Concat's readers read the first channels of
// the F that holds them (ConvNhwc's input_channels). The block's last Concat is the last F.
//
//   %c2 = Concat(%x0, %f1)              %F0 = Pad(%x0) to C channels
//   %c3 = Concat(%x0, %f1, %f2)         %F1 = ConvNhwc(..., %F0) {output_channels: C, offset: C0}
//   %y  = Concat(%x0, %f1, %f2, %f3) -> %F2 = ConvNhwc(..., %F1) {..., offset: C0 + c1}
//   readers of %c2 read %F1 {input_channels: C0 + c1}; of %c3, %F2 {input_channels: C0 + c1 + c2}
//   %y  = ConvNhwc(..., %F2) {..., offset: C0 + c1 + c2}
//
// Matched per group of channel Concats (last axis of a static 4-D float32 tensor) that share
// their first input, when the largest one's inputs start with every other one's (x0, then the
// f_i in the same order); each f_i is the only output of a ConvNhwc (no `into` yet) read only by
// the group's Concats, the producers come in the f_i's order, and every reader of a Concat but
// the largest is a ConvNhwc reading it as X (not nchw_input, no input_channels yet). No value
// involved is a graph output. plan-memory then keeps the chain F_0 -> F_1 -> ... in one buffer
// when every reader of each F runs before the next link, as in DenseNet, where each layer's
// reader of the Concat feeds the convolution that extends it.
//
// Runs: after layout (ConvNhwc, and the BatchNorm -> Relu it fuses: the readers) and before
// concat-in-place (which leaves these Concats alone: their inputs have several readers).
//
//   dense_concat(graph);   // true when it rewrote anything
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

bool dense_concat(ir::Graph& g);

}  // namespace parallax::passes
