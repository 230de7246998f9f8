// ScatterND: output = data, then each innermost row of `indices` (length k) addresses a slice
// data.shape[k:] that is combined with the matching slice of `updates` (shape
// indices.shape[:-1] + data.shape[k:]). `reduction`: add/mul from opset 16, max/min from 18.
#include "indices.h"

namespace parallax::rt::kernels {

Status ScatterND(KernelContext& ctx) {
  const Tensor* data = nullptr;
  const Tensor* indices = nullptr;
  const Tensor* updates = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &data));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &indices));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 2, &updates));
  PARALLAX_RETURN_IF_ERROR(check_index_tensor(*indices));
  Reduction reduction = Reduction::kNone;
  PARALLAX_RETURN_IF_ERROR(parse_reduction(ctx, &reduction));
  const Shape& ds = data->shape;
  const Shape& is = indices->shape;
  if (is.rank < 1) return Status::invalid("indices must have rank 1 or more");
  const int64_t k = is.dims[is.rank - 1];
  if (k < 1 || k > ds.rank) return Status::invalid("index rows do not fit data " + ds.to_string());
  Shape want;
  int64_t slice = 1;
  for (int d = 0; d < is.rank - 1; ++d) want.dims[want.rank++] = is.dims[d];
  if (want.rank + ds.rank - k > kMaxRank)
    return Status::invalid("updates rank exceeds the maximum");
  for (int d = static_cast<int>(k); d < ds.rank; ++d) {
    want.dims[want.rank++] = ds.dims[d];
    slice *= ds.dims[d];
  }
  if (updates->shape != want || updates->dtype != data->dtype) {
    return Status::invalid("updates " + updates->shape.to_string() + " must be " +
                           want.to_string() + " and have the type of data");
  }
  int64_t strides[kMaxRank];
  contiguous_strides(ds, strides);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, data->dtype, ds, &y));
  if (data->nbytes() != 0) std::memcpy(y->data, data->data, data->nbytes());
  const int64_t rows = is.numel() / k;
  return dispatch_scatter(data->dtype, reduction, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* out = y->data_as<T>();
    const T* upd = updates->data_as<T>();
    for (int64_t r = 0; r < rows; ++r) {
      int64_t off = 0;
      for (int64_t j = 0; j < k; ++j) {
        int64_t i = 0;
        PARALLAX_RETURN_IF_ERROR(read_index(*indices, r * k + j, ds.dims[j], &i));
        off += i * strides[j];
      }
      const T* u = upd + r * slice;
      for (int64_t e = 0; e < slice; ++e) reduce_into(out[off + e], u[e], reduction);
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
