// Shape: the input's dims as a 1-D int64 tensor, optionally only dims [start, end) (opset 15;
// negative values count from the end, out-of-range values clamp).
#include "copy.h"

namespace parallax::rt::kernels {

Status Shape(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const int64_t rank = x->shape.rank;
  int64_t start = 0, end = rank;
  if (ctx.opset() >= 15) {
    start = ctx.attr_int("start", 0);
    end = ctx.attr_int("end", rank);
  }
  auto clamp = [rank](int64_t v) {
    if (v < 0) v += rank;
    return v < 0 ? 0 : (v > rank ? rank : v);
  };
  start = clamp(start);
  end = clamp(end);
  const int64_t n = end > start ? end - start : 0;
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kInt64, parallax::rt::Shape{n}, &y));
  for (int64_t i = 0; i < n; ++i) y->data_as<int64_t>()[i] = x->shape[static_cast<int>(start + i)];
  return Status::ok();
}

}  // namespace parallax::rt::kernels
