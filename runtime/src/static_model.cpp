#include "parallax/runtime/static_model.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "parallax/runtime/kernel.h"

namespace parallax::rt {
namespace {

// Copies pool[at, at + count) after checking the range (a hand-edited table must not crash).
template <typename T, typename U>
Status take(const char* what, const T* pool, int32_t count, int32_t at, std::vector<U>* out) {
  if (count < 0 || at < 0 || (count > 0 && pool == nullptr)) {
    return Status::invalid(std::string("static model: bad ") + what + " list");
  }
  if (count == 0) {
    out->clear();
    return Status::ok();
  }
  out->assign(pool + at, pool + at + count);
  return Status::ok();
}

Status build_attr(const StaticModel& m, const StaticAttr& a, Attribute* out) {
  out->name = a.name;
  out->kind = a.kind;
  out->f = a.f;
  out->i = a.i;
  out->s.assign(a.s.data, a.s.size);
  out->tensor = a.tensor;
  out->graph = a.graph;
  switch (a.kind) {
    case Attribute::Kind::kFloats:
      return take("float", m.floats, a.count, a.at, &out->floats);
    case Attribute::Kind::kInts:
      return take("int", m.ints, a.count, a.at, &out->ints);
    case Attribute::Kind::kStrings: {
      std::vector<StaticString> strs;
      PARALLAX_RETURN_IF_ERROR(take("string", m.strings, a.count, a.at, &strs));
      for (const StaticString& s : strs) out->strings.emplace_back(s.data, s.size);
      return Status::ok();
    }
    default:
      return Status::ok();
  }
}

Status build_step(const StaticModel& m, const StaticStep& src, Step* s, std::string* missing) {
  s->name = src.name;
  s->op_type = src.op_type;
  s->domain = src.domain;
  s->opset = src.opset;
  s->kernel = find_kernel(s->domain, s->op_type, s->opset);
  if (s->kernel < 0) {
    *missing += std::string(missing->empty() ? "" : ", ") + "node '" + s->name + "' (" +
                (s->domain.empty() ? "" : s->domain + ".") + s->op_type + " opset " +
                std::to_string(s->opset) + ")";
  }
  PARALLAX_RETURN_IF_ERROR(take("input", m.ids, src.input_count, src.inputs, &s->inputs));
  std::vector<int32_t> outs;
  PARALLAX_RETURN_IF_ERROR(take("output", m.ids, src.output_count, src.outputs, &outs));
  for (int32_t o : outs) {
    s->outputs.push_back(o < 0 ? ~o : o);
    s->output_wanted.push_back(o >= 0);
  }
  std::vector<StaticAttr> attrs;
  PARALLAX_RETURN_IF_ERROR(take("attribute", m.attrs, src.attr_count, src.attrs, &attrs));
  s->attributes.resize(attrs.size());
  for (size_t k = 0; k < attrs.size(); ++k) {
    PARALLAX_RETURN_IF_ERROR(build_attr(m, attrs[k], &s->attributes[k]));
  }
  s->processor = src.processor;
  s->branch = src.branch;
  return Status::ok();
}

}  // namespace

Status build_static_program(const StaticModel& m, const uint8_t* weights, Program* out) {
  Program p;
  p.tensors.resize(static_cast<size_t>(m.tensor_count));
  for (int32_t t = 0; t < m.tensor_count; ++t) {
    const StaticTensor& src = m.tensors[t];
    TensorInfo& info = p.tensors[static_cast<size_t>(t)];
    info.name = src.name;
    info.dtype = src.dtype;
    info.kind = src.kind;
    info.rank_known = src.rank >= 0;
    if (info.rank_known)
      PARALLAX_RETURN_IF_ERROR(take("shape", m.ints, src.rank, src.shape, &info.shape));
    info.weight_offset = src.weight_offset;
    info.max_bytes = src.max_bytes;
    info.arena_offset = src.arena_offset;
  }
  std::string missing;
  p.graphs.resize(static_cast<size_t>(m.graph_count));
  for (int32_t g = 0; g < m.graph_count; ++g) {
    const StaticGraph& src = m.graphs[g];
    GraphProgram& gp = p.graphs[static_cast<size_t>(g)];
    gp.name = src.name;
    PARALLAX_RETURN_IF_ERROR(take("graph input", m.ids, src.input_count, src.inputs, &gp.inputs));
    PARALLAX_RETURN_IF_ERROR(
        take("graph output", m.ids, src.output_count, src.outputs, &gp.outputs));
    gp.steps.resize(static_cast<size_t>(src.step_count));
    for (int32_t k = 0; k < src.step_count; ++k) {
      PARALLAX_RETURN_IF_ERROR(
          build_step(m, src.steps[k], &gp.steps[static_cast<size_t>(k)], &missing));
    }
  }
  if (!missing.empty()) {
    return Status::unsupported(std::string("model '") + m.name +
                               "': this runtime has no kernel for " + missing);
  }
  for (int32_t b = 0; b < m.branch_count; ++b) {
    const StaticBranch& src = m.branches[b];
    BranchProgram br;
    PARALLAX_RETURN_IF_ERROR(take("branch step", m.ids, src.step_count, src.steps, &br.steps));
    PARALLAX_RETURN_IF_ERROR(take("branch successor", m.ids, src.succ_count, src.succs, &br.succs));
    br.pred_count = src.pred_count;
    br.processor = src.processor;
    br.threads = src.threads;
    p.branches.push_back(std::move(br));
  }
  for (int32_t k = 0; k < m.processor_count; ++k) {
    const StaticProcessor& src = m.processors[k];
    p.processors.push_back({src.name, src.gpu, src.cores, src.speed});
  }
  p.arena_bytes = m.arena_bytes;
  p.weights_view = weights;
  p.weights_view_bytes = m.weights_bytes;
  *out = std::move(p);
  return Status::ok();
}

Status ModelInstance::create(const StaticModel& model, const uint8_t* weights,
                             const ModelOptions& options, std::unique_ptr<ModelInstance>* out) {
  std::unique_ptr<ModelInstance> inst(new ModelInstance());
  if (weights == nullptr) {
    if (options.weights_path.empty()) {
      return Status::invalid(std::string("model '") + model.name +
                             "' reads its weights from a file: set ModelOptions::weights_path");
    }
    PARALLAX_RETURN_IF_ERROR(MappedFile::open(options.weights_path, &inst->file_));
    if (inst->file_.size() < model.weights_bytes ||
        weights_checksum(inst->file_.data(), model.weights_bytes) != model.weights_checksum) {
      return Status::invalid("weights file '" + options.weights_path +
                             "' does not belong to model '" + model.name +
                             "' (size or checksum differs; regenerate both together)");
    }
    weights = inst->file_.data();
  }
  PARALLAX_RETURN_IF_ERROR(build_static_program(model, weights, &inst->program_));
  PARALLAX_RETURN_IF_ERROR(Executor::create(&inst->program_, options.executor, &inst->executor_));
  *out = std::move(inst);
  return Status::ok();
}

Status ModelInstance::run(const Tensor* inputs) {
  for (int i = 0; i < executor_->input_count(); ++i) {
    PARALLAX_RETURN_IF_ERROR(executor_->set_input(i, inputs[i]));
  }
  return executor_->run();
}

namespace {

// The static shape of `info` as a Shape; false when a dimension or the rank is not static.
bool static_shape(const TensorInfo& info, Shape* out) {
  if (!info.rank_known) return false;
  for (int64_t d : info.shape)
    if (d < 0) return false;
  return Shape::from(info.shape.data(), static_cast<int>(info.shape.size()), out);
}

}  // namespace

Status ModelInstance::run(const void* const* inputs, void* const* outputs) {
  std::vector<Tensor> views(static_cast<size_t>(executor_->input_count()));
  for (size_t i = 0; i < views.size(); ++i) {
    const TensorInfo& info = executor_->input_info(static_cast<int>(i));
    if (!static_shape(info, &views[i].shape)) {
      return Status::invalid("input '" + info.name +
                             "' has no static shape; use run(const Tensor*)");
    }
    views[i].dtype = info.dtype;
    views[i].data = const_cast<void*>(inputs[i]);
  }
  PARALLAX_RETURN_IF_ERROR(run(views.data()));
  for (int k = 0; k < executor_->output_count(); ++k) {
    if (outputs == nullptr || outputs[k] == nullptr) continue;
    const TensorInfo& info = executor_->output_info(k);
    const Tensor& t = executor_->output(k);
    Shape want;
    if (!static_shape(info, &want) || t.shape != want || t.dtype != info.dtype) {
      return Status::invalid("output '" + info.name + "' has shape " + t.shape.to_string() +
                             ", not a static one the caller's buffer was sized for; use output()");
    }
    if (t.nbytes() > 0) std::memcpy(outputs[k], t.data, t.nbytes());
  }
  return Status::ok();
}

}  // namespace parallax::rt
