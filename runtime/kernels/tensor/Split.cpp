// Split: cuts the input along `axis` into the outputs. Sizes come from the `split` attribute
// (opsets 2-12), input 1 (opset 1 optionally, and from 13), or are equal parts.
#include "copy.h"

namespace parallax::rt::kernels {

Status Split(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const int rank = x->shape.rank;
  int axis = 0;
  PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", 0), rank, &axis));
  const int n_out = ctx.output_count();
  const int64_t dim = x->shape[axis];
  IntList sizes;
  if (ctx.opset() >= 13 || (ctx.opset() == 1 && ctx.input(1) != nullptr)) {
    PARALLAX_RETURN_IF_ERROR(read_int_list(ctx, true, 1, "split", &sizes));
  } else {
    PARALLAX_RETURN_IF_ERROR(read_int_list(ctx, false, 1, "split", &sizes));
  }
  if (sizes.present()) {
    if (sizes.size() != n_out) {
      return Status::invalid("split has " + std::to_string(sizes.size()) + " entries for " +
                             std::to_string(n_out) + " outputs");
    }
    int64_t total = 0;
    for (int k = 0; k < n_out; ++k) {
      if (sizes[k] < 0) return Status::invalid("split sizes must not be negative");
      total += sizes[k];
    }
    if (total != dim) {
      return Status::invalid("split sizes add up to " + std::to_string(total) + ", not to dim " +
                             std::to_string(dim));
    }
  } else if (n_out == 0 || dim % n_out != 0) {
    return Status::invalid("dim " + std::to_string(dim) + " does not split into " +
                           std::to_string(n_out) + " equal parts");
  }
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= x->shape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= x->shape[d];
  const size_t elem = dtype_size(x->dtype);
  const size_t in_row = static_cast<size_t>(dim * inner) * elem;
  const auto* src = static_cast<const uint8_t*>(x->data);
  size_t col = 0;
  for (int k = 0; k < n_out; ++k) {
    Shape out = x->shape;
    out.dims[axis] = sizes.present() ? sizes[k] : dim / n_out;
    Tensor* y = nullptr;
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(k, x->dtype, out, &y));
    const size_t row = static_cast<size_t>(out.dims[axis] * inner) * elem;
    auto* dst = static_cast<uint8_t*>(y->data);
    for (int64_t o = 0; o < outer && row != 0; ++o)
      std::memcpy(dst + o * row, src + o * in_row + col, row);
    col += row;
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels
