// Concat: joins the inputs along `axis` (negative from opset 11; opset 1 defaults to 1). All
// other dims must agree. Each input is a run of [outer, dim_k * inner] blocks, copied by rows.
#include "copy.h"

namespace parallax::rt::kernels {

Status Concat(KernelContext& ctx) {
  const int n = ctx.input_count();
  if (n == 0) return Status::invalid("Concat needs at least one input");
  const Tensor* first = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &first));
  if (ctx.opset() >= 4 && !ctx.has_attr("axis"))
    return Status::invalid("attribute axis is required");
  const int rank = first->shape.rank;
  int axis = 0;
  PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", 1), rank, &axis));
  Shape out = first->shape;
  out.dims[axis] = 0;
  for (int k = 0; k < n; ++k) {
    const Tensor* t = nullptr;
    PARALLAX_RETURN_IF_ERROR(require_input(ctx, k, &t));
    bool same = t->dtype == first->dtype && t->shape.rank == rank;
    for (int d = 0; same && d < rank; ++d) same = d == axis || t->shape[d] == first->shape[d];
    if (!same) {
      return Status::invalid("input " + std::to_string(k) + " (" + dtype_name(t->dtype) + " " +
                             t->shape.to_string() + ") does not match input 0 (" +
                             dtype_name(first->dtype) + " " + first->shape.to_string() +
                             ") outside axis " + std::to_string(axis));
    }
    out.dims[axis] += t->shape[axis];
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, first->dtype, out, &y));
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= out.dims[d];
  for (int d = axis + 1; d < rank; ++d) inner *= out.dims[d];
  const size_t elem = dtype_size(first->dtype);
  const size_t out_row = static_cast<size_t>(out.dims[axis] * inner) * elem;
  auto* dst = static_cast<uint8_t*>(y->data);
  size_t col = 0;
  for (int k = 0; k < n; ++k) {
    const Tensor* t = ctx.input(k);
    const size_t row = static_cast<size_t>(t->shape[axis] * inner) * elem;
    const auto* src = static_cast<const uint8_t*>(t->data);
    for (int64_t o = 0; o < outer && row != 0; ++o) {
      std::memcpy(dst + o * out_row + col, src + o * row, row);
    }
    col += row;
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels
