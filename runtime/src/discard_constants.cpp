// ExecutorOptions::discard_packed_constants: a kernel that packs a constant in prepare (the fully
// connected weights, in sgemm's panels) holds the model's biggest tensors a second time, in its
// own layout.
// Once every reader of a constant has its own copy, the original pages are returned to the
// system, so the weights stay resident about once. Discarding happens as soon as the last reader
// is prepared, so that packing never needs both whole copies at once.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "executor_state.h"

namespace parallax::rt {

void count_constant_readers(Executor::State& st) {
  const Program& p = *st.program;
  st.constant_readers.clear();
  // Bytes the Program does not own (generated code, a mapped file) are not ours to drop.
  if (!st.options.discard_packed_constants || p.weights_view != nullptr) return;
  st.constant_readers.assign(p.tensors.size(), 0);
  const auto read = [&](int32_t id) {
    if (id >= 0 && p.tensors[id].kind == TensorKind::kConstant) ++st.constant_readers[id];
  };
  // Every way a constant's bytes are read: step inputs (outer-scope reads of subgraph steps
  // included), tensor attributes, and graph outputs (the caller's output views).
  for (const GraphProgram& g : p.graphs) {
    for (const Step& s : g.steps) {
      for (int32_t id : s.inputs) read(id);
      for (const Attribute& a : s.attributes) {
        if (a.kind == Attribute::Kind::kTensor) read(a.tensor);
      }
    }
    for (int32_t id : g.outputs) read(id);
  }
}

void release_constant_reader(Executor::State& st, int32_t tensor) {
  if (tensor < 0 || static_cast<size_t>(tensor) >= st.constant_readers.size()) return;
  int32_t& readers = st.constant_readers[tensor];
  if (readers <= 0 || --readers > 0) return;
  // Only whole pages inside the constant: its neighbours in the blob may still be read.
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(st.slots[tensor].view.data);
  const uintptr_t end = begin + st.slots[tensor].view.nbytes();
  const uintptr_t first = (begin + page - 1) / page * page;
  const uintptr_t last = end / page * page;
  // Private anonymous memory reads as zeros afterwards; a failure only costs the memory.
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace parallax::rt
