// Expand: broadcasts the input against the shape given in input 1 (numpy rules in both
// directions, so a target dim of 1 keeps the input's dim).
#include "copy.h"

namespace parallax::rt::kernels {

Status Expand(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* shape_t = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &shape_t));
  if (shape_t->shape.rank > 1) return Status::invalid("shape must be 1-D");
  Shape target;
  PARALLAX_RETURN_IF_ERROR(shape_from_tensor(*shape_t, &target));
  Shape out;
  PARALLAX_RETURN_IF_ERROR(broadcast_shapes(x->shape, target, &out));
  int64_t strides[kMaxRank];
  broadcast_strides(x->shape, out, strides);
  StridedCopy copy;
  for (int d = 0; d < out.rank; ++d) copy.add_dim(out.dims[d], strides[d]);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out, &y));
  return copy_strided(copy, x->data, 0, y->data, x->dtype);
}

}  // namespace parallax::rt::kernels
