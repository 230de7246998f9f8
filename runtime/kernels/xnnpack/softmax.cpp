// Softmax on XNNPACK's NC softmax: float32, normalising contiguous rows, which is every
// Softmax before opset 13 (the input is coerced to 2-D at `axis`) and, from 13, a Softmax
// along the last axis (attention's, a classifier's). XNNPACK fixes the row length when the
// operator is created; it is created at the first run and again only when the row length
// changes. Other axes and dtypes run the reference kernel.
#include "xnn.h"

namespace parallax::rt::kernels {

Status Softmax(KernelContext&);

namespace {

struct SoftmaxState {
  xnn::Operator op;
  int64_t channels = -1;  // the row length the operator was made for
};

// The row length of x, or -1 when XNNPACK cannot normalise along this axis.
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
  if (!xnn::available() || !xnn::is_f32_input(ctx, 0) || !xnn::is_f32_output(ctx, 0) ||
      !x->rank_known || x->shape.empty()) {
    return Status::ok();
  }
  Shape s;
  if (!Shape::from(x->shape.data(), static_cast<int>(x->shape.size()), &s) ||
      row_length(ctx, s) < 0) {
    return Status::ok();  // -1 dims still tell the axis apart; the length comes at run time
  }
  ctx.state() = new SoftmaxState;
  return Status::ok();
}

void XnnSoftmax_release(void* state) { delete static_cast<SoftmaxState*>(state); }

Status XnnSoftmax(KernelContext& ctx) {
  auto* st = static_cast<SoftmaxState*>(ctx.state());
  const Tensor* x = ctx.input(0);
  if (st == nullptr || x == nullptr || x->dtype != DType::kFloat32 || x->shape.rank == 0) {
    return Softmax(ctx);
  }
  const int64_t channels = row_length(ctx, x->shape);
  if (channels < 0) return Softmax(ctx);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kFloat32, x->shape, &y));
  if (x->numel() == 0) return Status::ok();
  if (!st->op || st->channels != channels) {
    const size_t c = static_cast<size_t>(channels);
    PARALLAX_RETURN_IF_ERROR(
        xnn::check(xnn_create_softmax_nc_f32(c, c, c, 0, st->op.out()), "create softmax"));
    st->channels = channels;
  }
  PARALLAX_RETURN_IF_ERROR(xnn::check(
      xnn_setup_softmax_nc_f32(st->op.get(), static_cast<size_t>(x->numel() / channels),
                               x->data_as<float>(), y->data_as<float>(), ctx.threadpool()),
      "setup softmax"));
  return st->op.run(ctx);
}

}  // namespace parallax::rt::kernels
