// NonZero: the coordinates of the non-zero elements, as an int64 [rank, count] tensor in
// row-major order (column j is the j-th non-zero element's index).
#include "copy.h"

namespace parallax::rt::kernels {

Status NonZero(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  return PARALLAX_DISPATCH(x->dtype, kAllTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const T* in = x->data_as<T>();
    const int64_t n = x->numel();
    // Count first: the output's shape depends on the data.
    int64_t count = 0;
    for (int64_t i = 0; i < n; ++i) count += static_cast<C>(in[i]) != C(0);
    const int rank = x->shape.rank;
    Tensor* y = nullptr;
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kInt64, Shape{rank, count}, &y));
    int64_t* out = y->data_as<int64_t>();
    int64_t idx[kMaxRank] = {};
    int64_t j = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (static_cast<C>(in[i]) != C(0)) {
        for (int d = 0; d < rank; ++d) out[d * count + j] = idx[d];
        ++j;
      }
      for (int d = rank - 1; d >= 0; --d) {
        if (++idx[d] < x->shape[d]) break;
        idx[d] = 0;
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
