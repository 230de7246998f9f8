// Kernels: the interface every operator implementation follows, and the kernel table.
//
// A kernel is one function, `Status run(KernelContext&)`. It reads its inputs and attributes
// from the context, computes each output's shape (shapes are known at run time, so the same
// kernel serves static and data-dependent shapes), asks the context for the output buffer with
// allocate_output(), and fills it. It returns a Status instead of throwing; the executor adds
// the node name and op to any error message, so kernels only say what is wrong:
//
//   Status run_relu(KernelContext& ctx) {
//     const Tensor* x = ctx.input(0);
//     Tensor* y = nullptr;
//     PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, x->shape, &y));
//     ...
//   }
//
// Kernels are registered in one table (runtime/kernels/kernel_table.cpp, which includes the
// per-family lists runtime/kernels/<family>/kernels.def). See runtime/kernels/TEMPLATE.cpp.
//
// Threading: a KernelContext belongs to one executor and is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parallax/runtime/program.h"
#include "parallax/runtime/status.h"
#include "parallax/runtime/tensor.h"

namespace parallax::rt {

class KernelContext {
 public:
  virtual ~KernelContext() = default;

  // --- inputs -----------------------------------------------------------------------------
  // Number of input slots of the node (trailing omitted inputs are not counted).
  virtual int input_count() const = 0;
  // nullptr for an omitted optional input or an index >= input_count().
  virtual const Tensor* input(int i) const = 0;

  // --- outputs ----------------------------------------------------------------------------
  virtual int output_count() const = 0;
  // False when the model left this optional output unnamed; the kernel may skip computing it,
  // but allocate_output() still works for it.
  virtual bool output_wanted(int i) const = 0;
  // Gives output `i` its dtype and shape and returns its buffer in *out. The buffer's contents
  // are unspecified. Fails with kOutOfRange when the shape exceeds a planned bound.
  virtual Status allocate_output(int i, DType dtype, const Shape& shape, Tensor** out) = 0;

  // --- scratch ----------------------------------------------------------------------------
  // A per-step temporary buffer of at least `bytes` bytes, 64-byte aligned, valid until the
  // kernel returns. Repeated calls in one run return the same buffer (grown if needed).
  virtual void* scratch(size_t bytes) = 0;

  // --- node facts -------------------------------------------------------------------------
  virtual const Step& step() const = 0;
  int opset() const { return step().opset; }
  const std::string& op_type() const { return step().op_type; }

  // --- attributes -------------------------------------------------------------------------
  const Attribute* attr(std::string_view name) const {
    for (const Attribute& a : step().attributes)
      if (a.name == name) return &a;
    return nullptr;
  }
  bool has_attr(std::string_view name) const { return attr(name) != nullptr; }
  int64_t attr_int(std::string_view name, int64_t def) const {
    const Attribute* a = attr(name);
    return a ? a->i : def;
  }
  float attr_float(std::string_view name, float def) const {
    const Attribute* a = attr(name);
    return a ? a->f : def;
  }
  std::string attr_string(std::string_view name, std::string_view def) const {
    const Attribute* a = attr(name);
    return a ? a->s : std::string(def);
  }
  // nullptr when absent.
  const std::vector<int64_t>* attr_ints(std::string_view name) const {
    const Attribute* a = attr(name);
    return a ? &a->ints : nullptr;
  }
  const std::vector<float>* attr_floats(std::string_view name) const {
    const Attribute* a = attr(name);
    return a ? &a->floats : nullptr;
  }
  const std::vector<std::string>* attr_strings(std::string_view name) const {
    const Attribute* a = attr(name);
    return a ? &a->strings : nullptr;
  }
  // The constant tensor of a kTensor attribute; nullptr when absent.
  virtual const Tensor* attr_tensor(std::string_view name) const = 0;
  // The graph index of a kGraph attribute; -1 when absent.
  int attr_graph(std::string_view name) const {
    const Attribute* a = attr(name);
    return a ? a->graph : -1;
  }

  // --- subgraphs (If / Loop / Scan) -------------------------------------------------------
  // Number of formal inputs / outputs of graph `graph`.
  virtual int graph_input_count(int graph) const = 0;
  virtual int graph_output_count(int graph) const = 0;
  // Binds `inputs` (views; may alias anything, must stay valid during the call) to the graph's
  // formal inputs, runs its steps, and points outputs[k] at its k-th result. The results are
  // owned by the executor and stay valid until the next run_graph() of the same graph.
  virtual Status run_graph(int graph, const Tensor* const* inputs, int input_count,
                           const Tensor** outputs) = 0;
};

using KernelFn = Status (*)(KernelContext&);

struct KernelDef {
  const char* domain;  // "" = the default ONNX domain ("ai.onnx")
  const char* op_type;
  int min_opset;  // the kernel implements versions [min_opset, max_opset] of the op
  int max_opset;
  KernelFn run;
};

// The table of every kernel linked into the runtime, in a fixed order (the kernel index stored
// in Step::kernel is a position in it).
const std::vector<KernelDef>& kernel_table();

// Index of the kernel for `op_type` in `domain` at `opset`, or -1 when there is none.
// "ai.onnx" is accepted as a spelling of the default domain.
int find_kernel(std::string_view domain, std::string_view op_type, int opset);

}  // namespace parallax::rt
