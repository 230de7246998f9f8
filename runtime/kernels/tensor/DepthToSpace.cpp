// DepthToSpace: moves blocks of channels into b x b spatial blocks: [N, C, H, W] ->
// [N, C/b², H*b, W*b]. Mode DCR (default; the only one before opset 11) takes the channel as
// (b_h, b_w, c), CRD as (c, b_h, b_w). Both are one 6-D transpose.
#include "copy.h"

namespace parallax::rt::kernels {

Status DepthToSpace(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (x->shape.rank != 4) return Status::invalid("input must be 4-D, got " + x->shape.to_string());
  const int64_t b = ctx.attr_int("blocksize", 0);
  const int64_t n = x->shape[0], c = x->shape[1], h = x->shape[2], w = x->shape[3];
  if (b <= 0 || c % (b * b) != 0) {
    return Status::invalid("blocksize " + std::to_string(b) + " does not divide " +
                           std::to_string(c) + " channels into b*b groups");
  }
  const std::string_view mode = ctx.opset() >= 11 ? attr_view(ctx, "mode", "DCR") : "DCR";
  if (mode != "DCR" && mode != "CRD")
    return Status::invalid("unknown mode '" + std::string(mode) + "'");
  const int64_t oc = c / (b * b);
  // Input strides of the channel factors (bh, bw, oc) under each mode.
  const int64_t hw = h * w;
  const bool dcr = mode == "DCR";
  const int64_t s_bh = dcr ? b * oc * hw : b * hw;
  const int64_t s_bw = dcr ? oc * hw : hw;
  const int64_t s_oc = dcr ? hw : b * b * hw;
  StridedCopy copy;  // output order: n, oc, h, bh, w, bw
  copy.add_dim(n, c * hw);
  copy.add_dim(oc, s_oc);
  copy.add_dim(h, w);
  copy.add_dim(b, s_bh);
  copy.add_dim(w, 1);
  copy.add_dim(b, s_bw);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, Shape{n, oc, h * b, w * b}, &y));
  return copy_strided(copy, x->data, 0, y->data, x->dtype);
}

}  // namespace parallax::rt::kernels
