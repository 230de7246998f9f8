// Atanh (opset 9-17): y = artanh(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Atanh(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::atanh(x); });
}

}  // namespace parallax::rt::kernels
