// MaxPool (opset 1-17): max over windows with strides, dilations, pads / auto_pad, ceil_mode,
// and the optional Indices output (storage_order). Types: float16, bfloat16, float, double,
// int8, uint8. See pool.h.
#include "pool.h"

namespace parallax::rt::kernels {

Status MaxPool(KernelContext& ctx) { return nn::run_pool(ctx, nn::PoolKind::kMax); }

}  // namespace parallax::rt::kernels
