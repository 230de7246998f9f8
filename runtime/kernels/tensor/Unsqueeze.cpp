// Unsqueeze: inserts dims of size 1 at the listed positions of the output (`axes` attribute
// before opset 13, input 1 from 13; negative axes count from the output's end).
#include "copy.h"

namespace parallax::rt::kernels {

Status Unsqueeze(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  IntList axes;
  PARALLAX_RETURN_IF_ERROR(read_int_list(ctx, ctx.opset() >= 13, 1, "axes", &axes));
  if (!axes.present()) return Status::invalid("axes are missing");
  const int64_t out_rank = x->shape.rank + axes.size();
  if (out_rank > kMaxRank) {
    return Status::unsupported("rank " + std::to_string(out_rank) + " exceeds the maximum of " +
                               std::to_string(kMaxRank));
  }
  bool inserted[kMaxRank] = {};
  for (int64_t i = 0; i < axes.size(); ++i) {
    int a = 0;
    PARALLAX_RETURN_IF_ERROR(normalize_axis(axes[i], static_cast<int>(out_rank), &a));
    if (inserted[a]) return Status::invalid("axis " + std::to_string(axes[i]) + " is repeated");
    inserted[a] = true;
  }
  Shape out;
  out.rank = static_cast<int>(out_rank);
  int src = 0;
  for (int d = 0; d < out.rank; ++d) out.dims[d] = inserted[d] ? 1 : x->shape[src++];
  return copy_reshaped(ctx, *x, out);
}

}  // namespace parallax::rt::kernels
