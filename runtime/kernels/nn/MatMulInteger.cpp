// MatMulInteger (opset 10-17): int32 Y = (A - a_zero_point) * (B - b_zero_point) with numpy
// MatMul shapes. a_zero_point is a scalar or one per row of A, b_zero_point a scalar or one
// per column of B. Types: A, B int8 or uint8.
#include "../common.h"
#include "quant_gemm.h"

namespace parallax::rt::kernels {

Status MatMulInteger(KernelContext& ctx) {
  const Tensor* a = nullptr;
  const Tensor* b = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &a));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &b));
  nn::MatMulShape s;
  PARALLAX_RETURN_IF_ERROR(nn::matmul_shape(a->shape, b->shape, &s));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kInt32, s.out, &y));
  nn::ScratchLayout layout;
  nn::IntMatMulPlan plan;
  nn::plan_int_matmul(s, *a, *b, &layout, &plan);
  char* base = layout.allocate(ctx);
  return nn::int_matmul(s, plan, base, *a, ctx.input(2), *b, ctx.input(3), y->data_as<int32_t>());
}

}  // namespace parallax::rt::kernels
