// Size: the input's element count as an int64 scalar.
#include "copy.h"

namespace parallax::rt::kernels {

Status Size(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kInt64, Shape{}, &y));
  y->data_as<int64_t>()[0] = x->numel();
  return Status::ok();
}

}  // namespace parallax::rt::kernels
