// IsNaN (opset 9-17): y = (x is NaN), as bool. Types: float16, bfloat16, float, double.
#include "unary.h"

namespace parallax::rt::kernels {

Status IsNaN(KernelContext& ctx) {
  return elementwise::unary_to_bool<kFloatTypes>(ctx, [](auto x) { return std::isnan(x); });
}

}  // namespace parallax::rt::kernels
