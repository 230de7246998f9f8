// GlobalMaxPool (opset 1-17): max over all spatial positions of each channel.
// Types: float16, bfloat16, float, double. See pool.h.
#include "pool.h"

namespace parallax::rt::kernels {

Status GlobalMaxPool(KernelContext& ctx) { return nn::run_global_pool(ctx, nn::PoolKind::kMax); }

}  // namespace parallax::rt::kernels
