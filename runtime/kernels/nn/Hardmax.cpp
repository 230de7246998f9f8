// Hardmax (opset 1-17): 1 at the first maximum along an axis, 0 elsewhere (2-D coercion
// before opset 13). Types: float16, bfloat16, float, double. See softmax.h.
#include "softmax.h"

namespace parallax::rt::kernels {

Status Hardmax(KernelContext& ctx) { return nn::run_softmax(ctx, nn::SoftmaxKind::kHardmax); }

}  // namespace parallax::rt::kernels
