// SpaceToDepth: the inverse of DepthToSpace (DCR): [N, C, H, W] -> [N, C*b², H/b, W/b] with
// the new channel ordered (b_h, b_w, c). One 6-D transpose.
#include "copy.h"

namespace parallax::rt::kernels {

Status SpaceToDepth(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (x->shape.rank != 4) return Status::invalid("input must be 4-D, got " + x->shape.to_string());
  const int64_t b = ctx.attr_int("blocksize", 0);
  const int64_t n = x->shape[0], c = x->shape[1], h = x->shape[2], w = x->shape[3];
  if (b <= 0 || h % b != 0 || w % b != 0) {
    return Status::invalid("blocksize " + std::to_string(b) +
                           " does not divide the spatial dims of " + x->shape.to_string());
  }
  StridedCopy copy;  // output order: n, bh, bw, c, h/b, w/b
  copy.add_dim(n, c * h * w);
  copy.add_dim(b, w);
  copy.add_dim(b, 1);
  copy.add_dim(c, h * w);
  copy.add_dim(h / b, b * w);
  copy.add_dim(w / b, b);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, Shape{n, c * b * b, h / b, w / b}, &y));
  return copy_strided(copy, x->data, 0, y->data, x->dtype);
}

}  // namespace parallax::rt::kernels
