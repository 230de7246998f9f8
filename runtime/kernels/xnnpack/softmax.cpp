// Softmax's float32 fast path: contiguous rows, which is every Softmax before opset 13 (the
// input is coerced to 2-D at `axis`) and, from 13, a Softmax along the last axis (attention's,
// a classifier's). It runs nn::softmax_rows_f32 (vectorised exp, rows split over the pool)
// rather than XNNPACK's softmax operator: measured on whisper's [6, 1500, 1500] attention
// scores, that took 10 ms a layer, this about half. It lives in the XNNPACK family because
// this family is the set of fast paths registered ahead of the reference kernels; other axes
// and dtypes run the reference kernel (libm's exp, the oracle of the tests).
#include "../nn/vector_math.h"
#include "xnn.h"

namespace parallax::rt::kernels {

Status Softmax(KernelContext&);

namespace {

// Marks a step whose input is float32 with an axis that can be contiguous rows.
constexpr uintptr_t kRows = 1;

// The row length of x, or -1 when the softmax does not normalise contiguous rows.
int64_t row_length(const KernelContext& ctx, const Shape& x) {
  const int64_t axis = ctx.attr_int("axis", ctx.opset() >= 13 ? -1 : 1);
  int a = 0;
  if (!normalize_axis(axis, x.rank, &a).is_ok()) return -1;
  if (ctx.opset() >= 13 && a != x.rank - 1) return -1;
  int64_t n = 1;
  for (int d = a; d < x.rank; ++d) n *= x.dims[d];
  return n;
}

}  // namespace

Status XnnSoftmax_prepare(KernelContext& ctx) {
  const TensorInfo* x = ctx.input_info(0);
  if (!xnn::is_f32_input(ctx, 0) || !xnn::is_f32_output(ctx, 0) || !x->rank_known ||
      x->shape.empty()) {
    return Status::ok();
  }
  Shape s;
  if (!Shape::from(x->shape.data(), static_cast<int>(x->shape.size()), &s) ||
      row_length(ctx, s) < 0) {
    return Status::ok();  // -1 dims still tell the axis apart; the length comes at run time
  }
  ctx.state() = reinterpret_cast<void*>(kRows);  // a flag, nothing to free
  return Status::ok();
}

void XnnSoftmax_release(void*) {}

Status XnnSoftmax(KernelContext& ctx) {
  const Tensor* x = ctx.input(0);
  if (ctx.state() == nullptr || x == nullptr || x->dtype != DType::kFloat32 || x->shape.rank == 0) {
    return Softmax(ctx);
  }
  const int64_t n = row_length(ctx, x->shape);
  if (n < 0) return Softmax(ctx);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kFloat32, x->shape, &y));
  if (x->numel() == 0 || n == 0) return Status::ok();
  nn::softmax_rows_f32(x->data_as<float>(), y->data_as<float>(), x->numel() / n, n, n,
                       ctx.threadpool());
  return Status::ok();
}

}  // namespace parallax::rt::kernels
