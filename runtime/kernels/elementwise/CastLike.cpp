// CastLike (opset 15-17): y = input 0 converted to the element type of input 1 (whose values
// are not read). Types as Cast: every numeric type, bool, float16, bfloat16; not string.
#include "cast.h"

namespace parallax::rt::kernels {

Status CastLike(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* like = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &like));
  PARALLAX_RETURN_IF_ERROR(elementwise::check_castable(x->dtype, like->dtype));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, like->dtype, x->shape, &y));
  return elementwise::cast_tensor(*x, y);
}

}  // namespace parallax::rt::kernels
