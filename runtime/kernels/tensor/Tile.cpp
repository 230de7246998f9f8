// Tile: repeats the input repeats[d] times along each dim d. From opset 6 `repeats` is input 1
// (one entry per dim); opset 1 took a scalar count `tiles` (input 1) and an `axis` (input 2).
#include "copy.h"

namespace parallax::rt::kernels {

Status Tile(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* reps = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &reps));
  if (!is_int_tensor(*reps)) return Status::invalid("repeats must be an integer tensor");
  const int rank = x->shape.rank;
  int64_t repeats[kMaxRank];
  for (int d = 0; d < rank; ++d) repeats[d] = 1;
  if (ctx.opset() < 6) {
    const Tensor* axis_t = nullptr;
    PARALLAX_RETURN_IF_ERROR(require_input(ctx, 2, &axis_t));
    if (reps->numel() != 1 || axis_t->numel() != 1 || !is_int_tensor(*axis_t)) {
      return Status::invalid("tiles and axis must be integer scalars");
    }
    int axis = 0;
    PARALLAX_RETURN_IF_ERROR(normalize_axis(int_at(*axis_t, 0), rank, &axis));
    repeats[axis] = int_at(*reps, 0);
  } else {
    if (reps->numel() != rank) {
      return Status::invalid("repeats has " + std::to_string(reps->numel()) +
                             " entries for an input of rank " + std::to_string(rank));
    }
    for (int d = 0; d < rank; ++d) repeats[d] = int_at(*reps, d);
  }
  // View the output as [r0, d0, r1, d1, ...]: the repeat dims read the input with stride 0.
  int64_t in_strides[kMaxRank];
  contiguous_strides(x->shape, in_strides);
  Shape out;
  out.rank = rank;
  StridedCopy copy;
  for (int d = 0; d < rank; ++d) {
    if (repeats[d] < 0) return Status::invalid("repeats must not be negative");
    out.dims[d] = x->shape[d] * repeats[d];
    copy.add_dim(repeats[d], 0);
    copy.add_dim(x->shape[d], in_strides[d]);
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out, &y));
  return copy_strided(copy, x->data, 0, y->data, x->dtype);
}

}  // namespace parallax::rt::kernels
