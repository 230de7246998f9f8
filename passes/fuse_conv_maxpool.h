// fuse-conv-maxpool: a CNN's first convolution read from the NCHW image (ConvNhwc with
// nchw_input = 1, see layout) whose output only feeds a MaxPoolNhwc becomes one
// com.parallax.InputConvMaxPoolNhwc, which pools convolution rows from a small per-thread
// ring (runtime/kernels/fused/InputConvMaxPoolNhwc.cpp): the stem's 112 x 112 x 64 tensor,
// 3.2 MB of which the pool keeps a quarter, is never written out.
//
//   %c = ConvNhwc(%image, %w, %b) {nchw_input: 1, activation A, ...}
//   %p = MaxPoolNhwc(%c) {kernel_shape, strides, pads, ceil_mode}
//   ->
//   %p = InputConvMaxPoolNhwc(%image, %w, %b) {the convolution's attributes,
//          pool_kernel_shape, pool_strides, pool_pads, pool_ceil_mode}
//
// Matched when %c has no other reader and is not a graph output, A is none, Relu, Clip or SiLU
// (what nn::InputConv applies in registers), the convolution is single-group and undilated,
// the pool is 2-D, undilated, with explicit (not auto) padding smaller than its window and
// row-major indices (storage_order 0, no Indices output), and the shapes are static. It
// applies to the stems of resnet18, densenet121, googlenet, squeezenet1_1 and shufflenet_v2.
//
// Runs: after layout (which makes both nodes) and before place.
//
//   fuse_conv_maxpool(graph);   // true when it fused anything
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

bool fuse_conv_maxpool(ir::Graph& g);

}  // namespace parallax::passes
