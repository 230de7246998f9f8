// FusedMatMul (com.parallax, version 1): Y = act(MatMul(A, B) + bias). A and B are MatMul's
// (numpy broadcasting, 1-D operands); the optional input 2, bias, is a 1-D tensor with one value
// per output column (Y's last dimension), added to every row; `activation` /
// `activation_params` are as for FusedConv. Made by the canonicalize pass from MatMul + Add
// (passes/fuse_bias.h) and a following activation (passes/fuse_activation.h).
// Types: float16, bfloat16, float, double.
#include "../common.h"
#include "../nn/activation.h"

namespace parallax::rt::kernels {

Status FusedMatMul(KernelContext& ctx) {
  nn::Activation act;
  PARALLAX_RETURN_IF_ERROR(nn::parse_fused_float(ctx, &act));
  return nn::run_matmul(ctx, ctx.input(2), act);
}

}  // namespace parallax::rt::kernels
