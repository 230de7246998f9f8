// ChannelShuffleNhwc (com.parallax, version 1): ShuffleNet's channel shuffle in NHWC, made by
// the layout pass (passes/layout.h) from Reshape [N, g, C/g, H, W] -> Transpose [0, 2, 1, 3, 4]
// -> Reshape [N, C, H, W]. Attribute `groups` = g. X, Y [N, H, W, C]; output channel
// i * g + j is input channel j * (C / g) + i. float32 only; XNNPACK's channel_shuffle_nc_x32,
// created when C is known (prepare, or the first run) and again only when C changes.
#include "xnn.h"

namespace parallax::rt::kernels {

namespace {

struct ShuffleState {
  xnn::Operator op;
  int64_t channels = -1;
};

Status create(KernelContext& ctx, ShuffleState* st, int64_t channels) {
  const int64_t groups = ctx.attr_int("groups", 0);
  if (groups <= 1 || channels % groups != 0) {
    return Status::invalid("groups " + std::to_string(groups) + " must be > 1 and divide the " +
                           std::to_string(channels) + " channels");
  }
  const size_t c = static_cast<size_t>(channels);
  PARALLAX_RETURN_IF_ERROR(
      xnn::check(xnn_create_channel_shuffle_nc_x32(static_cast<size_t>(groups), c / groups, c, c, 0,
                                                   st->op.out()),
                 "create channel shuffle"));
  st->channels = channels;
  return Status::ok();
}

}  // namespace

Status ChannelShuffleNhwc_prepare(KernelContext& ctx) {
  if (!xnn::available()) return Status::unsupported("XNNPACK cannot run on this CPU");
  const TensorInfo* x = ctx.input_info(0);
  if (x == nullptr || x->dtype != DType::kFloat32 || !x->rank_known || x->shape.size() != 4) {
    return Status::invalid("X must be a 4-D float32 tensor (NHWC)");
  }
  auto* st = new ShuffleState;
  ctx.state() = st;
  return x->shape[3] >= 0 ? create(ctx, st, x->shape[3]) : Status::ok();
}

void ChannelShuffleNhwc_release(void* state) { delete static_cast<ShuffleState*>(state); }

Status ChannelShuffleNhwc(KernelContext& ctx) {
  auto* st = static_cast<ShuffleState*>(ctx.state());
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (st == nullptr) return Status::internal("ChannelShuffleNhwc ran without prepare");
  if (x->dtype != DType::kFloat32 || x->shape.rank != 4) {
    return Status::invalid("X must be a 4-D float32 tensor (NHWC), got " + x->shape.to_string());
  }
  if (!st->op || st->channels != x->shape[3])
    PARALLAX_RETURN_IF_ERROR(create(ctx, st, x->shape[3]));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kFloat32, x->shape, &y));
  const size_t pixels = static_cast<size_t>(x->shape[0] * x->shape[1] * x->shape[2]);
  if (pixels == 0 || x->shape[3] == 0) return Status::ok();
  PARALLAX_RETURN_IF_ERROR(xnn::check(
      xnn_setup_channel_shuffle_nc_x32(st->op.get(), pixels, x->data, y->data, ctx.threadpool()),
      "setup channel shuffle"));
  return st->op.run(ctx);
}

}  // namespace parallax::rt::kernels
