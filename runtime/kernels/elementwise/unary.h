// One-input elementwise kernels: y = f(x) over every element, for the activation and math ops.
//
// f receives the element in its compute type (float for float16/bfloat16, the type itself
// otherwise) and returns the result in that type, or a bool for the predicates:
//
//   Status Exp(KernelContext& ctx) {
//     return elementwise::unary_same<kFloatTypes>(ctx, [](auto x) { return std::exp(x); });
//   }
//
// A generic lambda sees the C++ type, so one lambda can branch on integer versus float with
// `if constexpr`.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "../common.h"

namespace parallax::rt::kernels::elementwise {

// y (same dtype and shape as x) = f(x), for x of a dtype in Set.
template <TypeSet Set, typename F> Status unary_same(KernelContext& ctx, F&& f) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  return PARALLAX_DISPATCH(x->dtype, Set, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    Tensor* y = nullptr;
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, x->shape, &y));
    const T* in = x->data_as<T>();
    T* out = y->data_as<T>();
    const int64_t n = x->numel();
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(f(static_cast<C>(in[i])));
    return Status::ok();
  });
}

// y (bool, x's shape) = f(x), for x of a dtype in Set.
template <TypeSet Set, typename F> Status unary_to_bool(KernelContext& ctx, F&& f) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  return PARALLAX_DISPATCH(x->dtype, Set, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    Tensor* y = nullptr;
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kBool, x->shape, &y));
    const T* in = x->data_as<T>();
    bool* out = y->data_as<bool>();
    const int64_t n = x->numel();
    for (int64_t i = 0; i < n; ++i) out[i] = f(static_cast<C>(in[i]));
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels::elementwise
