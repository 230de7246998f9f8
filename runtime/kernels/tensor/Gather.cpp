// Gather: picks entries of `data` along `axis` by `indices`; the output shape is
// data[:axis] + indices.shape + data[axis+1:]. Negative indices count from the end.
#include "indices.h"

namespace parallax::rt::kernels {

Status Gather(KernelContext& ctx) {
  const Tensor* data = nullptr;
  const Tensor* indices = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &data));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &indices));
  PARALLAX_RETURN_IF_ERROR(check_index_tensor(*indices));
  const int rank = data->shape.rank;
  int axis = 0;
  PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", 0), rank, &axis));
  const int out_rank = rank - 1 + indices->shape.rank;
  if (out_rank > kMaxRank) return Status::unsupported("output rank exceeds the maximum");
  Shape out;
  for (int d = 0; d < axis; ++d) out.dims[out.rank++] = data->shape[d];
  for (int d = 0; d < indices->shape.rank; ++d) out.dims[out.rank++] = indices->shape[d];
  for (int d = axis + 1; d < rank; ++d) out.dims[out.rank++] = data->shape[d];
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, data->dtype, out, &y));
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= data->shape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= data->shape[d];
  const int64_t dim = data->shape[axis];
  const int64_t n_idx = indices->numel();
  const size_t block = static_cast<size_t>(inner) * dtype_size(data->dtype);
  const auto* src = static_cast<const uint8_t*>(data->data);
  auto* dst = static_cast<uint8_t*>(y->data);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < n_idx; ++k) {
      int64_t i = 0;
      PARALLAX_RETURN_IF_ERROR(read_index(*indices, k, dim, &i));
      std::memcpy(dst, src + (o * dim + i) * block, block);
      dst += block;
    }
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels
