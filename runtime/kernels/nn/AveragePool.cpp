// AveragePool (opset 1-17): mean over windows with strides, pads / auto_pad, ceil_mode and
// count_include_pad. Types: float16, bfloat16, float, double. See pool.h.
#include "pool.h"

namespace parallax::rt::kernels {

Status AveragePool(KernelContext& ctx) { return nn::run_pool(ctx, nn::PoolKind::kAverage); }

}  // namespace parallax::rt::kernels
