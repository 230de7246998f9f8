// canonicalize: simplifies the graph to the form the later passes and the kernels want, by
// running a fixed list of local rewrites to a fixed point.
//
//   remove_identity   Identity, inference Dropout           (remove_identity.h)
//   fold_constants    all-constant nodes, static Shape/Size  (fold_constants.h)
//   fuse_batchnorm    Conv/ConvTranspose + BN -> Conv        (fuse_batchnorm.h)
//   fuse_bias         Conv/Gemm/MatMul + constant Add        (fuse_bias.h)
//   fuse_layernorm    decomposed form -> LayerNormalization  (fuse_layernorm.h)
//   fuse_gelu         erf form -> com.parallax.Gelu          (fuse_gelu.h)
//   fuse_activation   producer + activation -> Fused*        (fuse_activation.h)
//
// Each rewrite is one sweep over the graph that leaves it verified and free of dead nodes; a
// round runs them all in this order (each one's output is the next one's input: BN before
// bias before activation), and rounds repeat until one changes nothing (at most
// kMaxCanonicalizeRounds; every change removes a node or makes a dimension known, so this is
// a safety net).
// Finally constants nobody reads any more (weights replaced by folded ones, parameters of
// fused patterns, unused initializers) are released so the Program does not carry them.
//
// Runs: right after eliminate-dead-code, before placement (which must cost the graph that
// will run). Guarantees: a verified graph stays verified; value ids are kept (a released
// constant stays in the table as an unused value without data); no dead nodes remain.
#pragma once

#include "compiler/ir/graph.h"
#include "parallax/runtime/status.h"

namespace parallax::passes {

inline constexpr int kMaxCanonicalizeRounds = 16;

rt::Status canonicalize(ir::Graph& g);

}  // namespace parallax::passes
