// Two-input elementwise kernels with broadcasting: arithmetic, comparisons, logic.
//
// f receives both elements in their compute type and returns the result (same type, or bool for
// comparisons):
//
//   Status Add(KernelContext& ctx) {
//     return elementwise::binary_same<kNumericTypes>(ctx, kLegacyBroadcast,
//                                                    [](auto a, auto b) { return a + b; });
//   }
//
// Broadcasting is numpy-style from opset 7. Ops that existed before opset 7 (pass
// kLegacyBroadcast) instead had the "broadcast" and "axis" attributes: without broadcast=1 the
// shapes must be equal; with it B's shape must match a run of A's dims starting at `axis`
// (default: A's trailing dims), which is numpy broadcasting once B is padded with ones.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#include "../common.h"
#include "broadcast.h"

namespace parallax::rt::kernels::elementwise {

constexpr bool kLegacyBroadcast = true;
constexpr bool kNumpyBroadcast = false;

// Reads inputs 0 and 1 into *a, *b (views whose shapes may be adjusted for legacy broadcasting)
// and computes the output shape.
inline Status binary_operands(const KernelContext& ctx, bool legacy, Tensor* a, Tensor* b,
                              Shape* out) {
  const Tensor* pa = nullptr;
  const Tensor* pb = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &pa));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &pb));
  *a = *pa;
  *b = *pb;
  if (legacy && ctx.opset() < 7) {
    if (ctx.attr_int("broadcast", 0) == 0) {
      if (a->shape != b->shape) {
        return Status::invalid("shapes " + a->shape.to_string() + " and " + b->shape.to_string() +
                               " differ and the broadcast attribute is not set");
      }
    } else if (ctx.has_attr("axis")) {
      const int64_t axis = ctx.attr_int("axis", 0);
      const int ra = a->shape.rank;
      const int rb = b->shape.rank;
      const int64_t start = axis < 0 ? axis + ra : axis;
      if (start < 0 || start + rb > ra) {
        return Status::invalid("axis " + std::to_string(axis) + " cannot place B of shape " +
                               b->shape.to_string() + " inside A of shape " + a->shape.to_string());
      }
      Shape padded;
      padded.rank = ra;
      for (int d = 0; d < ra; ++d) padded.dims[d] = 1;
      for (int d = 0; d < rb; ++d) padded.dims[start + d] = b->shape.dims[d];
      b->shape = padded;
    }
  }
  return broadcast_shapes(a->shape, b->shape, out);
}

inline Status require_same_dtype(const Tensor& a, const Tensor& b) {
  if (a.dtype == b.dtype) return Status::ok();
  return Status::invalid(std::string("inputs have different element types (") +
                         dtype_name(a.dtype) + " and " + dtype_name(b.dtype) + ")");
}

// Integer division and remainder by zero trap on most CPUs, so those kernels check first.
inline Status require_no_int_zero(const Tensor& divisor) {
  if (!is_int_tensor(divisor)) return Status::ok();
  const int64_t n = divisor.numel();
  for (int64_t i = 0; i < n; ++i) {
    if (int_at(divisor, i) == 0) return Status::invalid("integer division by zero");
  }
  return Status::ok();
}

// Shared body of binary_same / binary_to_bool: Y is the output storage type, or void for "same
// as the inputs".
template <TypeSet Set, typename Y, typename F>
Status binary_impl(KernelContext& ctx, bool legacy, F& f) {
  Tensor a, b;
  Shape shape;
  PARALLAX_RETURN_IF_ERROR(binary_operands(ctx, legacy, &a, &b, &shape));
  PARALLAX_RETURN_IF_ERROR(require_same_dtype(a, b));
  return PARALLAX_DISPATCH(a.dtype, Set, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    using Out = std::conditional_t<std::is_void_v<Y>, T, Y>;
    Tensor* y = nullptr;
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, dtype_of<Out>(), shape, &y));
    binary_loop<T, T, Out>(a, b, y, [&](T u, T v) {
      return static_cast<Out>(f(static_cast<C>(u), static_cast<C>(v)));
    });
    return Status::ok();
  });
}

// y = f(a, b), inputs and output of one dtype in Set.
template <TypeSet Set, typename F> Status binary_same(KernelContext& ctx, bool legacy, F&& f) {
  return binary_impl<Set, void>(ctx, legacy, f);
}

// y (bool) = f(a, b), inputs of one dtype in Set.
template <TypeSet Set, typename F> Status binary_to_bool(KernelContext& ctx, bool legacy, F&& f) {
  return binary_impl<Set, bool>(ctx, legacy, f);
}

}  // namespace parallax::rt::kernels::elementwise
