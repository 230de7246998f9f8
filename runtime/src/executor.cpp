// Sequential executor: one KernelContext implementation shared by every step, tensor storage
// that grows on demand, and recursive graph execution for control-flow bodies.
#include "parallax/runtime/executor.h"

#include <cstring>
#include <string>
#include <vector>

namespace parallax::rt {
namespace {

// Storage of one tensor id: the view kernels see and the bytes behind it.
struct Slot {
  Tensor view;
  AlignedBytes bytes;
  bool written = false;  // set when a step (or set_input) produced it in the current run
};

}  // namespace

struct Executor::State {
  const Program* program = nullptr;
  std::vector<Slot> slots;
  std::vector<AlignedBytes> scratch;  // one per graph-step, indexed by step_base[graph] + step
  std::vector<size_t> step_base;

  Status run_graph(int graph);
};

namespace {

class Context final : public KernelContext {
 public:
  Context(Executor::State* st, const Step* step, AlignedBytes* scratch)
      : st_(st), step_(step), scratch_(scratch) {}

  int input_count() const override { return static_cast<int>(step_->inputs.size()); }
  const Tensor* input(int i) const override {
    if (i < 0 || i >= input_count()) return nullptr;
    int32_t id = step_->inputs[i];
    return id < 0 ? nullptr : &st_->slots[id].view;
  }
  int output_count() const override { return static_cast<int>(step_->outputs.size()); }
  bool output_wanted(int i) const override {
    return i >= 0 && i < output_count() && step_->output_wanted[i];
  }
  Status allocate_output(int i, DType dtype, const Shape& shape, Tensor** out) override {
    if (i < 0 || i >= output_count()) {
      return Status::internal("output " + std::to_string(i) + " does not exist");
    }
    for (int d = 0; d < shape.rank; ++d) {
      if (shape.dims[d] < 0) return Status::invalid("negative dimension in output shape " + shape.to_string());
    }
    Slot& slot = st_->slots[step_->outputs[i]];
    const TensorInfo& info = st_->program->tensors[step_->outputs[i]];
    size_t bytes = static_cast<size_t>(shape.numel()) * dtype_size(dtype);
    if (info.max_bytes != 0 && bytes > info.max_bytes) {
      return Status::out_of_range("output '" + info.name + "' needs " + std::to_string(bytes) +
                                  " bytes, more than its planned bound of " +
                                  std::to_string(info.max_bytes));
    }
    // Keep at least one byte so data is never null, even for empty tensors.
    if (slot.bytes.size() < bytes || slot.bytes.empty()) slot.bytes.resize(bytes ? bytes : 1);
    slot.view.dtype = dtype;
    slot.view.shape = shape;
    slot.view.data = slot.bytes.data();
    slot.written = true;
    *out = &slot.view;
    return Status::ok();
  }
  void* scratch(size_t bytes) override {
    if (scratch_->size() < bytes) scratch_->resize(bytes);
    return scratch_->data();
  }
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
                   const Tensor** outputs) override {
    const Program& p = *st_->program;
    if (graph < 0 || graph >= static_cast<int>(p.graphs.size())) {
      return Status::internal("graph " + std::to_string(graph) + " does not exist");
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
      fresh[k].resize(bytes ? bytes : 1);
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

 private:
  Executor::State* st_;
  const Step* step_;
  AlignedBytes* scratch_;
};

std::string step_context(const Step& s) {
  return "node '" + s.name + "' (" + (s.domain.empty() ? "" : s.domain + ".") + s.op_type + ")";
}

}  // namespace

Status Executor::State::run_graph(int graph) {
  const GraphProgram& g = program->graphs[graph];
  for (size_t k = 0; k < g.steps.size(); ++k) {
    const Step& step = g.steps[k];
    for (int32_t id : step.inputs) {
      if (id >= 0 && !slots[id].written) {
        return Status::internal("tensor '" + program->tensors[id].name +
                                "' is read before it is written")
            .with_context(step_context(step));
      }
    }
    Context ctx(this, &step, &scratch[step_base[graph] + k]);
    Status s = kernel_table()[step.kernel].run(ctx);
    if (!s.is_ok()) return s.with_context(step_context(step));
    for (size_t o = 0; o < step.outputs.size(); ++o) {
      if (!slots[step.outputs[o]].written) {
        return Status::internal("kernel did not produce output " + std::to_string(o))
            .with_context(step_context(step));
      }
    }
  }
  for (int32_t id : g.outputs) {
    if (!slots[id].written) {
      return Status::internal("graph output '" + program->tensors[id].name + "' was not produced");
    }
  }
  return Status::ok();
}

Status Executor::create(const Program* program, std::unique_ptr<Executor>* out) {
  if (program == nullptr || program->graphs.empty()) return Status::invalid("empty program");
  const int n_tensors = static_cast<int>(program->tensors.size());
  const int n_kernels = static_cast<int>(kernel_table().size());
  auto st = std::make_unique<State>();
  st->program = program;
  st->slots.resize(n_tensors);
  size_t total_steps = 0;
  for (const GraphProgram& g : program->graphs) {
    st->step_base.push_back(total_steps);
    total_steps += g.steps.size();
    auto check_id = [&](int32_t id, bool allow_absent) {
      return (allow_absent && id == -1) || (id >= 0 && id < n_tensors);
    };
    for (int32_t id : g.inputs)
      if (!check_id(id, false)) return Status::internal("graph input id out of range");
    for (int32_t id : g.outputs)
      if (!check_id(id, false)) return Status::internal("graph output id out of range");
    for (const Step& s : g.steps) {
      if (s.kernel < 0 || s.kernel >= n_kernels) {
        return Status::unsupported("no kernel").with_context(step_context(s));
      }
      if (s.output_wanted.size() != s.outputs.size()) {
        return Status::internal("output_wanted size mismatch").with_context(step_context(s));
      }
      for (int32_t id : s.inputs)
        if (!check_id(id, true)) return Status::internal("input id out of range").with_context(step_context(s));
      for (int32_t id : s.outputs)
        if (!check_id(id, false)) return Status::internal("output id out of range").with_context(step_context(s));
    }
  }
  st->scratch.resize(total_steps);
  // Constants point into the program's weights for the executor's whole life.
  for (int id = 0; id < n_tensors; ++id) {
    const TensorInfo& info = program->tensors[id];
    if (info.kind != TensorKind::kConstant) continue;
    Slot& slot = st->slots[id];
    slot.view.dtype = info.dtype;
    if (!Shape::from(info.shape.data(), static_cast<int>(info.shape.size()), &slot.view.shape)) {
      return Status::unsupported("constant '" + info.name + "' has rank " +
                                 std::to_string(info.shape.size()) + ", more than " +
                                 std::to_string(kMaxRank));
    }
    size_t bytes = slot.view.nbytes();
    if (info.weight_offset + bytes > program->weights.size()) {
      return Status::internal("constant '" + info.name + "' lies outside the weights blob");
    }
    slot.view.data = const_cast<uint8_t*>(program->weights.data() + info.weight_offset);
    slot.written = true;
  }
  out->reset(new Executor());
  (*out)->state_ = std::move(st);
  return Status::ok();
}

Executor::~Executor() = default;

int Executor::input_count() const { return static_cast<int>(state_->program->main().inputs.size()); }
int Executor::output_count() const { return static_cast<int>(state_->program->main().outputs.size()); }
const TensorInfo& Executor::input_info(int i) const {
  return state_->program->tensors[state_->program->main().inputs[i]];
}
const TensorInfo& Executor::output_info(int i) const {
  return state_->program->tensors[state_->program->main().outputs[i]];
}

Status Executor::set_input(int i, const Tensor& t) {
  if (i < 0 || i >= input_count()) return Status::invalid("input index " + std::to_string(i) + " out of range");
  const TensorInfo& info = input_info(i);
  if (t.dtype != info.dtype) {
    return Status::invalid(std::string("input '") + info.name + "' expects " + dtype_name(info.dtype) +
                           ", got " + dtype_name(t.dtype));
  }
  if (info.rank_known) {
    bool ok = t.shape.rank == static_cast<int>(info.shape.size());
    for (int d = 0; ok && d < t.shape.rank; ++d) ok = info.shape[d] < 0 || info.shape[d] == t.shape.dims[d];
    if (!ok) {
      std::string want = "[";
      for (size_t d = 0; d < info.shape.size(); ++d) {
        want += (d ? ", " : "") + (info.shape[d] < 0 ? std::string("?") : std::to_string(info.shape[d]));
      }
      return Status::invalid("input '" + info.name + "' expects shape " + want + "], got " +
                             t.shape.to_string());
    }
  }
  Slot& slot = state_->slots[state_->program->main().inputs[i]];
  slot.view = t;
  slot.written = true;
  return Status::ok();
}

Status Executor::run() {
  // Forget what the previous run produced so a read-before-write is caught, not served stale.
  for (size_t id = 0; id < state_->slots.size(); ++id) {
    const TensorInfo& info = state_->program->tensors[id];
    if (info.kind == TensorKind::kIntermediate) state_->slots[id].written = false;
  }
  for (int32_t id : state_->program->main().inputs) {
    if (!state_->slots[id].written) {
      return Status::invalid("input '" + state_->program->tensors[id].name + "' was not set");
    }
  }
  return state_->run_graph(0);
}

const Tensor& Executor::output(int i) const {
  return state_->slots[state_->program->main().outputs[i]].view;
}

}  // namespace parallax::rt
