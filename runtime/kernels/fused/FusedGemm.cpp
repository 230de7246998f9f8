// FusedGemm (com.parallax, version 1): Gemm followed by an activation, applied to each output
// row as it is finished. Inputs A, B, optional C and the attributes alpha, beta, transA, transB
// are Gemm's (opset 11+ semantics: C may be omitted); `activation` / `activation_params` are as
// for FusedConv. Made by the canonicalize pass (passes/fuse_activation.h).
// Types: float16, bfloat16, float, double.
#include "../common.h"
#include "../nn/activation.h"

namespace parallax::rt::kernels {

Status FusedGemm(KernelContext& ctx) {
  nn::Activation act;
  PARALLAX_RETURN_IF_ERROR(nn::parse_fused_float(ctx, &act));
  return nn::run_gemm(ctx, act);
}

}  // namespace parallax::rt::kernels
