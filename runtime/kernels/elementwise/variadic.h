// Many-input elementwise kernels (Max, Min, Sum, Mean): y = f(...f(f(x0, x1), x2)..., xn), all
// inputs broadcast together (numpy rules; before opset 8 the shapes had to be equal, which
// numpy broadcasting accepts too).
//
//   Status Sum(KernelContext& ctx) {
//     return elementwise::variadic_fold<kFloatTypes>(ctx, [](auto a, auto b) { return a + b; });
//   }
//
// The output buffer is the accumulator: x0 is broadcast into it, then every further input is
// folded in place. `finish`, when given, maps each accumulated value once at the end (Mean
// divides by the count there).
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "../common.h"
#include "broadcast.h"

namespace parallax::rt::kernels::elementwise {

struct NoFinish {
  template <typename C> C operator()(C v, int) const { return v; }
};

// f(C, C) -> C folds two values; finish(C acc, int input_count) -> C post-processes.
template <TypeSet Set, typename F, typename G = NoFinish>
Status variadic_fold(KernelContext& ctx, F&& f, G&& finish = G{}) {
  const int count = ctx.input_count();
  if (count < 1) return Status::invalid("at least one input is required");
  Shape shape;
  for (int k = 0; k < count; ++k) {
    const Tensor* x = nullptr;
    PARALLAX_RETURN_IF_ERROR(require_input(ctx, k, &x));
    if (x->dtype != ctx.input(0)->dtype) {
      return Status::invalid("input " + std::to_string(k) + " has element type " +
                             dtype_name(x->dtype) + ", input 0 has " +
                             dtype_name(ctx.input(0)->dtype));
    }
    if (k == 0) {
      shape = x->shape;
    } else {
      PARALLAX_RETURN_IF_ERROR(broadcast_shapes(shape, x->shape, &shape));
    }
  }
  const Tensor& first = *ctx.input(0);
  return PARALLAX_DISPATCH(first.dtype, Set, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    Tensor* y = nullptr;
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, first.dtype, shape, &y));
    if (count == 1) {
      binary_loop<T, T, T>(first, first, y,
                           [&](T u, T) { return static_cast<T>(finish(static_cast<C>(u), 1)); });
      return Status::ok();
    }
    binary_loop<T, T, T>(first, *ctx.input(1), y, [&](T u, T v) {
      return static_cast<T>(f(static_cast<C>(u), static_cast<C>(v)));
    });
    for (int k = 2; k < count; ++k) {
      binary_loop<T, T, T>(*y, *ctx.input(k), y, [&](T u, T v) {
        return static_cast<T>(f(static_cast<C>(u), static_cast<C>(v)));
      });
    }
    if constexpr (!std::is_same_v<std::decay_t<G>, NoFinish>) {
      T* p = y->data_as<T>();
      const int64_t n = y->numel();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(finish(static_cast<C>(p[i]), count));
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels::elementwise
