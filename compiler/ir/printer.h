// Deterministic text form of the IR, for `parallax-compile --emit=ir`, tests and debugging.
//
// Same graph, same text: values print as %<id> with name, dtype and shape ("?" for a dim known
// only at run time, "*" for unknown rank); attributes are sorted by name; subregions are
// printed indented under the node that owns them, each listing
// the constants defined in it first. Example:
//
//   graph "g" opsets [ai.onnx=17]
//   region 0 "g" (%0 "x": float[2, 3]) {
//     const %1 "w": float[3] (12 bytes)
//     %2 "y": float[2, 3] = Add(%0, %1) "add0"
//     return %2
//   }
#pragma once

#include <string>

#include "compiler/ir/graph.h"

namespace parallax::ir {

std::string print(const Graph& g);
// "float[2, ?, 3]", "float[*]" (unknown rank), "float[]" (scalar).
std::string type_string(const Value& v);

}  // namespace parallax::ir
