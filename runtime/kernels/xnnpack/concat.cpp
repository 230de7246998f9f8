// Concat split across the step's thread pool. This XNNPACK (2022) has no concatenate operator,
// and one XNNPACK copy operator per input would mean one pool dispatch per input (DenseNet
// concatenates up to 48); so rows of the output (everything before `axis`, which in NHWC is
// every pixel of a channel concat) are split across the pool that XNNPACK's operators use, each
// row assembled from its slices of every input. A single row, or inputs the reference kernel
// would reject, go to the reference kernel (which also reports the error).
#include <pthreadpool.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "xnn.h"

namespace parallax::rt::kernels {

Status Concat(KernelContext&);

namespace {

// Per-step buffers, sized once in prepare so a run allocates nothing.
struct ConcatState {
  std::vector<const Tensor*> inputs;
  std::vector<size_t> row_bytes;
};

struct Rows {
  const Tensor* const* inputs;
  const size_t* row_bytes;  // per input
  int count;
  size_t out_row;
  uint8_t* out;
};

void copy_rows(void* context, size_t first, size_t count) {
  const Rows& r = *static_cast<const Rows*>(context);
  for (size_t o = first; o < first + count; ++o) {
    uint8_t* dst = r.out + o * r.out_row;
    for (int k = 0; k < r.count; ++k) {
      const size_t n = r.row_bytes[k];
      std::memcpy(dst, static_cast<const uint8_t*>(r.inputs[k]->data) + o * n, n);
      dst += n;
    }
  }
}

}  // namespace

Status XnnConcat_prepare(KernelContext& ctx) {
  // Worth splitting only with several inputs and a pool to split across.
  if (ctx.input_count() >= 2 && ctx.threads() > 1 && (ctx.opset() < 4 || ctx.has_attr("axis"))) {
    auto* st = new ConcatState;
    st->inputs.resize(static_cast<size_t>(ctx.input_count()));
    st->row_bytes.resize(static_cast<size_t>(ctx.input_count()));
    ctx.state() = st;
  }
  return Status::ok();
}

void XnnConcat_release(void* state) { delete static_cast<ConcatState*>(state); }

Status XnnConcat(KernelContext& ctx) {
  auto* st = static_cast<ConcatState*>(ctx.state());
  const int n = ctx.input_count();
  const Tensor* first = ctx.input(0);
  if (st == nullptr || first == nullptr || n != static_cast<int>(st->inputs.size())) {
    return Concat(ctx);
  }
  const int rank = first->shape.rank;
  int axis = 0;
  if (!normalize_axis(ctx.attr_int("axis", 1), rank, &axis).is_ok()) return Concat(ctx);
  Shape out = first->shape;
  out.dims[axis] = 0;
  std::vector<const Tensor*>& inputs = st->inputs;
  for (int k = 0; k < n; ++k) {
    const Tensor* t = ctx.input(k);
    bool same = t != nullptr && t->dtype == first->dtype && t->shape.rank == rank;
    for (int d = 0; same && d < rank; ++d) same = d == axis || t->shape[d] == first->shape[d];
    if (!same) return Concat(ctx);
    inputs[k] = t;
    out.dims[axis] += t->shape[axis];
  }
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= out.dims[d];
  for (int d = axis + 1; d < rank; ++d) inner *= out.dims[d];
  if (outer <= 1) return Concat(ctx);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, first->dtype, out, &y));
  const size_t elem = dtype_size(first->dtype);
  std::vector<size_t>& row_bytes = st->row_bytes;
  for (int k = 0; k < n; ++k)
    row_bytes[k] = static_cast<size_t>(inputs[k]->shape[axis] * inner) * elem;
  Rows rows{inputs.data(), row_bytes.data(), n, static_cast<size_t>(out.dims[axis] * inner) * elem,
            static_cast<uint8_t*>(y->data)};
  // Tiles of at least 16 KiB keep the dispatch cost small next to the copying.
  const size_t tile = std::max<size_t>(1, (16 << 10) / std::max<size_t>(1, rows.out_row));
  pthreadpool_parallelize_1d_tile_1d(ctx.threadpool(), copy_rows, &rows, static_cast<size_t>(outer),
                                     tile, 0);
  return Status::ok();
}

}  // namespace parallax::rt::kernels
