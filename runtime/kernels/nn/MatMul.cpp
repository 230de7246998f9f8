// MatMul (opset 1-17): numpy matrix product with batch broadcasting and 1-D operands.
// Types: float16, bfloat16, float, double, int32, int64, uint32, uint64.
#include "matmul.h"

#include <type_traits>

#include "../common.h"
#include "gemm.h"
#include "scratch.h"

namespace parallax::rt::kernels {

namespace {
constexpr TypeSet kMatMulTypes = kFloatTypes | type_bit(DType::kInt32) | type_bit(DType::kInt64) |
                                 type_bit(DType::kUInt32) | type_bit(DType::kUInt64);
}  // namespace

Status MatMul(KernelContext& ctx) {
  const Tensor* a = nullptr;
  const Tensor* b = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &a));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &b));
  if (a->dtype != b->dtype) return Status::invalid("A and B have different element types");
  nn::MatMulShape s;
  PARALLAX_RETURN_IF_ERROR(nn::matmul_shape(a->shape, b->shape, &s));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, a->dtype, s.out, &y));
  return PARALLAX_DISPATCH(a->dtype, kMatMulTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const T* pa = a->data_as<T>();
    const T* pb = b->data_as<T>();
    T* py = y->data_as<T>();
    // 16-bit floats accumulate in a float buffer, one matrix at a time.
    C* acc = nullptr;
    if constexpr (!std::is_same_v<T, C>) {
      nn::ScratchLayout layout;
      const size_t off = layout.add<C>(s.m * s.n);
      acc = nn::ScratchLayout::at<C>(layout.allocate(ctx), off);
    }
    nn::for_each_matmul(s, [&](int64_t ao, int64_t bo, int64_t yo) {
      const nn::MatView<T> va{pa + ao, s.k, 1};
      const nn::MatView<T> vb{pb + bo, s.n, 1};
      if constexpr (std::is_same_v<T, C>) {
        nn::gemm<C>(s.m, s.n, s.k, va, vb, py + yo, s.n, false);
      } else {
        nn::gemm<C>(s.m, s.n, s.k, va, vb, acc, s.n, false);
        for (int64_t i = 0; i < s.m * s.n; ++i) py[yo + i] = static_cast<T>(acc[i]);
      }
    });
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
