// CumSum: running sums along the axis given by input 1 (an integer scalar). `exclusive`
// leaves out the current element; `reverse` sums from the end.
#include "copy.h"

namespace parallax::rt::kernels {

Status CumSum(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* axis_t = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &axis_t));
  if (!is_int_tensor(*axis_t) || axis_t->numel() != 1)
    return Status::invalid("axis must be an integer scalar");
  int axis = 0;
  PARALLAX_RETURN_IF_ERROR(normalize_axis(int_at(*axis_t, 0), x->shape.rank, &axis));
  const bool exclusive = ctx.attr_int("exclusive", 0) != 0;
  const bool reverse = ctx.attr_int("reverse", 0) != 0;
  int64_t outer = 1, inner = 1;
  const int64_t dim = x->shape[axis];
  for (int d = 0; d < axis; ++d) outer *= x->shape[d];
  for (int d = axis + 1; d < x->shape.rank; ++d) inner *= x->shape[d];
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, x->shape, &y));
  return PARALLAX_DISPATCH(x->dtype, kNumericTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    // One accumulator per inner position, so the walk along the axis stays row-contiguous.
    C* acc = static_cast<C*>(ctx.scratch(static_cast<size_t>(inner) * sizeof(C)));
    for (int64_t o = 0; o < outer; ++o) {
      const T* in = x->data_as<T>() + o * dim * inner;
      T* out = y->data_as<T>() + o * dim * inner;
      for (int64_t r = 0; r < inner; ++r) acc[r] = C(0);
      for (int64_t s = 0; s < dim; ++s) {
        const int64_t i = reverse ? dim - 1 - s : s;
        for (int64_t r = 0; r < inner; ++r) {
          const C v = static_cast<C>(in[i * inner + r]);
          if (exclusive) {
            out[i * inner + r] = static_cast<T>(acc[r]);
            acc[r] = static_cast<C>(acc[r] + v);
          } else {
            acc[r] = static_cast<C>(acc[r] + v);
            out[i * inner + r] = static_cast<T>(acc[r]);
          }
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
