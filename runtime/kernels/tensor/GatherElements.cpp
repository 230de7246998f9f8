// GatherElements: output[p] = data[p with its axis coordinate replaced by indices[p]]; the
// output has the shape of indices.
#include "scatter_elements.h"

namespace parallax::rt::kernels {

Status GatherElements(KernelContext& ctx) {
  const Tensor* data = nullptr;
  const Tensor* indices = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &data));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &indices));
  PARALLAX_RETURN_IF_ERROR(check_index_tensor(*indices));
  int axis = 0;
  PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", 0), data->shape.rank, &axis));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, data->dtype, indices->shape, &y));
  return dispatch_size(data->dtype, [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U* in = data->data_as<U>();
    U* out = y->data_as<U>();
    return for_each_axis_index(data->shape, *indices, axis,
                               [&](int64_t k, int64_t off) { out[k] = in[off]; });
  });
}

}  // namespace parallax::rt::kernels
