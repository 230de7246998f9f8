// EyeLike: a 2-D tensor of the input's shape with ones on diagonal k (attribute, default 0)
// and zeros elsewhere, of type `dtype` (attribute) or the input's type.
#include "copy.h"

namespace parallax::rt::kernels {

Status EyeLike(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (x->shape.rank != 2) return Status::invalid("input must be 2-D, got " + x->shape.to_string());
  DType dtype = x->dtype;
  if (ctx.has_attr("dtype")) {
    const int64_t t = ctx.attr_int("dtype", 0);
    if (!dtype_is_valid(static_cast<int>(t)))
      return Status::invalid("unknown dtype " + std::to_string(t));
    dtype = static_cast<DType>(t);
  }
  const int64_t k = ctx.attr_int("k", 0);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, dtype, x->shape, &y));
  return PARALLAX_DISPATCH(dtype, kAllTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* out = y->data_as<T>();
    const int64_t rows = x->shape[0], cols = x->shape[1];
    for (int64_t i = 0; i < rows * cols; ++i) out[i] = static_cast<T>(0);
    for (int64_t i = 0; i < rows; ++i) {
      if (i + k >= 0 && i + k < cols) out[i * cols + i + k] = static_cast<T>(1);
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
