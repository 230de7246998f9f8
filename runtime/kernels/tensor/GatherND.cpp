// GatherND: each innermost row of `indices` (length k) addresses a slice of `data` below the
// first `batch_dims` dims (opset 12+); the output is indices.shape[:-1] + data.shape[b+k:].
#include "indices.h"

namespace parallax::rt::kernels {

Status GatherND(KernelContext& ctx) {
  const Tensor* data = nullptr;
  const Tensor* indices = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &data));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &indices));
  PARALLAX_RETURN_IF_ERROR(check_index_tensor(*indices));
  const Shape& ds = data->shape;
  const Shape& is = indices->shape;
  const int64_t b = ctx.attr_int("batch_dims", 0);
  if (is.rank < 1 || b < 0 || b >= is.rank || b >= ds.rank) {
    return Status::invalid("batch_dims " + std::to_string(b) + " does not fit data " +
                           ds.to_string() + " and indices " + is.to_string());
  }
  const int64_t k = is.dims[is.rank - 1];
  if (k < 1 || k > ds.rank - b) {
    return Status::invalid("index rows of length " + std::to_string(k) + " do not fit data " +
                           ds.to_string());
  }
  int64_t batches = 1;
  for (int d = 0; d < b; ++d) {
    if (ds.dims[d] != is.dims[d]) return Status::invalid("batch dims of data and indices differ");
    batches *= ds.dims[d];
  }
  Shape out;
  int64_t rows = 1, slice = 1;
  for (int d = 0; d < is.rank - 1; ++d) out.dims[out.rank++] = is.dims[d];
  for (int d = static_cast<int>(b); d < is.rank - 1; ++d) rows *= is.dims[d];
  if (out.rank + ds.rank - b - k > kMaxRank)
    return Status::unsupported("output rank exceeds the maximum");
  for (int d = static_cast<int>(b + k); d < ds.rank; ++d) {
    out.dims[out.rank++] = ds.dims[d];
    slice *= ds.dims[d];
  }
  int64_t strides[kMaxRank];
  contiguous_strides(ds, strides);
  const int64_t batch_stride = b > 0 ? strides[b - 1] : ds.numel();
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, data->dtype, out, &y));
  const size_t elem = dtype_size(data->dtype);
  const auto* src = static_cast<const uint8_t*>(data->data);
  auto* dst = static_cast<uint8_t*>(y->data);
  int64_t row = 0;
  for (int64_t bi = 0; bi < batches; ++bi) {
    for (int64_t r = 0; r < rows; ++r, ++row) {
      int64_t off = bi * batch_stride;
      for (int64_t j = 0; j < k; ++j) {
        int64_t i = 0;
        PARALLAX_RETURN_IF_ERROR(read_index(*indices, row * k + j, ds.dims[b + j], &i));
        off += i * strides[b + j];
      }
      std::memcpy(dst, src + off * elem, static_cast<size_t>(slice) * elem);
      dst += slice * elem;
    }
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels
