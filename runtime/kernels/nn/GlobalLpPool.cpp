// GlobalLpPool (opset 1-17): (sum |x|^p)^(1/p) over all spatial positions of each channel.
// Types: float16, bfloat16, float, double. See pool.h.
#include "pool.h"

namespace parallax::rt::kernels {

Status GlobalLpPool(KernelContext& ctx) { return nn::run_global_pool(ctx, nn::PoolKind::kLp); }

}  // namespace parallax::rt::kernels
