// Filling a buffer with copies of one element, for kernels that only know the element's bytes
// (ConstantOfShape, the constant mode of Pad).
//
//   fill_bytes(y->data, y->numel(), value_bytes, dtype_size(y->dtype));
#pragma once

#include <cstdint>
#include <cstring>

namespace parallax::rt::kernels {

inline void fill_bytes(void* dst, int64_t count, const void* value, size_t elem) {
  auto* d = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < count; ++i) std::memcpy(d + i * elem, value, elem);
}

}  // namespace parallax::rt::kernels
