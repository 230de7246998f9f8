#include "codegen/program_builder.h"

#include <algorithm>
#include <string>
#include <vector>

#include "parallax/runtime/kernel.h"

namespace parallax::codegen {
namespace {

constexpr size_t kWeightAlign = 64;

rt::TensorInfo tensor_info(const ir::Value& v) {
  rt::TensorInfo t;
  t.name = v.name;
  t.dtype = v.dtype;
  t.shape = v.rank_known ? v.dims : std::vector<int64_t>{};
  t.rank_known = v.rank_known;
  return t;
}

size_t align_weight(size_t offset) {
  return (offset + kWeightAlign - 1) / kWeightAlign * kWeightAlign;
}

// Appends the constant's bytes to p->weights, which has room for them (see reserve_weights).
rt::Status place_constant(const ir::Value& v, rt::Program* p, rt::TensorInfo* t) {
  const int64_t n = ir::static_numel(v);
  if (n < 0 || static_cast<size_t>(n) * rt::dtype_size(v.dtype) != v.data.size()) {
    return rt::Status::internal("constant '" + v.name + "' has " + std::to_string(v.data.size()) +
                                " bytes, which does not match its dtype and shape");
  }
  const size_t offset = align_weight(p->weights.size());
  p->weights.resize(offset);  // the padding: at most kWeightAlign - 1 zero bytes
  p->weights.insert(p->weights.end(), v.data.begin(), v.data.end());
  t->kind = rt::TensorKind::kConstant;
  t->weight_offset = offset;
  return rt::Status::ok();
}

// Reserves the whole blob up front: growing it by doubling would hold the old and the new
// buffer at once, and reserve (unlike resize) leaves the pages untouched until the bytes are
// copied in, so a constant freed right after its copy (the consuming build) keeps the peak at
// one copy of the weights.
void reserve_weights(const ir::Graph& g, rt::Program* p) {
  size_t total = 0;
  for (const ir::Value& v : g.values) {
    if (v.is_constant) total = align_weight(total) + v.data.size();
  }
  p->weights.reserve(total);
}

std::string label(const ir::Node& n) {
  return "node '" + n.name + "' (" + (n.domain.empty() ? "" : n.domain + ".") + n.op_type + ")";
}

// Copies the plan's branches, processors and memory plan (see the header).
rt::Status copy_plan(const ir::Graph& g, const ir::Plan& plan, rt::Program* p) {
  std::vector<int32_t> step_of(g.nodes.size(), -1);
  const std::vector<ir::NodeId>& main_nodes = g.regions[0].nodes;
  for (size_t k = 0; k < main_nodes.size(); ++k) step_of[main_nodes[k]] = static_cast<int32_t>(k);
  for (const ir::Processor& proc : plan.processors) {
    p->processors.push_back({proc.name, proc.gpu, proc.cores, proc.speed});
  }
  for (size_t b = 0; plan.has_branches() && b < plan.branches.size(); ++b) {
    const ir::Branch& src = plan.branches[b];
    rt::BranchProgram dst;
    for (ir::NodeId n : src.nodes) {
      if (n < 0 || n >= static_cast<ir::NodeId>(g.nodes.size()) || step_of[n] < 0) {
        return rt::Status::internal("plan branch " + std::to_string(b) + " lists node " +
                                    std::to_string(n) + ", which is not in the main graph");
      }
      dst.steps.push_back(step_of[n]);
      rt::Step& step = p->graphs[0].steps[step_of[n]];
      step.branch = static_cast<int32_t>(b);
      step.processor = plan.scheduled() ? std::max(src.processor, 0) : 0;
    }
    dst.succs.assign(src.succs.begin(), src.succs.end());
    dst.pred_count = static_cast<int32_t>(src.preds.size());
    dst.processor = plan.scheduled() ? std::max(src.processor, 0) : 0;
    dst.threads = plan.scheduled() ? src.threads : 1;
    p->branches.push_back(std::move(dst));
  }
  if (!plan.memory_planned()) return rt::Status::ok();
  const ir::MemoryPlan& m = plan.memory;
  for (size_t v = 0; v < m.offset.size() && v < g.values.size(); ++v) {
    // An empty value needs no bytes: it stays out of the arena (the executor gives it a stub).
    if (m.offset[v] == ir::MemoryPlan::kNotInArena || m.bytes[v] == 0) continue;
    rt::TensorInfo& t = p->tensors[v];
    t.arena_offset = m.offset[v];
    t.max_bytes = m.bytes[v];
  }
  p->arena_bytes = m.arena_bytes;
  return rt::Status::ok();
}

// `consumed`: null, or &g when the caller gave the graph up (its constants' bytes are freed as
// they are copied).
rt::Status build(const ir::Graph& g, const ir::Plan& plan, ir::Graph* consumed, rt::Program* out) {
  rt::Program p;
  p.tensors.reserve(g.values.size());
  reserve_weights(g, &p);
  for (size_t id = 0; id < g.values.size(); ++id) {
    const ir::Value& v = g.values[id];
    rt::TensorInfo t = tensor_info(v);
    if (v.is_constant) PARALLAX_RETURN_IF_ERROR(place_constant(v, &p, &t));
    if (consumed != nullptr) std::vector<uint8_t>().swap(consumed->values[id].data);
    p.tensors.push_back(std::move(t));
  }
  for (const ir::Region& r : g.regions) {
    for (ir::ValueId id : r.inputs) p.tensors[id].kind = rt::TensorKind::kInput;
  }
  std::string unsupported;
  p.graphs.resize(g.regions.size());
  for (size_t ri = 0; ri < g.regions.size(); ++ri) {
    const ir::Region& r = g.regions[ri];
    rt::GraphProgram& gp = p.graphs[ri];
    gp.name = r.name;
    gp.inputs.assign(r.inputs.begin(), r.inputs.end());
    gp.outputs.assign(r.outputs.begin(), r.outputs.end());
    for (ir::NodeId nid : r.nodes) {
      const ir::Node& n = g.nodes[nid];
      rt::Step s;
      s.kernel = rt::find_kernel(n.domain, n.op_type, n.opset);
      if (s.kernel < 0) unsupported += (unsupported.empty() ? "" : ", ") + label(n);
      s.name = n.name;
      s.op_type = n.op_type;
      s.domain = n.domain;
      s.opset = n.opset;
      s.inputs.assign(n.inputs.begin(), n.inputs.end());
      // Trailing omitted inputs are not input slots at all (KernelContext::input_count).
      while (!s.inputs.empty() && s.inputs.back() < 0) s.inputs.pop_back();
      for (size_t k = 0; k < n.outputs.size(); ++k) {
        const ir::ValueId o = n.outputs[k];
        if (o >= 0) {
          s.outputs.push_back(o);
          s.output_wanted.push_back(true);
          continue;
        }
        // The kernel may still write an omitted output; give it a tensor nobody reads.
        rt::TensorInfo anon;
        anon.name = n.name + ".unused_output" + std::to_string(k);
        s.outputs.push_back(static_cast<int32_t>(p.tensors.size()));
        s.output_wanted.push_back(false);
        p.tensors.push_back(std::move(anon));
      }
      s.attributes = n.attrs;
      gp.steps.push_back(std::move(s));
    }
  }
  if (!unsupported.empty()) return rt::Status::unsupported("unsupported operators: " + unsupported);
  PARALLAX_RETURN_IF_ERROR(copy_plan(g, plan, &p));
  *out = std::move(p);
  return rt::Status::ok();
}

}  // namespace

rt::Status build_program(const ir::Graph& g, rt::Program* out) {
  return build(g, ir::Plan{}, nullptr, out);
}

rt::Status build_program(const ir::Graph& g, const ir::Plan& plan, rt::Program* out) {
  return build(g, plan, nullptr, out);
}

rt::Status build_program(ir::Graph&& g, const ir::Plan& plan, rt::Program* out) {
  return build(g, plan, &g, out);
}

}  // namespace parallax::codegen
