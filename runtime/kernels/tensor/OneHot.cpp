// OneHot: inserts a dim of size `depth` at `axis` (default -1, the new last dim); position
// indices[p] along it holds values[1], every other position values[0]. Negative indices count
// from depth (opset 11); indices outside [-depth, depth) give an all-off row.
#include <cmath>

#include "copy.h"

namespace parallax::rt::kernels {

Status OneHot(KernelContext& ctx) {
  const Tensor* indices = nullptr;
  const Tensor* depth_t = nullptr;
  const Tensor* values = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &indices));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &depth_t));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 2, &values));
  double depth_d = 0;
  PARALLAX_RETURN_IF_ERROR(scalar_as_double(*depth_t, "depth", &depth_d));
  const int64_t depth = static_cast<int64_t>(std::floor(depth_d));
  if (depth < 1) return Status::invalid("depth must be positive");
  if (values->numel() != 2) return Status::invalid("values must hold [off_value, on_value]");
  const int out_rank = indices->shape.rank + 1;
  if (out_rank > kMaxRank) return Status::unsupported("output rank exceeds the maximum");
  int axis = 0;
  PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", -1), out_rank, &axis));
  Shape out;
  out.rank = out_rank;
  int64_t outer = 1, inner = 1;
  for (int d = 0, s = 0; d < out_rank; ++d) {
    out.dims[d] = d == axis ? depth : indices->shape[s++];
    if (d < axis) outer *= out.dims[d];
    if (d > axis) inner *= out.dims[d];
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, values->dtype, out, &y));
  return dispatch_size(values->dtype, [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U off = values->data_as<U>()[0], on = values->data_as<U>()[1];
    U* dst = y->data_as<U>();
    const int64_t n = out.numel();
    for (int64_t i = 0; i < n; ++i) dst[i] = off;
    // Reads indices of any numeric type.
    return PARALLAX_DISPATCH(indices->dtype, kNumericTypes, [&](auto itag) {
      using I = typename decltype(itag)::type;
      const I* idx = indices->data_as<I>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t r = 0; r < inner; ++r) {
          int64_t k = static_cast<int64_t>(static_cast<compute_t<I>>(idx[o * inner + r]));
          if (k < 0) k += depth;
          if (k >= 0 && k < depth) dst[(o * depth + k) * inner + r] = on;
        }
      }
      return Status::ok();
    });
  });
}

}  // namespace parallax::rt::kernels
