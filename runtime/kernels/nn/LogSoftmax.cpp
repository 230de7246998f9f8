// LogSoftmax (opset 1-17): x - max - log(sum(exp(x - max))) along an axis (2-D coercion
// before opset 13). Types: float16, bfloat16, float, double. See softmax.h.
#include "softmax.h"

namespace parallax::rt::kernels {

Status LogSoftmax(KernelContext& ctx) { return nn::run_softmax(ctx, nn::SoftmaxKind::kLogSoftmax); }

}  // namespace parallax::rt::kernels
