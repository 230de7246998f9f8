// Flatten: a 2-D view [prod(dims before axis), prod(dims from axis)]. Negative axes from
// opset 11; axis may equal the rank (then the second dim is 1).
#include "copy.h"

namespace parallax::rt::kernels {

Status Flatten(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const int rank = x->shape.rank;
  int64_t axis = ctx.attr_int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) {
    return Status::invalid("axis " + std::to_string(ctx.attr_int("axis", 1)) +
                           " is out of range for rank " + std::to_string(rank));
  }
  Shape out{1, 1};
  for (int d = 0; d < rank; ++d) out.dims[d < axis ? 0 : 1] *= x->shape[d];
  return copy_reshaped(ctx, *x, out);
}

}  // namespace parallax::rt::kernels
