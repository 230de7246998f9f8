// fold_constants: evaluates at compile time every node whose result is already determined,
// and turns its outputs into constants.
//
// A node folds when every input it has is a constant, or when it is Shape or Size of a value
// of the main graph whose shape is fully static (so Shape -> Gather -> Unsqueeze -> Concat ->
// Reshape chains collapse to a constant shape). It is evaluated by the runtime's own kernel
// (a one-step rt::Program run by rt::Executor), so folding can never disagree with running.
// Before each main-graph node is considered, refine_shapes (fold_constants_shapes.h) lets
// ONNX's shape inference see the constants folded so far, so shapes that became static make
// the next Shape foldable within the same sweep.
//
// Never folded: nondeterministic ops (Random*, Multinomial, Bernoulli, Dropout), control-flow
// nodes, nodes with a non-tensor output, nodes the kernel rejects (the error then surfaces at
// run time, where it belongs: the node may sit in a branch that never runs), and nodes whose
// result would be larger than max(64 KiB, the bytes of their constant inputs) -- folding must
// not blow up the weights (ConstantOfShape, Expand, Tile, Range). Nodes inside Loop/Scan/If
// bodies fold when their inputs are constants; a body's region inputs (loop-carried values,
// scan slices) are never constants, so nothing that depends on them folds, and Shape/Size
// fold only for main-graph values, whose static shapes the executor checks at set_input.
//
// Runs: inside canonicalize, after remove_identity.
// Guarantees: a folded output keeps its value id (readers need no rewiring) and gets the
// kernel's exact shape; the graph stays verified.
#pragma once

#include <cstddef>

#include "compiler/ir/graph.h"

namespace parallax::passes {

// The smallest bound on a folded node's result (see above).
inline constexpr size_t kFoldMinBytes = 64 * 1024;

// Returns true when the graph changed.
bool fold_constants(ir::Graph& g);

}  // namespace parallax::passes
