// Softmax (opset 1-17): exp(x - max) / sum along an axis (2-D coercion
// before opset 13). Types: float16, bfloat16, float, double. See softmax.h.
#include "softmax.h"

namespace parallax::rt::kernels {

Status Softmax(KernelContext& ctx) { return nn::run_softmax(ctx, nn::SoftmaxKind::kSoftmax); }

}  // namespace parallax::rt::kernels
