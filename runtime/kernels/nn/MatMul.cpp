// MatMul (opset 1-17): numpy matrix product with batch broadcasting and 1-D operands.
// Types: float16, bfloat16, float, double, int32, int64, uint32, uint64.
// run_matmul is shared with com.parallax.FusedMatMul, which adds a bias and an activation.
#include "matmul.h"

#include <string>
#include <type_traits>

#include "../common.h"
#include "activation.h"
#include "gemm.h"
#include "scratch.h"
#include "sgemm.h"

namespace parallax::rt::kernels {

namespace {
constexpr TypeSet kMatMulTypes = kFloatTypes | type_bit(DType::kInt32) | type_bit(DType::kInt64) |
                                 type_bit(DType::kUInt32) | type_bit(DType::kUInt64);
}  // namespace

Status nn::run_matmul(KernelContext& ctx, const Tensor* bias, const Activation& act) {
  const Tensor* a = nullptr;
  const Tensor* b = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &a));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &b));
  if (a->dtype != b->dtype) return Status::invalid("A and B have different element types");
  nn::MatMulShape s;
  PARALLAX_RETURN_IF_ERROR(nn::matmul_shape(a->shape, b->shape, &s));
  const bool epilogue = bias != nullptr || !act.none();
  if (epilogue && !dtype_is_float(a->dtype)) {
    return Status::invalid("a bias or activation needs a float type, A is " +
                           std::string(dtype_name(a->dtype)));
  }
  if (bias && (bias->dtype != a->dtype || bias->shape.rank != 1 || bias->shape[0] != s.n)) {
    return Status::invalid("bias must be a 1-D tensor of " + std::to_string(s.n) +
                           " values of A's type, got " + std::string(dtype_name(bias->dtype)) +
                           bias->shape.to_string());
  }
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
    const T* pbias = bias ? bias->data_as<T>() : nullptr;
    // Bias and activation on each result row while it is in cache.
    auto finish = [&](C* out) {
      if constexpr (std::is_floating_point_v<C>) {
        if (!epilogue) return;
        for (int64_t i = 0; i < s.m; ++i) {
          C* row = out + i * s.n;
          if (pbias) {
            for (int64_t j = 0; j < s.n; ++j) row[j] += static_cast<C>(pbias[j]);
          }
          act.apply(row, s.n);
        }
      }
    };
    if constexpr (std::is_same_v<T, float>) {
      // float: every product at once through the packed, threaded sgemm, then the epilogue.
      const int64_t batch = s.batch.numel(), b_size = s.k * s.n;
      nn::SgemmArgs g;
      g.m = s.m;
      g.n = s.n;
      g.k = s.k;
      g.a = pa;
      g.lda = s.k;
      g.b = pb;
      g.b_rs = s.n;
      g.b_cs = 1;
      g.c = py;
      g.ldc = s.n;
      g.batch = batch;
      g.b_count = s.b_batch.numel();
      g.b_stride = b_size;
      nn::ScratchLayout layout;
      const size_t a_off = layout.add<int64_t>(batch), c_off = layout.add<int64_t>(batch),
                   b_idx = layout.add<int64_t>(batch);
      const size_t packed = layout.add<float>(static_cast<int64_t>(nn::sgemm_packed_floats(g)));
      char* base = layout.allocate(ctx);
      int64_t* ao = nn::ScratchLayout::at<int64_t>(base, a_off);
      int64_t* co = nn::ScratchLayout::at<int64_t>(base, c_off);
      int64_t* bi = nn::ScratchLayout::at<int64_t>(base, b_idx);
      int64_t t = 0;
      nn::for_each_matmul(s, [&](int64_t a_o, int64_t b_o, int64_t y_o) {
        ao[t] = a_o;
        co[t] = y_o;
        bi[t] = b_size > 0 ? b_o / b_size : 0;
        ++t;
      });
      g.a_off = ao;
      g.c_off = co;
      g.b_index = bi;
      nn::sgemm(g, nn::ScratchLayout::at<float>(base, packed), ctx.threadpool());
      for (int64_t u = 0; u < batch; ++u) finish(py + co[u]);
      return Status::ok();
    }
    nn::for_each_matmul(s, [&](int64_t ao, int64_t bo, int64_t yo) {
      const nn::MatView<T> va{pa + ao, s.k, 1};
      const nn::MatView<T> vb{pb + bo, s.n, 1};
      if constexpr (std::is_same_v<T, C>) {
        nn::gemm<C>(s.m, s.n, s.k, va, vb, py + yo, s.n, false);
        finish(py + yo);
      } else {
        nn::gemm<C>(s.m, s.n, s.k, va, vb, acc, s.n, false);
        finish(acc);
        for (int64_t i = 0; i < s.m * s.n; ++i) py[yo + i] = static_cast<T>(acc[i]);
      }
    });
    return Status::ok();
  });
}

Status MatMul(KernelContext& ctx) { return nn::run_matmul(ctx, nullptr, nn::Activation{}); }

}  // namespace parallax::rt::kernels
