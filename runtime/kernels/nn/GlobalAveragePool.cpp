// GlobalAveragePool (opset 1-17): mean over all spatial positions of each channel.
// Types: float16, bfloat16, float, double. See pool.h.
#include "pool.h"

namespace parallax::rt::kernels {

Status GlobalAveragePool(KernelContext& ctx) {
  return nn::run_global_pool(ctx, nn::PoolKind::kAverage);
}

}  // namespace parallax::rt::kernels
