// Squeeze: removes dims of size 1, the listed ones (`axes` attribute before opset 13, input 1
// from 13) or all of them when none are listed.
#include "copy.h"

namespace parallax::rt::kernels {

Status Squeeze(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  IntList axes;
  PARALLAX_RETURN_IF_ERROR(read_int_list(ctx, ctx.opset() >= 13, 1, "axes", &axes));
  const int rank = x->shape.rank;
  bool drop[kMaxRank] = {};
  if (axes.present()) {
    for (int64_t i = 0; i < axes.size(); ++i) {
      int a = 0;
      PARALLAX_RETURN_IF_ERROR(normalize_axis(axes[i], rank, &a));
      if (x->shape[a] != 1) {
        return Status::invalid("cannot squeeze axis " + std::to_string(a) + " of shape " +
                               x->shape.to_string() + ": its size is not 1");
      }
      drop[a] = true;
    }
  } else {
    for (int d = 0; d < rank; ++d) drop[d] = x->shape[d] == 1;
  }
  Shape out;
  for (int d = 0; d < rank; ++d)
    if (!drop[d]) out.dims[out.rank++] = x->shape[d];
  return copy_reshaped(ctx, *x, out);
}

}  // namespace parallax::rt::kernels
