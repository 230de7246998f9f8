// Relu (opset 1-17): y = max(0, x). Types: float16, bfloat16, float, double, and from opset 14
// int8-int64.
#include "unary.h"

namespace parallax::rt::kernels {

Status Relu(KernelContext& ctx) {
  return elementwise::unary_same<kSignedTypes>(ctx, [](auto x) {
    using C = decltype(x);
    return x < C(0) ? C(0) : x;
  });
}

}  // namespace parallax::rt::kernels
