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
// Prepared kernels (optional). A kernel that wants to do work once instead of every run (pack
// weights, create an XNNPACK operator) also sets KernelDef::prepare and KernelDef::release:
//   - prepare(ctx) is called once per step (main graph and control-flow bodies alike) while the
//     executor is created, on the creating thread. Then ctx.input(i) returns constant inputs
//     only (nullptr for every other input), ctx.input_info(i) / ctx.output_info(i) give the
//     compile-time dtype and static shape (-1 = known only at run time), threadpool() and
//     threads() are what run will see, and allocate_output() / run_graph() fail. A failing
//     prepare fails Executor::create with the node's name. A kernel that finds it cannot use
//     its fast path leaves state() null and takes its general path in run.
//   - ctx.state() is a per-step slot the kernel owns (e.g. an xnn_operator_t). It starts null,
//     keeps its value across runs, and if non-null is passed to release(state) when the
//     executor is destroyed. prepare usually sets it; run may set it lazily too.
// Intra-op threads: threadpool() is a pthreadpool handle of the core cluster the step runs on
// (nullptr = run single-threaded on the calling thread), threads() the most threads it may use
// (>= 1). The runtime implements pthreadpool's API itself: the calling thread runs tiles, and
// the cluster's idle workers join in, so a step whose cluster is busy with other branches runs
// its tiles alone. Steps of concurrent branches may use the same handle at once. A kernel's
// results must not depend on threads() or on who runs a tile: split work so that every output
// element is computed by one tile in the same order whatever the split (never split a
// reduction across threads).
//
// Threading: a KernelContext belongs to one executor and one step, and is used by one thread at
// a time. run may be called on any of the executor's worker threads, never concurrently for the
// same step; steps of different branches run concurrently, so a kernel keeps no mutable state
// outside its inputs, outputs, scratch() and state().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parallax/runtime/program.h"
#include "parallax/runtime/status.h"
#include "parallax/runtime/tensor.h"

// pthreadpool's handle type (pthreadpool_t is `struct pthreadpool*`); kernels that use it
// include <pthreadpool.h>, everything else needs only the declaration.
struct pthreadpool;

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

  // --- compile-time facts (valid in prepare and run) -------------------------------------
  // The TensorInfo of input / output `i` (dtype, static shape with -1 for run-time dims, kind);
  // nullptr for an omitted optional input or an index out of range.
  virtual const TensorInfo* input_info(int i) const = 0;
  virtual const TensorInfo* output_info(int i) const = 0;

  // --- prepared state and intra-op threads (see the header comment) -----------------------
  // The step's own slot; starts null, persists across runs, released with KernelDef::release.
  virtual void*& state() = 0;
  // Prepare only: this step made its own copy of constant input `i` (XNNPACK's packed weights)
  // and will never read the original bytes again, in prepare or run. An executor created with
  // ExecutorOptions::discard_packed_constants gives those bytes back to the system once every
  // reader of the constant said so. At most once per input; ignored outside prepare.
  virtual void input_packed(int /*i*/) {}
  // The cluster's pthreadpool for intra-op parallelism; nullptr = single-threaded.
  virtual ::pthreadpool* threadpool() const = 0;
  // Threads the step may use (the pool's size, 1 without a pool).
  virtual int threads() const = 0;

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
using KernelReleaseFn = void (*)(void* state);

struct KernelDef {
  const char* domain;  // "" = the default ONNX domain ("ai.onnx")
  const char* op_type;
  int min_opset;  // the kernel implements versions [min_opset, max_opset] of the op
  int max_opset;
  KernelFn run;
  KernelFn prepare = nullptr;         // optional: once per step at executor creation
  KernelReleaseFn release = nullptr;  // optional: frees a non-null state() at destruction
};

// The table of every kernel linked into the runtime, in a fixed order (the kernel index stored
// in Step::kernel is a position in it).
const std::vector<KernelDef>& kernel_table();

// Index of the kernel for `op_type` in `domain` at `opset`, or -1 when there is none.
// "ai.onnx" is accepted as a spelling of the default domain.
int find_kernel(std::string_view domain, std::string_view op_type, int opset);

}  // namespace parallax::rt
