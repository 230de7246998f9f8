// Tanh (opset 1-17): y = tanh(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Tanh(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::tanh(x); });
}

}  // namespace parallax::rt::kernels
