// Acos (opset 7-17): y = arccos(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Acos(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::acos(x); });
}

}  // namespace parallax::rt::kernels
