// Lowers the IR to the runtime's Program (parallax/runtime/program.h), in memory.
//
// Values become one flat tensor table (ids are kept: tensor i is value i, plus one anonymous
// tensor per omitted optional output); constants are packed into Program::weights, each
// 64-byte aligned; region r becomes graphs[r]; nodes become steps bound to their kernel
// (rt::find_kernel). Requires a verified IR; a node without a kernel is an Unsupported error
// listing every such node.
//
//   rt::Program p;
//   rt::Status s = codegen::build_program(graph, &p);
//   std::unique_ptr<rt::Executor> ex;
//   s = rt::Executor::create(&p, &ex);
#pragma once

#include "compiler/ir/graph.h"
#include "parallax/runtime/program.h"
#include "parallax/runtime/status.h"

namespace parallax::codegen {

namespace rt = ::parallax::rt;

rt::Status build_program(const ir::Graph& graph, rt::Program* out);

}  // namespace parallax::codegen
