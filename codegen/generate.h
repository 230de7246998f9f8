// The last stage of parallax-compile -o: lowers the compiled graph and its plan to a Program
// (program_builder.h), emits it as C++ (emit_cpp.h) and writes the files, all or nothing
// (write_files.h).
//
//   EmitOptions o;
//   o.name = "resnet18";
//   rt::Status s = generate_cpp(std::move(graph), plan, o, "out/resnet18");
#pragma once

#include <string>

#include "codegen/emit_cpp.h"
#include "compiler/ir/graph.h"
#include "compiler/ir/plan.h"

namespace parallax::codegen {

// Requires the pipeline to have run on `graph` (plan filled). Takes the constants' bytes out of
// `graph` (build_program's consuming form, so the weights are held once). On error nothing is
// written.
rt::Status generate_cpp(ir::Graph&& graph, const ir::Plan& plan, const EmitOptions& options,
                        const std::string& dir);

}  // namespace parallax::codegen
