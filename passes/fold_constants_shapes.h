// refine_shapes: part of fold_constants. Fills in the output shapes of a main-graph node that
// the importer's shape inference could not know, because they depend on a value that only
// folding made constant (Reshape's shape computed by Shape -> Gather -> Concat, Expand's,
// Slice's bounds, ...). It runs ONNX's own inference function for the op on what the IR knows
// now: input dtypes and dims, and the values of constant inputs. Then Shape and Size of the
// results fold too, and whole shape subgraphs collapse in one sweep.
//
// Only adds knowledge: a dim already known is never changed (a disagreement leaves the value
// as it was), an inference error leaves the node alone, and nodes with subgraphs, of a domain
// without ONNX schemas, or inside control-flow bodies (whose input shapes may change from one
// iteration to the next) are skipped.
//
//   if (refine_shapes(g, node)) ...   // some output of `node` gained dims
#pragma once

#include "compiler/ir/graph.h"

namespace parallax::passes {

// Returns true when some output of node n gained a known rank or dimension.
bool refine_shapes(ir::Graph& g, ir::NodeId n);

}  // namespace parallax::passes
