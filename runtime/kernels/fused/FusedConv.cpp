// FusedConv (com.parallax, version 1): Conv followed by an activation, applied to each output
// channel while it is in cache. Inputs X, W, optional B and every attribute are Conv's; in
// addition `activation` names the function (Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid,
// HardSwish, Clip, SiLU, Swish, Gelu; absent = none) and `activation_params` holds its
// parameters (LeakyRelu: alpha; HardSigmoid: alpha, beta; Clip: min, max; Swish: alpha). Made by the canonicalize pass
// (passes/fuse_activation.h). Types: float16, bfloat16, float, double.
#include "../common.h"
#include "../nn/activation.h"

namespace parallax::rt::kernels {

Status FusedConv(KernelContext& ctx) {
  nn::Activation act;
  PARALLAX_RETURN_IF_ERROR(nn::Activation::parse(ctx, &act));
  return nn::run_conv(ctx, act);
}

}  // namespace parallax::rt::kernels
