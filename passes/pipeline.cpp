#include "passes/pipeline.h"

#include <chrono>

#include "compiler/ir/printer.h"
#include "compiler/ir/verifier.h"
#include "passes/attention_heads.h"
#include "passes/branches.h"
#include "passes/canonicalize.h"
#include "passes/concat_in_place.h"
#include "passes/dense_concat.h"
#include "passes/eliminate_dead_code.h"
#include "passes/fuse_attention.h"
#include "passes/fuse_conv_maxpool.h"
#include "passes/fuse_expand_depthwise.h"
#include "passes/layout.h"
#include "passes/place.h"
#include "passes/plan_memory.h"
#include "passes/reassociate_attention.h"
#include "passes/schedule.h"
#include "passes/serialize_for_memory.h"
#include "passes/sink_gather.h"

namespace parallax::passes {

namespace {

// A pipeline entry for a graph rewrite that cannot fail (it returns whether it changed anything).
template <bool (*Rewrite)(ir::Graph&)>
rt::Status rewrite(PassContext& c) {
  Rewrite(c.graph);
  return rt::Status::ok();
}

}  // namespace

const std::vector<PassInfo>& pipeline() {
  static const std::vector<PassInfo> passes = {
      // First: everything after it (and the memory plan) should never see work whose result
      // nobody reads. Importers and function expansion leave such nodes behind.
      {"eliminate-dead-code", "remove nodes whose outputs are never used",
       [](PassContext& c) { return eliminate_dead_code(c.graph); }},
      // canonicalize before anything plans: placement, scheduling and memory planning must see
      // the graph that will run (folded shapes, fused kernels, no copies), not the exported one.
      {"canonicalize", "fold constants, remove copies, fuse BN/bias/activations, GELU, LayerNorm",
       [](PassContext& c) { return canonicalize(c.graph); }},
      // fuse-attention after canonicalize, whose folding and copy removal expose the
      // MatMul -> Softmax -> MatMul chain, and before place, which must cost the fused node.
      {"fuse-attention",
       "MatMul [+ scale/bias/mask] + Softmax + MatMul -> com.parallax.FusedAttention",
       &rewrite<fuse_attention>},
      // reassociate-attention right after fuse-attention, whose nodes it rewrites, and before
      // place, which must cost the smaller products it leaves.
      {"reassociate-attention",
       "few queries over a long projected input: project the queries, not the keys and values",
       &rewrite<reassociate_attention>},
      // attention-heads after both attention passes, which match the split form it removes.
      {"attention-heads",
       "FusedAttention reads and writes the heads in place: no split/merge Transposes",
       &rewrite<attention_heads>},
      // sink-gather after the attention passes: it rebuilds FusedAttention in its final form.
      {"sink-gather", "run the ops in front of a Gather on the gathered rows only",
       &rewrite<sink_gather>},
      // layout right after canonicalize: it maps the fused convolutions (and needs BN already
      // folded into them), and it adds Transpose nodes, so it must precede place, after which
      // node ids are final.
      {"layout", "run conv-heavy regions in NHWC (XNNPACK); transpose only at region edges",
       [](PassContext& c) { return assign_layout(c.graph, c.options); }},
      // fuse-expand-depthwise after layout, which makes the ConvNhwc pairs it fuses, and
      // before place, which must cost the fused node.
      // fuse-conv-maxpool likewise: after layout (the ConvNhwc with nchw_input and the
      // MaxPoolNhwc it fuses), before place.
      {"fuse-conv-maxpool",
       "first ConvNhwc (NCHW image) feeding only a MaxPoolNhwc -> InputConvMaxPoolNhwc",
       &rewrite<fuse_conv_maxpool>},
      {"fuse-expand-depthwise",
       "1x1 ConvNhwc feeding only a depthwise ConvNhwc -> com.parallax.ExpandDepthwiseNhwc",
       &rewrite<fuse_expand_depthwise>},
      // dense-concat after layout (the ConvNhwc nodes it chains and their readers, with the
      // BatchNorm -> Relu layout fuses) and before place; the two Concat passes match disjoint
      // patterns (here the layer outputs have several readers, there one), so either order works.
      {"dense-concat",
       "DenseNet's growing Concats: one buffer per block, layers write and read it in place",
       &rewrite<dense_concat>},
      // concat-in-place after the NHWC fusions (a fused node is no ConvNhwc it chains) and
      // before place, whose costs and branches must see the chain instead of the Concat.
      {"concat-in-place",
       "ConvNhwc outputs joined only by a channel Concat write into its tensor; no Concat",
       &rewrite<concat_in_place>},
      // place after canonicalize: the cost model must see the fused, folded graph it will run,
      // and no later pass removes or renumbers nodes, so Plan::device stays valid.
      {"place", "choose CPU or GPU per node: backend support, offload rule, island pruning",
       [](PassContext& c) { return place(c.graph, c.plan, c.options); }},
      // branches right after place: a GPU region is one Split-Merge unit, so labels and chains
      // depend on the placement; schedule and plan-memory work on the branches.
      {"branches", "label nodes, cut maximal Sequential chains into branches, layer them",
       [](PassContext& c) { return build_branches(c.graph, c.plan); }},
      // schedule after branches and before plan-memory: it assigns processors and threads to the
      // branches and adds the serialization edges (unprofitable layers, --memory-budget) whose
      // happens-before order lets plan-memory share bytes.
      {"schedule", "processor, threads, start per branch; serialize what does not pay or fit",
       [](PassContext& c) { return schedule(c.graph, c.plan, c.options); }},
      // serialize-for-memory between schedule and plan-memory: it changes the branch DAG (so it
      // is a scheduling decision, visible with --print-after) and judges each change by the
      // memory plan it leads to; plan-memory then plans the final DAG.
      {"serialize-for-memory", "order branches whose overlap costs over 5% of arena vs sequential",
       [](PassContext& c) { return serialize_for_memory(c.graph, c.plan); }},
      // plan-memory last: lifetimes follow the happens-before relation of the final branches
      // (and any serialization edges schedule adds), so nothing after it may change the order.
      {"plan-memory", "CPU arena offsets valid under every interleaving of the branches",
       [](PassContext& c) { return plan_memory(c.graph, c.plan); }},
  };
  return passes;
}

namespace {

rt::Status check_name(const std::string& name) {
  if (name.empty()) return rt::Status::ok();
  std::string names;
  for (const PassInfo& p : pipeline()) {
    if (name == p.name) return rt::Status::ok();
    names += names.empty() ? p.name : std::string(", ") + p.name;
  }
  return rt::Status::invalid("unknown pass '" + name + "'; passes: " + names);
}

}  // namespace

rt::Status run_pipeline(ir::Graph& g, const PipelineOptions& options) {
  ir::Plan plan;
  const CompileOptions compile;
  PassContext ctx{g, plan, compile};
  return run_pipeline(ctx, options);
}

rt::Status run_pipeline(PassContext& ctx, const PipelineOptions& options) {
  ir::Graph& g = ctx.graph;
  PARALLAX_RETURN_IF_ERROR(check_name(options.stop_after));
  for (const std::string& n : options.print_after) PARALLAX_RETURN_IF_ERROR(check_name(n));
  for (const PassInfo& p : pipeline()) {
    const auto start = std::chrono::steady_clock::now();
    PARALLAX_RETURN_IF_ERROR(p.run(ctx).with_context(std::string("pass ") + p.name));
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    rt::Status v = ir::verify(g);
    if (!v.is_ok()) {
      return rt::Status::internal(std::string("pass ") + p.name +
                                  " left a malformed graph: " + v.message());
    }
    if (options.time_passes) std::fprintf(options.out, "pass %s: %.3f ms\n", p.name, ms);
    if (options.print_after.count(p.name)) {
      std::fprintf(options.out, "// IR after %s\n%s", p.name, ir::print(g).c_str());
      if (ctx.plan.placed()) {
        std::fprintf(options.out, "// plan after %s\n%s", p.name,
                     ir::print_plan(g, ctx.plan).c_str());
      }
    }
    if (options.stop_after == p.name) break;
  }
  return rt::Status::ok();
}

}  // namespace parallax::passes
