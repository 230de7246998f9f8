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
  PARALLAX_RETURN_IF_ERROR(nn::Activation::parse(ctx, &act));
  const Tensor* a = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &a));
  if (!dtype_is_float(a->dtype)) {
    return Status::invalid(std::string("A must have a float type, got ") + dtype_name(a->dtype));
  }
  return nn::run_gemm(ctx, act);
}

}  // namespace parallax::rt::kernels
