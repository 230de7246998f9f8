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
// Bound. A node's result becomes a constant only when it is at most max(kFoldMinBytes, the
// bytes of the constants it reads) -- folding must not blow up the weights (ConstantOfShape,
// Expand, Tile, Range).
//
// Chains. A node over its bound still folds when its result is only a step towards small
// constants: SwinV2's position-bias MLP maps a [1,15,15,2] table to a [1,15,15,512] hidden
// layer (460 KB) and on to a [1,3,64,64] bias (48 KB). Before the sweep, the IR's static
// shapes predict, backwards over the DAG, which nodes "settle": a node that reads only
// constants and results of such nodes settles when its result is within its bound, or when
// its result has a static size of at most kFoldMaxHeldBytes, no output is a region output,
// and every node reading an output settles too. A settling node over its bound is evaluated
// but its result is held back, outside the graph, and feeds its readers' evaluation (held
// inputs do not raise a reader's bound: their bytes are not in the weights); it is dropped
// once its last reader has folded, and at most kFoldMaxLiveBytes of held results are alive
// at once (past that a node is left unfolded), which bounds compile-time memory. At the end
// of the sweep a held node that nothing in the graph reads any more is removed; one that is
// still read (a reader the kernel rejected at fold time, or whose result came out over its
// bound after all) stays in the graph unchanged, with the held nodes it reads, and runs at
// run time as before. So a result over its bound never becomes a constant.
//
// Never folded: nondeterministic ops (Random*, Multinomial, Bernoulli, Dropout), control-flow
// nodes, nodes with a non-tensor output, nodes the kernel rejects (the error then surfaces at
// run time, where it belongs: the node may sit in a branch that never runs), and nodes over
// their bound that do not settle. Nodes inside Loop/Scan/If bodies fold when their inputs are
// constants; a body's region inputs (loop-carried values, scan slices) are never constants,
// so nothing that depends on them folds, and Shape/Size fold only for main-graph values,
// whose static shapes the executor checks at set_input.
//
// Runs: inside canonicalize, after remove_identity.
// Guarantees: a folded output keeps its value id (readers need no rewiring) and gets the
// kernel's exact shape; every new constant is within its node's bound; the graph stays
// verified.
#pragma once

#include <cstddef>

#include "compiler/ir/graph.h"

namespace parallax::passes {

// The smallest bound on a folded node's result (see above).
inline constexpr size_t kFoldMinBytes = 64 * 1024;
// The largest result of a node over its bound that may be held back for its readers.
inline constexpr size_t kFoldMaxHeldBytes = 16 * 1024 * 1024;
// The most bytes of held-back results alive at once.
inline constexpr size_t kFoldMaxLiveBytes = 64 * 1024 * 1024;

// Returns true when the graph changed.
bool fold_constants(ir::Graph& g);

}  // namespace parallax::passes
