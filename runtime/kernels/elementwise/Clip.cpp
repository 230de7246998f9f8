// Clip (opset 1-17): y = min(max(x, lo), hi). Before opset 11 the bounds are the float
// attributes min / max; from opset 11 they are optional scalar inputs 1 and 2 of x's type.
// A missing bound does not clip. Types: float16, bfloat16, float, double, and from opset 12
// every integer type.
#include <limits>
#include <string>

#include "unary.h"

namespace parallax::rt::kernels {

namespace {

// Reads optional bound input `i` into *out (unchanged when absent); it must be one element.
template <typename T> Status read_bound(const KernelContext& ctx, int i, T* out) {
  const Tensor* t = ctx.input(i);
  if (t == nullptr) return Status::ok();
  if (t->dtype != ctx.input(0)->dtype) {
    return Status::invalid("bound input " + std::to_string(i) + " has element type " +
                           dtype_name(t->dtype) + ", the input has " +
                           dtype_name(ctx.input(0)->dtype));
  }
  if (t->numel() != 1) {
    return Status::invalid("bound input " + std::to_string(i) +
                           " must hold one value, it has shape " + t->shape.to_string());
  }
  *out = t->data_as<T>()[0];
  return Status::ok();
}

}  // namespace

Status Clip(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  return PARALLAX_DISPATCH(x->dtype, kNumericTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    // Unbounded sides: the type's extremes, or the infinities so that infinite inputs pass.
    T lo = std::numeric_limits<T>::lowest();
    T hi = std::numeric_limits<T>::max();
    if constexpr (is_float_v<T>) {
      hi = std::numeric_limits<T>::infinity();
      lo = static_cast<T>(-static_cast<C>(hi));
    }
    if (ctx.opset() < 11) {
      if (ctx.has_attr("min")) lo = static_cast<T>(ctx.attr_float("min", 0.0f));
      if (ctx.has_attr("max")) hi = static_cast<T>(ctx.attr_float("max", 0.0f));
    } else {
      PARALLAX_RETURN_IF_ERROR(read_bound(ctx, 1, &lo));
      PARALLAX_RETURN_IF_ERROR(read_bound(ctx, 2, &hi));
    }
    const C l = static_cast<C>(lo);
    const C h = static_cast<C>(hi);
    return elementwise::unary_same<type_bit(dtype_of<T>())>(ctx, [l, h](C v) {
      v = v < l ? l : v;
      return v > h ? h : v;
    });
  });
}

}  // namespace parallax::rt::kernels
