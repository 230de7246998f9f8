// Transpose: output dim i is input dim perm[i]; perm defaults to the reversed dims.
#include "copy.h"

namespace parallax::rt::kernels {

Status Transpose(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const int rank = x->shape.rank;
  int perm[kMaxRank];
  if (const std::vector<int64_t>* p = ctx.attr_ints("perm")) {
    if (static_cast<int>(p->size()) != rank) {
      return Status::invalid("perm has " + std::to_string(p->size()) + " entries for rank " +
                             std::to_string(rank));
    }
    bool seen[kMaxRank] = {};
    for (int d = 0; d < rank; ++d) {
      PARALLAX_RETURN_IF_ERROR(normalize_axis((*p)[d], rank, &perm[d]));
      if (seen[perm[d]]) return Status::invalid("perm is not a permutation");
      seen[perm[d]] = true;
    }
  } else {
    for (int d = 0; d < rank; ++d) perm[d] = rank - 1 - d;
  }
  int64_t in_strides[kMaxRank];
  contiguous_strides(x->shape, in_strides);
  Shape out;
  out.rank = rank;
  StridedCopy copy;
  for (int d = 0; d < rank; ++d) {
    out.dims[d] = x->shape[perm[d]];
    copy.add_dim(out.dims[d], in_strides[perm[d]]);
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out, &y));
  return copy_strided(copy, x->data, 0, y->data, x->dtype);
}

}  // namespace parallax::rt::kernels
