// PRelu (opset 1-17): y = x for x >= 0, slope * x otherwise, where slope broadcasts to x's
// shape (unidirectionally). Types: every numeric type (the schema lists float types, and from
// opset 16 int32, int64, uint32, uint64).
#include "binary.h"

namespace parallax::rt::kernels {

Status PRelu(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* slope = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &slope));
  Shape out;
  PARALLAX_RETURN_IF_ERROR(broadcast_shapes(x->shape, slope->shape, &out));
  if (out != x->shape) {
    return Status::invalid("slope of shape " + slope->shape.to_string() +
                           " does not broadcast to the input's shape " + x->shape.to_string());
  }
  auto prelu = [](auto v, auto a) {
    using C = decltype(v);
    return v < C(0) ? static_cast<C>(a * v) : v;
  };
  return elementwise::binary_same<kNumericTypes>(ctx, elementwise::kNumpyBroadcast, prelu);
}

}  // namespace parallax::rt::kernels
