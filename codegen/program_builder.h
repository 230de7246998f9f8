// Lowers the IR to the runtime's Program (parallax/runtime/program.h), in memory.
//
// Values become one flat tensor table (ids are kept: tensor i is value i, plus one anonymous
// tensor per omitted optional output); constants are packed into Program::weights, each
// 64-byte aligned; region r becomes graphs[r]; nodes become steps bound to their kernel
// (rt::find_kernel). Requires a verified IR; a node without a kernel is an Unsupported error
// listing every such node.
//
// With a plan (the one the pipeline filled for this graph), the plan is copied too: its
// branches become Program::branches (node ids -> main-graph step indices; preds -> pred_count),
// its processors Program::processors, and each step records its branch and processor; the
// memory plan gives in-arena values their TensorInfo::arena_offset, max_bytes (the reserved
// bytes) and Program::arena_bytes. Whatever part of the plan is empty stays empty: without
// branches the executor runs every step as one branch, without a memory plan every tensor
// grows on demand. Branch threads are taken only from a scheduled plan (else 1).
//
//   rt::Program p;
//   rt::Status s = codegen::build_program(graph, plan, &p);
//   std::unique_ptr<rt::Executor> ex;
//   s = rt::Executor::create(&p, rt::ExecutorOptions{}, &ex);
#pragma once

#include "compiler/ir/graph.h"
#include "compiler/ir/plan.h"
#include "parallax/runtime/program.h"
#include "parallax/runtime/status.h"

namespace parallax::codegen {

namespace rt = ::parallax::rt;

rt::Status build_program(const ir::Graph& graph, const ir::Plan& plan, rt::Program* out);

// The same without a plan: one branch, no arena.
rt::Status build_program(const ir::Graph& graph, rt::Program* out);

// The same, taking the constants' bytes out of `graph` (each is freed as soon as it is copied
// into Program::weights), so that the weights are held once, not twice; afterwards `graph` has
// no constant data and is fit only to be destroyed. parallax-run builds its Program this way.
rt::Status build_program(ir::Graph&& graph, const ir::Plan& plan, rt::Program* out);

}  // namespace parallax::codegen
