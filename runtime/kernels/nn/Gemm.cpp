// Gemm (opset 1-17): Y = alpha * op(A) * op(B) + beta * C, op = optional transpose.
// C broadcasts unidirectionally to [M, N] (it is optional from opset 11; the opset < 7
// 'broadcast' attribute is accepted and broadcasting always allowed).
// Types: float16, bfloat16, float, double, int32, int64, uint32, uint64.
// run_gemm is shared with com.parallax.FusedGemm, which adds an activation epilogue.
#include "gemm.h"

#include <type_traits>

#include "../common.h"
#include "activation.h"
#include "scratch.h"

namespace parallax::rt::kernels {

namespace {

constexpr TypeSet kGemmTypes = kFloatTypes | type_bit(DType::kInt32) | type_bit(DType::kInt64) |
                               type_bit(DType::kUInt32) | type_bit(DType::kUInt64);

// Unidirectional broadcast of C to [m, n]: returns the row and column strides of C.
Status bias_strides(const Shape& c, int64_t m, int64_t n, int64_t* rs, int64_t* cs) {
  const int64_t cm = c.rank >= 2 ? c.dims[c.rank - 2] : 1;
  const int64_t cn = c.rank >= 1 ? c.dims[c.rank - 1] : 1;
  if (c.rank > 2 || (cm != 1 && cm != m) || (cn != 1 && cn != n)) {
    return Status::invalid("C of shape " + c.to_string() + " does not broadcast to [" +
                           std::to_string(m) + ", " + std::to_string(n) + "]");
  }
  *cs = cn == 1 ? 0 : 1;
  *rs = cm == 1 ? 0 : cn;
  return Status::ok();
}

}  // namespace

Status nn::run_gemm(KernelContext& ctx, const Activation& act) {
  const Tensor* a = nullptr;
  const Tensor* b = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &a));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &b));
  const Tensor* c = ctx.input(2);
  if (!act.none() && !dtype_is_float(a->dtype)) {
    return Status::invalid("an activation needs a float type, A is " +
                           std::string(dtype_name(a->dtype)));
  }
  if (a->shape.rank != 2 || b->shape.rank != 2) {
    return Status::invalid("A and B must be 2-D, got " + a->shape.to_string() + " and " +
                           b->shape.to_string());
  }
  if (a->dtype != b->dtype || (c && c->dtype != a->dtype)) {
    return Status::invalid("A, B and C must have the same element type");
  }
  const bool trans_a = ctx.attr_int("transA", 0) != 0;
  const bool trans_b = ctx.attr_int("transB", 0) != 0;
  const double alpha = ctx.attr_float("alpha", 1.0f);
  const double beta = ctx.attr_float("beta", 1.0f);
  const int64_t m = trans_a ? a->shape[1] : a->shape[0];
  const int64_t k = trans_a ? a->shape[0] : a->shape[1];
  const int64_t kb = trans_b ? b->shape[1] : b->shape[0];
  const int64_t n = trans_b ? b->shape[0] : b->shape[1];
  if (k != kb) {
    return Status::invalid("inner dimensions differ: op(A) is [" + std::to_string(m) + ", " +
                           std::to_string(k) + "], op(B) is [" + std::to_string(kb) + ", " +
                           std::to_string(n) + "]");
  }
  int64_t c_rs = 0, c_cs = 0;
  if (c) PARALLAX_RETURN_IF_ERROR(bias_strides(c->shape, m, n, &c_rs, &c_cs));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, a->dtype, Shape{m, n}, &y));
  return PARALLAX_DISPATCH(a->dtype, kGemmTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    // Integer results scale in double so int64 values keep their precision.
    using S = std::conditional_t<std::is_integral_v<C>, double, C>;
    T* py = y->data_as<T>();
    C* acc = nullptr;
    if constexpr (std::is_same_v<T, C>) {
      acc = py;
    } else {
      nn::ScratchLayout layout;
      const size_t off = layout.add<C>(m * n);
      acc = nn::ScratchLayout::at<C>(layout.allocate(ctx), off);
    }
    const T* pa = a->data_as<T>();
    const T* pb = b->data_as<T>();
    const nn::MatView<T> va = trans_a ? nn::MatView<T>{pa, 1, m} : nn::MatView<T>{pa, k, 1};
    const nn::MatView<T> vb = trans_b ? nn::MatView<T>{pb, 1, k} : nn::MatView<T>{pb, n, 1};
    nn::gemm<C>(m, n, k, va, vb, acc, n, false);
    const T* pc = c ? c->data_as<T>() : nullptr;
    for (int64_t i = 0; i < m; ++i) {
      C* row = acc + i * n;  // py's row itself for native types
      for (int64_t j = 0; j < n; ++j) {
        S v = static_cast<S>(row[j]);
        if (alpha != 1.0) v = static_cast<S>(alpha) * v;
        if (pc && beta != 0.0) {
          v += static_cast<S>(beta) * static_cast<S>(static_cast<C>(pc[i * c_rs + j * c_cs]));
        }
        row[j] = static_cast<C>(v);
      }
      if constexpr (std::is_floating_point_v<C>) act.apply(row, n);
      if constexpr (!std::is_same_v<T, C>) {
        for (int64_t j = 0; j < n; ++j) py[i * n + j] = static_cast<T>(row[j]);
      }
    }
    return Status::ok();
  });
}

Status Gemm(KernelContext& ctx) {
  if (ctx.input(2) == nullptr && ctx.opset() < 11)
    return Status::invalid("input C is required before opset 11");
  return nn::run_gemm(ctx, nn::Activation{});
}

}  // namespace parallax::rt::kernels
