// The KernelContext a step's kernel sees, and running one step or one control-flow body.
#include <pthreadpool.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "executor_state.h"

namespace parallax::rt {
namespace {

class Context final : public KernelContext {
 public:
  Context(Executor::State* st, const Step* step, StepData* data, bool preparing)
      : st_(st), step_(step), data_(data), preparing_(preparing) {}

  int input_count() const override { return static_cast<int>(step_->inputs.size()); }
  const Tensor* input(int i) const override {
    if (i < 0 || i >= input_count()) return nullptr;
    const int32_t id = step_->inputs[i];
    if (id < 0) return nullptr;
    if (preparing_ && st_->program->tensors[id].kind != TensorKind::kConstant) return nullptr;
    return &st_->slots[id].view;
  }
  const TensorInfo* input_info(int i) const override {
    if (i < 0 || i >= input_count() || step_->inputs[i] < 0) return nullptr;
    return &st_->program->tensors[step_->inputs[i]];
  }
  int output_count() const override { return static_cast<int>(step_->outputs.size()); }
  const TensorInfo* output_info(int i) const override {
    if (i < 0 || i >= output_count()) return nullptr;
    return &st_->program->tensors[step_->outputs[i]];
  }
  bool output_wanted(int i) const override {
    return i >= 0 && i < output_count() && step_->output_wanted[i];
  }
  Status allocate_output(int i, DType dtype, const Shape& shape, Tensor** out) override;
  void* scratch(size_t bytes) override {
    if (data_->scratch.size() < bytes) data_->scratch.resize(bytes);
    return data_->scratch.data();
  }
  void*& state() override { return data_->state; }
  void input_packed(int i) override {
    if (preparing_ && i >= 0 && i < input_count()) release_constant_reader(*st_, step_->inputs[i]);
  }
  ::pthreadpool* threadpool() const override { return data_->pool; }
  int threads() const override { return data_->threads; }
  const Step& step() const override { return *step_; }
  const Tensor* attr_tensor(std::string_view name) const override {
    const Attribute* a = attr(name);
    if (!a || a->tensor < 0) return nullptr;
    return &st_->slots[a->tensor].view;
  }
  int graph_input_count(int graph) const override {
    return static_cast<int>(st_->program->graphs[graph].inputs.size());
  }
  int graph_output_count(int graph) const override {
    return static_cast<int>(st_->program->graphs[graph].outputs.size());
  }
  Status run_graph(int graph, const Tensor* const* inputs, int input_count,
                   const Tensor** outputs) override;

 private:
  Executor::State* st_;
  const Step* step_;
  StepData* data_;
  bool preparing_;
};

Status Context::allocate_output(int i, DType dtype, const Shape& shape, Tensor** out) {
  if (i < 0 || i >= output_count()) {
    return Status::internal("output " + std::to_string(i) + " does not exist");
  }
  if (preparing_) return Status::internal("allocate_output called during prepare");
  for (int d = 0; d < shape.rank; ++d) {
    if (shape.dims[d] < 0) {
      return Status::invalid("negative dimension in output shape " + shape.to_string());
    }
  }
  Slot& slot = st_->slots[step_->outputs[i]];
  const TensorInfo& info = st_->program->tensors[step_->outputs[i]];
  const size_t bytes = static_cast<size_t>(shape.numel()) * dtype_size(dtype);
  if (info.max_bytes != 0 && bytes > info.max_bytes) {
    return Status::out_of_range("output '" + info.name + "' needs " + std::to_string(bytes) +
                                " bytes, more than its planned bound of " +
                                std::to_string(info.max_bytes));
  }
  if (slot.arena != nullptr) {
    slot.view.data = slot.arena;
  } else {
    // Keep at least one byte so data is never null, even for empty tensors.
    if (slot.bytes.size() < bytes || slot.bytes.empty()) slot.bytes.resize(bytes + kReadSlackBytes);
    slot.view.data = slot.bytes.data();
  }
  slot.view.dtype = dtype;
  slot.view.shape = shape;
  slot.written = true;
  *out = &slot.view;
  return Status::ok();
}

Status Context::run_graph(int graph, const Tensor* const* inputs, int input_count,
                          const Tensor** outputs) {
  if (preparing_) return Status::internal("run_graph called during prepare");
  const Program& p = *st_->program;
  if (graph <= 0 || graph >= static_cast<int>(p.graphs.size())) {
    return Status::internal("graph " + std::to_string(graph) + " is not a subgraph");
  }
  const GraphProgram& g = p.graphs[graph];
  if (input_count != static_cast<int>(g.inputs.size())) {
    return Status::invalid("subgraph '" + g.name + "' takes " + std::to_string(g.inputs.size()) +
                           " inputs, got " + std::to_string(input_count));
  }
  // Copy every input before binding any: the caller's views may point at this graph's own
  // previous outputs, and an output may be another formal input (a body that swaps two
  // loop-carried values), so binding while copying would read overwritten bytes.
  std::vector<AlignedBytes> fresh(static_cast<size_t>(input_count));
  std::vector<Tensor> meta(static_cast<size_t>(input_count));
  for (int k = 0; k < input_count; ++k) {
    meta[k] = *inputs[k];
    const size_t bytes = inputs[k]->nbytes();
    fresh[k].resize(bytes + kReadSlackBytes);
    if (bytes) std::memcpy(fresh[k].data(), inputs[k]->data, bytes);
  }
  for (int k = 0; k < input_count; ++k) {
    Slot& slot = st_->slots[g.inputs[k]];
    slot.bytes.swap(fresh[k]);
    slot.view.dtype = meta[k].dtype;
    slot.view.shape = meta[k].shape;
    slot.view.data = slot.bytes.data();
    slot.written = true;
  }
  PARALLAX_RETURN_IF_ERROR(st_->run_graph(graph));
  for (size_t k = 0; k < g.outputs.size(); ++k) outputs[k] = &st_->slots[g.outputs[k]].view;
  return Status::ok();
}

}  // namespace

std::string step_context(const Step& s) {
  return "node '" + s.name + "' (" + (s.domain.empty() ? "" : s.domain + ".") + s.op_type + ")";
}

int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Status Executor::State::run_step(int graph, size_t k) {
  const Step& step = program->graphs[graph].steps[k];
  for (int32_t id : step.inputs) {
    if (id >= 0 && !slots[id].written) {
      return Status::internal("tensor '" + program->tensors[id].name +
                              "' is read before it is written")
          .with_context(step_context(step));
    }
  }
  Context ctx(this, &step, &steps[step_base[graph] + k], /*preparing=*/false);
  Status s = kernel_table()[step.kernel].run(ctx);
  if (!s.is_ok()) return s.with_context(step_context(step));
  for (size_t o = 0; o < step.outputs.size(); ++o) {
    if (!slots[step.outputs[o]].written) {
      return Status::internal("kernel did not produce output " + std::to_string(o))
          .with_context(step_context(step));
    }
  }
  return Status::ok();
}

Status Executor::State::run_graph(int graph) {
  const GraphProgram& g = program->graphs[graph];
  for (size_t k = 0; k < g.steps.size(); ++k) PARALLAX_RETURN_IF_ERROR(run_step(graph, k));
  for (int32_t id : g.outputs) {
    if (!slots[id].written) {
      return Status::internal("graph output '" + program->tensors[id].name + "' was not produced");
    }
  }
  return Status::ok();
}

Status prepare_steps(Executor::State& st) {
  const Program& p = *st.program;
  count_constant_readers(st);
  for (size_t gi = 0; gi < p.graphs.size(); ++gi) {
    const GraphProgram& g = p.graphs[gi];
    for (size_t k = 0; k < g.steps.size(); ++k) {
      const KernelDef& def = kernel_table()[g.steps[k].kernel];
      if (def.prepare == nullptr) continue;
      Context ctx(&st, &g.steps[k], &st.steps[st.step_base[gi] + k], /*preparing=*/true);
      Status s = def.prepare(ctx);
      if (!s.is_ok()) return s.with_context(step_context(g.steps[k]));
    }
  }
  return Status::ok();
}

Executor::State::~State() {
  // `steps` is sized only once create() has validated every kernel index.
  if (!steps.empty()) {
    for (size_t gi = 0; gi < program->graphs.size(); ++gi) {
      const GraphProgram& g = program->graphs[gi];
      for (size_t k = 0; k < g.steps.size(); ++k) {
        void* state = steps[step_base[gi] + k].state;
        const KernelDef& def = kernel_table()[g.steps[k].kernel];
        if (state != nullptr && def.release != nullptr) def.release(state);
      }
    }
  }
  // Workers are joined before the teams whose jobs they might still be helping with go away.
  workers.reset();
  teams.clear();
}

}  // namespace parallax::rt
