// Gelu (com.parallax, version 1): y = 0.5 * x * (1 + erf(x / sqrt(2))), the erf form of the
// Gaussian error linear unit (ONNX adds Gelu only in opset 20). Made by the canonicalize pass
// from the decomposed graph (passes/fuse_gelu.h); computes in the same order.
// Types: float16, bfloat16, float, double.
#include "../common.h"
#include "../elementwise/unary.h"
#include "../nn/activation.h"

namespace parallax::rt::kernels {

Status Gelu(KernelContext& ctx) {
  return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return nn::gelu(x); });
}

}  // namespace parallax::rt::kernels
