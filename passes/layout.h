// layout: runs the convolution-heavy parts of the graph in NHWC, the layout XNNPACK wants.
//
// ONNX activations are NCHW; XNNPACK's convolution and pooling operators are NHWC only, and a
// transpose around every convolution would cost more than it saves. So the pass finds
// conv-heavy regions: connected groups of nodes (joined by the 4-D tensors they pass each
// other) that all have an NHWC form and contain at least one 2-D convolution. Inside a region
// every 4-D activation is NHWC and the nodes become:
//
//   Conv, com.parallax.FusedConv     -> com.parallax.ConvNhwc; W OIHW -> OHWI at compile time
//   MaxPool / AveragePool / GlobalAveragePool -> com.parallax.MaxPoolNhwc / AveragePoolNhwc /
//                                       GlobalAveragePoolNhwc (same attributes)
//   AveragePool counting padding     -> ConvNhwc, depthwise, every weight 1 / kernel size
//   BatchNormalization (inference)   -> ConvNhwc, depthwise 1x1: W = scale, B = shift
//                                       (these two then take the activation that follows them,
//                                       fuse_activation: DenseNet's BN -> Relu is one step)
//   elementwise (Add, Mul, Relu, Clip, Sigmoid, ... )  -> unchanged; a constant operand is
//                                       unsqueezed to 4-D and permuted like the activations
//   Concat, Split                    -> axis renumbered
//   Resize, Pad                      -> roi / scales / sizes / pads permuted
//
// Layout changes happen only at region edges: a Transpose NCHW -> NHWC where a region reads a
// tensor made outside it, NHWC -> NCHW where a tensor made inside is read outside it or is a
// region output (a Reshape instead when the permutation moves no data, as for [N, C, 1, 1]).
//
// Left alone: every other node, tensors that are not float32 with a static 4-D shape, pools
// with a 1x1 window (XNNPACK refuses them), and, with a GPU backend selected, the nodes that
// backend could run (placement decides those on their ONNX form). The pass does nothing when
// the runtime was built without the NHWC kernels (runtime/kernels/xnnpack/).
//
// Runs: after canonicalize (it maps the fused forms and needs BatchNormalization already folded
// into the convolutions it follows) and before place (it adds nodes, and placement's node ids
// must be final).
// Guarantees: region inputs and outputs keep their ids, names and NCHW shapes; every rewritten
// node computes the same values, permuted; the graph stays verified.
//
//   PARALLAX_RETURN_IF_ERROR(assign_layout(graph, options));
#pragma once

#include "compiler/ir/graph.h"
#include "parallax/runtime/status.h"
#include "passes/pipeline.h"

namespace parallax::passes {

rt::Status assign_layout(ir::Graph& g, const CompileOptions& options);

}  // namespace parallax::passes
