// Carving several temporaries out of the one per-step scratch buffer.
//
// KernelContext::scratch() hands out a single buffer per step, and a second, larger request
// may move it, so a kernel that needs several temporaries sizes them all first and asks once:
//
//   ScratchLayout layout;
//   const size_t cols = layout.add<float>(k * p);
//   const size_t acc = layout.add<float>(m * p);
//   char* base = layout.allocate(ctx);
//   float* c = layout.at<float>(base, cols);
#pragma once

#include <cstddef>
#include <cstdint>

#include "parallax/runtime/kernel.h"

namespace parallax::rt::kernels::nn {

class ScratchLayout {
 public:
  // Reserves `count` elements of T; returns the byte offset of the reservation.
  template <typename T>
  size_t add(int64_t count) {
    const size_t offset = total_;
    const size_t bytes = static_cast<size_t>(count > 0 ? count : 0) * sizeof(T);
    total_ += (bytes + 63) & ~size_t{63};  // keep every reservation cache-line aligned
    return offset;
  }
  size_t total() const { return total_; }
  char* allocate(KernelContext& ctx) const {
    return static_cast<char*>(ctx.scratch(total_ ? total_ : 64));
  }
  template <typename T>
  static T* at(char* base, size_t offset) {
    return reinterpret_cast<T*>(base + offset);
  }

 private:
  size_t total_ = 0;
};

}  // namespace parallax::rt::kernels::nn
