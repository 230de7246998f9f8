// Log (opset 1-17): y = ln(x). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Log(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::log(x); });
}

}  // namespace parallax::rt::kernels
