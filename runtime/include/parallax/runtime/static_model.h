// Static models: the constant tables that generated code (`parallax-compile MODEL -o DIR`) holds,
// and ModelInstance, the object the generated class delegates to.
//
// The compiler lowers a model to a Program (codegen/program_builder.h) and writes that Program
// out as the plain aggregates below: rows of numbers and string literals, no constructors, so
// they are constant-initialized and cost nothing at startup. ModelInstance::create turns them
// back into a Program (resolving each step's kernel by domain, op and opset with find_kernel, so
// generated code does not depend on the order of the kernel table) and creates an Executor on
// it. The weights are not copied: the Program views the embedded bytes or the mapped file.
//
//   rt::ModelOptions opt;
//   opt.executor.threads = 4;
//   std::unique_ptr<rt::ModelInstance> m;
//   rt::Status s = rt::ModelInstance::create(kModel, kWeights, opt, &m);  // kWeights or nullptr
//   s = m->run(inputs, outputs);  // raw pointers, static shapes
//
// Table encoding: lists live in shared pools of the model and a row refers to one by (count,
// offset) into the pool: tensor ids, graph inputs/outputs and branch lists in `ids`; shapes and
// int attributes in `ints`; float attributes in `floats`; string-list attributes in `strings`.
// A step's input id -1 is an omitted optional input; an output stored as ~id (negative) is an
// output the model left unnamed (Step::output_wanted false).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "parallax/runtime/executor.h"
#include "parallax/runtime/mapped_file.h"
#include "parallax/runtime/program.h"
#include "parallax/runtime/status.h"
#include "parallax/runtime/tensor.h"

namespace parallax::rt {

struct StaticString {
  const char* data;
  uint32_t size;  // bytes (an ONNX string may hold any byte, '\0' included)
};

struct StaticTensor {
  const char* name;
  DType dtype;
  TensorKind kind;
  int32_t rank;   // -1 = unknown rank
  int32_t shape;  // offset of the dims in StaticModel::ints (-1 in a dim = known at run time)
  uint64_t weight_offset;
  uint64_t max_bytes;
  int64_t arena_offset;
};

struct StaticAttr {
  const char* name;
  Attribute::Kind kind;
  float f;
  int64_t i;
  StaticString s;
  int32_t count;  // kFloats / kInts / kStrings: the list's length and its offset in the pool
  int32_t at;
  int32_t tensor;  // kTensor
  int32_t graph;   // kGraph
};

// Readable constructors for StaticAttr rows.
constexpr StaticAttr attr_f(const char* n, float v) {
  return {n, Attribute::Kind::kFloat, v, 0, {"", 0}, 0, 0, -1, -1};
}
constexpr StaticAttr attr_i(const char* n, int64_t v) {
  return {n, Attribute::Kind::kInt, 0.0f, v, {"", 0}, 0, 0, -1, -1};
}
constexpr StaticAttr attr_s(const char* n, const char* v, uint32_t size) {
  return {n, Attribute::Kind::kString, 0.0f, 0, {v, size}, 0, 0, -1, -1};
}
constexpr StaticAttr attr_floats(const char* n, int32_t count, int32_t at) {
  return {n, Attribute::Kind::kFloats, 0.0f, 0, {"", 0}, count, at, -1, -1};
}
constexpr StaticAttr attr_ints(const char* n, int32_t count, int32_t at) {
  return {n, Attribute::Kind::kInts, 0.0f, 0, {"", 0}, count, at, -1, -1};
}
constexpr StaticAttr attr_strings(const char* n, int32_t count, int32_t at) {
  return {n, Attribute::Kind::kStrings, 0.0f, 0, {"", 0}, count, at, -1, -1};
}
constexpr StaticAttr attr_tensor(const char* n, int32_t tensor) {
  return {n, Attribute::Kind::kTensor, 0.0f, 0, {"", 0}, 0, 0, tensor, -1};
}
constexpr StaticAttr attr_graph(const char* n, int32_t graph) {
  return {n, Attribute::Kind::kGraph, 0.0f, 0, {"", 0}, 0, 0, -1, graph};
}

struct StaticStep {
  const char* name;
  const char* op_type;
  const char* domain;
  int32_t opset;
  int32_t input_count, inputs;    // in StaticModel::ids
  int32_t output_count, outputs;  // in StaticModel::ids (~id = unwanted)
  int32_t attr_count, attrs;      // in StaticModel::attrs
  int32_t processor;
  int32_t branch;
};

struct StaticGraph {
  const char* name;
  int32_t input_count, inputs;    // in StaticModel::ids
  int32_t output_count, outputs;  // in StaticModel::ids
  int32_t step_count;
  const StaticStep* steps;
};

struct StaticBranch {
  int32_t step_count, steps;  // in StaticModel::ids
  int32_t succ_count, succs;  // in StaticModel::ids
  int32_t pred_count;
  int32_t processor;
  int32_t threads;
};

struct StaticProcessor {
  const char* name;
  bool gpu;
  int32_t cores;
  double speed;
};

struct StaticModel {
  const char* name;  // the generated class's name, for error messages
  const StaticTensor* tensors;
  int32_t tensor_count;
  const StaticGraph* graphs;
  int32_t graph_count;
  const StaticBranch* branches;
  int32_t branch_count;
  const StaticProcessor* processors;
  int32_t processor_count;
  const StaticAttr* attrs;
  const int32_t* ids;
  const int64_t* ints;
  const float* floats;
  const StaticString* strings;
  uint64_t arena_bytes;
  uint64_t weights_bytes;     // bytes of the weights blob the tables refer to
  uint64_t weights_checksum;  // weights_checksum() of those bytes (checked for mapped files)
};

// Rebuilds the Program of `model` with `weights` (weights_bytes bytes, 64-byte aligned, must
// outlive *out) as its non-owning weights view. Fails with kUnsupported naming every step whose
// op has no kernel in this runtime, with kInvalidArgument on a malformed table.
Status build_static_program(const StaticModel& model, const uint8_t* weights, Program* out);

struct ModelOptions {
  ExecutorOptions executor;  // threads, affinity, trace path, a caller-provided arena, ...
  // --weights file: the NAME.weights.bin to map (ignored when the weights are linked in).
  std::string weights_path;
};

// A Program rebuilt from static tables, its weights and an Executor on it. One thread at a time
// uses an instance; separate instances may run concurrently.
class ModelInstance {
 public:
  // `weights`: the linked-in blob, or nullptr to map options.weights_path (checked against the
  // model's size and checksum).
  static Status create(const StaticModel& model, const uint8_t* weights,
                       const ModelOptions& options, std::unique_ptr<ModelInstance>* out);
  ModelInstance(const ModelInstance&) = delete;
  ModelInstance& operator=(const ModelInstance&) = delete;

  // Inputs as views of the caller's buffers with the model's static shapes; after the run,
  // copies output k into outputs[k] when it is not null (its static size). Fails when an input
  // or output shape is not static.
  Status run(const void* const* inputs, void* const* outputs);
  // Inputs as tensors (shapes checked against the model); results via output().
  Status run(const Tensor* inputs);
  // Valid until the next run (zero-copy: the executor's buffer).
  const Tensor& output(int i) const { return executor_->output(i); }
  Executor& executor() { return *executor_; }
  const Program& program() const { return program_; }

 private:
  ModelInstance() = default;
  MappedFile file_;  // declared before program_ and executor_: they point into it
  Program program_;
  std::unique_ptr<Executor> executor_;
};

}  // namespace parallax::rt
