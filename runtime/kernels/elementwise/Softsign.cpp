// Softsign (opset 1-17): y = x / (1 + |x|). Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status Softsign(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(
      ctx, [](auto x) { return x / (decltype(x)(1) + std::abs(x)); });
}

}  // namespace parallax::rt::kernels
