// LpPool (opset 1-17): (sum |x|^p)^(1/p) over windows with strides, pads / auto_pad.
// Types: float16, bfloat16, float, double. See pool.h.
#include "pool.h"

namespace parallax::rt::kernels {

Status LpPool(KernelContext& ctx) { return nn::run_pool(ctx, nn::PoolKind::kLp); }

}  // namespace parallax::rt::kernels
