// Sum (opset 1-17): elementwise sum of one or more inputs, broadcast together.
// Types: float16, bfloat16, float, double.
#include "variadic.h"

namespace parallax::rt::kernels {

Status Sum(KernelContext& ctx) {
  return elementwise::variadic_fold<kFloatTypes>(ctx, [](auto a, auto b) { return a + b; });
}

}  // namespace parallax::rt::kernels
