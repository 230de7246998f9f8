// Mean (opset 1-17): elementwise mean of one or more inputs, broadcast together.
// Types: float16, bfloat16, float, double.
#include "variadic.h"

namespace parallax::rt::kernels {

Status Mean(KernelContext& ctx) {
  return elementwise::variadic_fold<kFloatTypes>(
      ctx, [](auto a, auto b) { return a + b; },
      [](auto sum, int count) { return sum / static_cast<decltype(sum)>(count); });
}

}  // namespace parallax::rt::kernels
