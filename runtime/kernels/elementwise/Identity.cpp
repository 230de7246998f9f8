// Identity (opset 1-17): y = a copy of x. Types: every tensor type except string (sequences
// and optionals are not tensors here).
#include <cstring>

#include "../common.h"

namespace parallax::rt::kernels {

Status Identity(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (dtype_size(x->dtype) == 0) {
    return Status::unsupported(std::string("element type ") + dtype_name(x->dtype) +
                               " is not supported here");
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, x->shape, &y));
  if (x->nbytes() != 0 && y->data != x->data) std::memcpy(y->data, x->data, x->nbytes());
  return Status::ok();
}

}  // namespace parallax::rt::kernels
