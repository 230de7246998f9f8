// Program: the plain-struct description of a model that the runtime executes.
//
// `parallax-run` builds a Program in memory from the compiler's IR; later, codegen emits the
// same structures as static tables. Everything refers to everything else by integer index:
//
//   tensors   one flat table for the whole model, subgraphs included. A subgraph step may read
//             a tensor of an enclosing graph directly by its id (ONNX outer-scope references).
//   graphs    graphs[0] is the model's main graph; If/Loop/Scan bodies are further entries,
//             referred to from a step attribute of kind kGraph.
//   steps     per graph, in a valid execution order: kernel index + tensor ids + attributes.
//   weights   one byte blob holding every constant tensor, each 64-byte aligned.
//   branches  the main graph cut into branches (chains of steps run in order) with their
//             dependencies, processor and intra-op threads: the executor runs branches that do
//             not depend on each other at the same time. Empty = one branch of every step
//             (none when the main graph has no steps: its outputs are inputs or constants).
//   arena     TensorInfo::arena_offset places an intermediate tensor of the main graph in one
//             buffer of Program::arena_bytes that the executor allocates once; tensors whose
//             lifetimes cannot overlap (by the branch order) may share bytes.
//
// Shapes: TensorInfo::shape is the static shape where the compiler knows it, with -1 for a
// dimension only known at run time (the kernel computes it; a later memory planner will give
// such tensors a static upper bound in `max_bytes`). Steps carry a processor and a branch id
// that the scheduling passes fill in, for the record; the executor reads Program::branches.
//
// Happens-before (what the arena and the executor rely on): step a happens before step b when
// they are in the same branch and a comes first, or a's branch reaches b's branch through
// `succs`. Two branches not so ordered may run at the same time in any interleaving.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <vector>

#include "parallax/runtime/dtype.h"

namespace parallax::rt {

// Allocator for byte buffers that kernels read with wide loads: 64-byte (cache line) aligned.
template <typename T> struct AlignedAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  AlignedAllocator() = default;
  template <typename U> AlignedAllocator(const AlignedAllocator<U>&) {}  // NOLINT
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, size_t) { ::operator delete(p, kAlign); }
  template <typename U> bool operator==(const AlignedAllocator<U>&) const { return true; }
  template <typename U> bool operator!=(const AlignedAllocator<U>&) const { return false; }
};
using AlignedBytes = std::vector<uint8_t, AlignedAllocator<uint8_t>>;

struct Attribute {
  enum class Kind : uint8_t { kFloat, kInt, kString, kTensor, kGraph, kFloats, kInts, kStrings };
  std::string name;
  Kind kind = Kind::kInt;
  float f = 0.0f;
  int64_t i = 0;
  std::string s;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  int32_t tensor = -1;  // kTensor: id of a constant tensor in Program::tensors
  int32_t graph = -1;   // kGraph: index into Program::graphs
};

enum class TensorKind : uint8_t {
  kIntermediate,  // produced by a step
  kInput,         // a graph input (of the main graph or of a subgraph)
  kConstant,      // bytes live in Program::weights
};

struct TensorInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  TensorKind kind = TensorKind::kIntermediate;
  std::vector<int64_t> shape;  // -1 = known only at run time; empty + !rank_known = unknown rank
  bool rank_known = false;
  uint64_t weight_offset = 0;  // kConstant: byte offset into Program::weights
  uint64_t max_bytes = 0;      // upper bound of the buffer; 0 = not planned (grow on demand)
  // Byte offset of the tensor's bytes in the executor's arena, or kNotInArena. Only main-graph
  // intermediates with a static size are placed; max_bytes is then the bytes reserved there.
  static constexpr int64_t kNotInArena = -1;
  int64_t arena_offset = kNotInArena;
};

struct Step {
  int32_t kernel = -1;  // index into the kernel table (kernel_table())
  std::string name;     // the ONNX node name (or a generated "Op_<n>" when the model has none)
  std::string op_type;
  std::string domain;   // "" for the default ONNX domain
  int32_t opset = 0;    // the opset version of `domain` that the model imports
  std::vector<int32_t> inputs;   // tensor ids; -1 = an omitted optional input
  std::vector<int32_t> outputs;  // tensor ids; every output has a tensor, wanted or not
  std::vector<bool> output_wanted;  // false where the ONNX node left the output name empty
  std::vector<Attribute> attributes;
  int32_t processor = 0;  // filled by the schedule pass (0 = CPU)
  int32_t branch = -1;    // filled by the branches pass
};

struct GraphProgram {
  std::string name;
  std::vector<int32_t> inputs;   // tensor ids bound by the caller (for subgraphs: the kernel)
  std::vector<int32_t> outputs;  // tensor ids read back after the steps ran
  std::vector<Step> steps;
};

// A branch of the main graph: steps that run in order on one processor, once every branch it
// waits for has finished.
struct BranchProgram {
  std::vector<int32_t> steps;  // indices into graphs[0].steps, in execution order
  std::vector<int32_t> succs;  // branches that wait for this one (sorted, unique)
  int32_t pred_count = 0;      // how many branches list this one in `succs`
  int32_t processor = 0;       // index into Program::processors
  int32_t threads = 1;  // the plan's intra-op threads (its estimate); the executor lets every
                        // branch use all idle workers of its cluster (docs/runtime-api.md)
};

// A processor of the compile-time schedule: a CPU core cluster (fastest first) or the GPU queue.
// The executor maps the i-th CPU processor to the i-th core cluster it uses (the last one when it
// has fewer); a GPU processor runs on the first cluster until a GPU backend exists.
struct ProcessorInfo {
  std::string name;  // "cpu0", "gpu"
  bool gpu = false;
  int32_t cores = 1;
  double speed = 1.0;  // relative per-core throughput (fastest = 1.0)
};

struct Program {
  std::vector<TensorInfo> tensors;
  std::vector<GraphProgram> graphs;       // graphs[0] = main
  AlignedBytes weights;                   // constant bytes; each constant starts 64-byte aligned
  // Non-owning alternative to `weights` (generated code: embedded or mmapped bytes, 64-byte
  // aligned, outliving the executors); when set, `weights` is ignored. Read via weight_data().
  const uint8_t* weights_view = nullptr;
  uint64_t weights_view_bytes = 0;
  std::vector<BranchProgram> branches;    // of graphs[0]; empty = one branch of every step
  std::vector<ProcessorInfo> processors;  // empty = one CPU cluster
  uint64_t arena_bytes = 0;               // 0 = no arena (every tensor grows on demand)

  const GraphProgram& main() const { return graphs[0]; }
  const uint8_t* weight_data() const { return weights_view ? weights_view : weights.data(); }
  uint64_t weight_bytes() const { return weights_view ? weights_view_bytes : weights.size(); }
};

}  // namespace parallax::rt
