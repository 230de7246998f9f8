// Compress: keeps the slices along `axis` whose entry in the 1-D bool `condition` is true
// (entries past the end of condition count as false). Without `axis` the input is flattened
// first and the output is 1-D.
#include <algorithm>

#include "copy.h"

namespace parallax::rt::kernels {

Status Compress(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* cond = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &cond));
  if (cond->dtype != DType::kBool || cond->shape.rank != 1) {
    return Status::invalid("condition must be a 1-D bool tensor");
  }
  int64_t outer = 1, dim = x->numel(), inner = 1;
  int axis = -1;
  if (ctx.has_attr("axis")) {
    PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", 0), x->shape.rank, &axis));
    dim = x->shape[axis];
    for (int d = 0; d < axis; ++d) outer *= x->shape[d];
    for (int d = axis + 1; d < x->shape.rank; ++d) inner *= x->shape[d];
  }
  const bool* keep = cond->data_as<bool>();
  const int64_t n_cond = std::min(dim, cond->numel());
  int64_t kept = 0;
  for (int64_t i = 0; i < n_cond; ++i) kept += keep[i];
  Shape out{kept};
  if (axis >= 0) {
    out = x->shape;
    out.dims[axis] = kept;
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out, &y));
  const size_t block = static_cast<size_t>(inner) * dtype_size(x->dtype);
  const auto* src = static_cast<const uint8_t*>(x->data);
  auto* dst = static_cast<uint8_t*>(y->data);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < n_cond; ++i) {
      if (!keep[i]) continue;
      std::memcpy(dst, src + (o * dim + i) * block, block);
      dst += block;
    }
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels
