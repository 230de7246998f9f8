// Transpose: output dim i is input dim perm[i]; perm defaults to the reversed dims.
// Large tensors (attention's head split and merge) split their output rows over the step's
// thread pool; each row is copied by one thread, so the result is the same for any count.
#include <pthreadpool.h>

#include <algorithm>

#include "copy.h"

namespace parallax::rt::kernels {

namespace {

struct RowsJob {
  const StridedCopy* copy;
  const void* src;
  void* dst;
  DType dtype;
};

void copy_rows(void* context, size_t start, size_t count) {
  const RowsJob& j = *static_cast<const RowsJob*>(context);
  dispatch_size(j.dtype, [&](auto tag) {
    using U = typename decltype(tag)::type;
    copy_strided_rows<U>(*j.copy, static_cast<const U*>(j.src), static_cast<U*>(j.dst),
                         static_cast<int64_t>(start), static_cast<int64_t>(start + count));
    return Status::ok();
  });
}

}  // namespace

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
  // Below 128 KiB, waking the pool costs more than it saves.
  constexpr size_t kParallelBytes = size_t{1} << 17;
  if (ctx.threadpool() == nullptr || ctx.threads() < 2 || y->nbytes() < kParallelBytes) {
    return copy_strided(copy, x->data, 0, y->data, x->dtype);
  }
  const StridedCopy k = coalesce(copy);
  // The tasks cannot report errors: reject an element size dispatch_size lacks up front.
  PARALLAX_RETURN_IF_ERROR(dispatch_size(x->dtype, [](auto) { return Status::ok(); }));
  const int64_t inner = k.dims[k.rank - 1];
  const size_t rows_per_task = static_cast<size_t>(std::max<int64_t>(1, 16384 / inner));
  RowsJob job{&k, x->data, y->data, x->dtype};
  pthreadpool_parallelize_1d_tile_1d(ctx.threadpool(), &copy_rows, &job,
                                     static_cast<size_t>(k.numel() / inner), rows_per_task, 0);
  return Status::ok();
}

}  // namespace parallax::rt::kernels
