// Reshape: the same elements under a new shape. The target comes from the `shape` attribute
// before opset 5 and from input 1 after; 0 copies the input's dim (unless allowzero, opset 14)
// and one -1 is inferred from the element count.
#include "copy.h"

namespace parallax::rt::kernels {

Status Reshape(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  IntList target;
  PARALLAX_RETURN_IF_ERROR(read_int_list(ctx, ctx.opset() >= 5, 1, "shape", &target));
  if (!target.present()) return Status::invalid("the target shape is missing");
  if (target.size() > kMaxRank) {
    return Status::unsupported("rank " + std::to_string(target.size()) +
                               " exceeds the maximum of " + std::to_string(kMaxRank));
  }
  const bool allowzero = ctx.opset() >= 14 && ctx.attr_int("allowzero", 0) != 0;
  Shape out;
  out.rank = static_cast<int>(target.size());
  int inferred = -1;
  int64_t known = 1;
  for (int d = 0; d < out.rank; ++d) {
    int64_t v = target[d];
    if (v == 0 && !allowzero) {
      if (d >= x->shape.rank) {
        return Status::invalid("shape entry " + std::to_string(d) +
                               " is 0 but the input has rank " + std::to_string(x->shape.rank));
      }
      v = x->shape[d];
    }
    if (v == -1) {
      if (inferred >= 0) return Status::invalid("the target shape has more than one -1");
      inferred = d;
      continue;
    }
    if (v < 0)
      return Status::invalid("invalid dimension " + std::to_string(v) + " in the target shape");
    out.dims[d] = v;
    known *= v;
  }
  if (inferred >= 0) {
    if (known == 0 || x->numel() % known != 0) {
      return Status::invalid("cannot infer the -1 dimension reshaping " + x->shape.to_string());
    }
    out.dims[inferred] = x->numel() / known;
  }
  return copy_reshaped(ctx, *x, out);
}

}  // namespace parallax::rt::kernels
