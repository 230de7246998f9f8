// Slice: a strided window of the input. starts/ends/axes are attributes before opset 10;
// from 10 they are inputs 1-3 plus steps (input 4). Bounds clamp like numpy: negative values
// count from the end, and out-of-range values (INT64_MAX, ...) clamp to the dim.
#include "copy.h"

namespace parallax::rt::kernels {

Status Slice(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const bool from_inputs = ctx.opset() >= 10;
  IntList starts, ends, axes, steps;
  PARALLAX_RETURN_IF_ERROR(read_int_list(ctx, from_inputs, 1, "starts", &starts));
  PARALLAX_RETURN_IF_ERROR(read_int_list(ctx, from_inputs, 2, "ends", &ends));
  PARALLAX_RETURN_IF_ERROR(read_int_list(ctx, from_inputs, 3, "axes", &axes));
  if (from_inputs) PARALLAX_RETURN_IF_ERROR(read_int_list(ctx, true, 4, "steps", &steps));
  if (!starts.present() || !ends.present()) return Status::invalid("starts and ends are required");
  const int64_t n = starts.size();
  if (ends.size() != n || (axes.present() && axes.size() != n) ||
      (steps.present() && steps.size() != n)) {
    return Status::invalid("starts, ends, axes and steps must have the same length");
  }
  const int rank = x->shape.rank;
  int64_t begin[kMaxRank], step[kMaxRank];
  bool seen[kMaxRank] = {};
  Shape out = x->shape;
  for (int d = 0; d < rank; ++d) {
    begin[d] = 0;
    step[d] = 1;
  }
  for (int64_t i = 0; i < n; ++i) {
    int a = static_cast<int>(i);
    PARALLAX_RETURN_IF_ERROR(normalize_axis(axes.present() ? axes[i] : i, rank, &a));
    if (seen[a]) return Status::invalid("axis " + std::to_string(a) + " is sliced twice");
    seen[a] = true;
    const int64_t dim = x->shape[a];
    const int64_t s = steps.present() ? steps[i] : 1;
    if (s == 0) return Status::invalid("slice step must not be 0");
    int64_t b = starts[i], e = ends[i];
    if (b < 0) b += dim;
    if (e < 0) e += dim;
    // A forward slice clamps to [0, dim]; a backward one to [-1, dim - 1].
    auto clamp = [](int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); };
    if (s > 0) {
      b = clamp(b, 0, dim);
      e = clamp(e, 0, dim);
      out.dims[a] = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = clamp(b, -1, dim - 1);
      e = clamp(e, -1, dim - 1);
      out.dims[a] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
    }
    begin[a] = b;
    step[a] = s;
  }
  int64_t in_strides[kMaxRank];
  contiguous_strides(x->shape, in_strides);
  StridedCopy copy;
  int64_t offset = 0;
  for (int d = 0; d < rank; ++d) {
    copy.add_dim(out.dims[d], in_strides[d] * step[d]);
    offset += begin[d] * in_strides[d];
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out, &y));
  if (out.numel() == 0) return Status::ok();
  return copy_strided(copy, x->data, offset, y->data, x->dtype);
}

}  // namespace parallax::rt::kernels
