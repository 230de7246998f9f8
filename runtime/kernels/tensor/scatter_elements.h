// The element-wise gather/scatter walk shared by GatherElements, ScatterElements and Scatter:
// for every position p of `indices`, the data position is p with its `axis` coordinate
// replaced by indices[p].
//
//   for_each_axis_index(data.shape, indices, axis, [&](int64_t k, int64_t data_off) { ... });
#pragma once

#include "indices.h"

namespace parallax::rt::kernels {

// Checks that `indices` has data's rank and fits inside it off the axis; then calls
// f(k, data_offset) for each element k of indices in row-major order.
template <typename F>
Status for_each_axis_index(const Shape& data, const Tensor& indices, int axis, F&& f) {
  const Shape& is = indices.shape;
  if (is.rank != data.rank) {
    return Status::invalid("indices " + is.to_string() + " must have the rank of data " +
                           data.to_string());
  }
  for (int d = 0; d < is.rank; ++d) {
    if (d != axis && is.dims[d] > data.dims[d]) {
      return Status::invalid("indices " + is.to_string() + " exceed data " + data.to_string() +
                             " in dim " + std::to_string(d));
    }
  }
  int64_t strides[kMaxRank];
  contiguous_strides(data, strides);
  const int64_t n = indices.numel();
  int64_t idx[kMaxRank] = {};
  int64_t base = 0;  // data offset of idx with the axis coordinate left at 0
  for (int64_t k = 0; k < n; ++k) {
    int64_t i = 0;
    PARALLAX_RETURN_IF_ERROR(read_index(indices, k, data.dims[axis], &i));
    f(k, base + i * strides[axis]);
    for (int d = is.rank - 1; d >= 0; --d) {
      if (d != axis) base += strides[d];
      if (++idx[d] < is.dims[d]) break;
      if (d != axis) base -= strides[d] * is.dims[d];
      idx[d] = 0;
    }
  }
  return Status::ok();
}

// ScatterElements (and Scatter, which is the same without reductions): output = data, then
// output[position of p] (reduction)= updates[p].
inline Status run_scatter_elements(KernelContext& ctx, Reduction reduction) {
  const Tensor* data = nullptr;
  const Tensor* indices = nullptr;
  const Tensor* updates = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &data));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &indices));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 2, &updates));
  PARALLAX_RETURN_IF_ERROR(check_index_tensor(*indices));
  if (updates->shape != indices->shape || updates->dtype != data->dtype) {
    return Status::invalid("updates must have the shape of indices and the type of data");
  }
  int axis = 0;
  PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", 0), data->shape.rank, &axis));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, data->dtype, data->shape, &y));
  if (data->nbytes() != 0) std::memcpy(y->data, data->data, data->nbytes());
  return dispatch_scatter(data->dtype, reduction, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* out = y->data_as<T>();
    const T* upd = updates->data_as<T>();
    return for_each_axis_index(data->shape, *indices, axis, [&](int64_t k, int64_t off) {
      reduce_into(out[off], upd[k], reduction);
    });
  });
}

}  // namespace parallax::rt::kernels
