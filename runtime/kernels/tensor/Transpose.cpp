// Transpose: output dim i is input dim perm[i]; perm defaults to the reversed dims.
// Large tensors (attention's head split and merge) split their output rows over the step's
// thread pool; each row is copied by one thread, so the result is the same for any count.
//
// When the source's contiguous dim becomes the output's next-to-last (NCHW <-> NHWC, swapping
// a matrix's last two axes), copying output rows would read one element per cache line (the
// last dim's source stride), every line again for each row. Such copies move square tiles
// instead, read along the source's lines and written along the output's: NHWC -> NCHW of
// 96 x 112 x 112 floats took 1.1 ms row by row, about 4x ONNX Runtime's reorder.
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

// Tiles are kTile x kTile elements: for 4-byte elements 16 source and 16 destination lines.
constexpr int64_t kTile = 16;

// True when the coalesced copy c swaps its last two dims' memory order (the last dim is read
// with a stride and the one before it contiguously) on matrices too large to stay in cache
// while their rows are gathered: smaller ones (attention's per-head 32 x 64) copy faster row
// by row.
bool tiles_pay_off(const StridedCopy& c, size_t element_size) {
  constexpr size_t kCachedBytes = size_t{64} << 10;
  return c.rank >= 2 && c.strides[c.rank - 1] != 1 && c.strides[c.rank - 2] == 1 &&
         static_cast<size_t>(c.dims[c.rank - 2] * c.dims[c.rank - 1]) * element_size >
             kCachedBytes;
}

// Groups of kTile output rows: the destination is `outer` matrices of a x b elements (the last
// two dims), matrix o reading source element (i, j) at its offset + i + j * (last stride).
// Copies groups [g_begin, g_end), g = o * ceil(a / kTile) + row block.
template <typename U>
void copy_tiles(const StridedCopy& c, const U* src, U* dst, int64_t g_begin, int64_t g_end) {
  const int last = c.rank - 1;
  const int64_t a = c.dims[last - 1], b = c.dims[last], sb = c.strides[last];
  const int64_t blocks = (a + kTile - 1) / kTile;
  for (int64_t g = g_begin; g < g_end; ++g) {
    int64_t o = g / blocks, off = 0;
    for (int d = last - 2; d >= 0; --d) {
      off += (o % c.dims[d]) * c.strides[d];
      o /= c.dims[d];
    }
    const int64_t i0 = (g % blocks) * kTile, in = std::min(kTile, a - i0);
    const U* s = src + off + i0;
    U* t = dst + (g / blocks * a + i0) * b;
    for (int64_t j0 = 0; j0 < b; j0 += kTile) {
      const int64_t jn = std::min(kTile, b - j0);
      for (int64_t i = 0; i < in; ++i)
        for (int64_t j = j0; j < j0 + jn; ++j) t[i * b + j] = s[i + j * sb];
    }
  }
}

void copy_tile_groups(void* context, size_t start, size_t count) {
  const RowsJob& j = *static_cast<const RowsJob*>(context);
  dispatch_size(j.dtype, [&](auto tag) {
    using U = typename decltype(tag)::type;
    copy_tiles<U>(*j.copy, static_cast<const U*>(j.src), static_cast<U*>(j.dst),
                  static_cast<int64_t>(start), static_cast<int64_t>(start + count));
    return Status::ok();
  });
}

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
  if (y->numel() == 0) return Status::ok();
  // The tasks cannot report errors: reject an element size dispatch_size lacks up front.
  PARALLAX_RETURN_IF_ERROR(dispatch_size(x->dtype, [](auto) { return Status::ok(); }));
  const StridedCopy k = coalesce(copy);
  // Below 128 KiB, waking the pool costs more than it saves.
  constexpr size_t kParallelBytes = size_t{1} << 17;
  const bool parallel =
      ctx.threadpool() != nullptr && ctx.threads() >= 2 && y->nbytes() >= kParallelBytes;
  if (tiles_pay_off(k, dtype_size(x->dtype))) {
    const int64_t groups = k.numel() / (k.dims[k.rank - 2] * k.dims[k.rank - 1]) *
                           ((k.dims[k.rank - 2] + kTile - 1) / kTile);
    RowsJob job{&k, x->data, y->data, x->dtype};
    if (!parallel) {
      copy_tile_groups(&job, 0, static_cast<size_t>(groups));
    } else {
      pthreadpool_parallelize_1d_tile_1d(ctx.threadpool(), &copy_tile_groups, &job,
                                         static_cast<size_t>(groups), 1, 0);
    }
    return Status::ok();
  }
  if (!parallel) return copy_strided(copy, x->data, 0, y->data, x->dtype);
  const int64_t inner = k.dims[k.rank - 1];
  const size_t rows_per_task = static_cast<size_t>(std::max<int64_t>(1, 16384 / inner));
  RowsJob job{&k, x->data, y->data, x->dtype};
  pthreadpool_parallelize_1d_tile_1d(ctx.threadpool(), &copy_rows, &job,
                                     static_cast<size_t>(k.numel() / inner), rows_per_task, 0);
  return Status::ok();
}

}  // namespace parallax::rt::kernels
