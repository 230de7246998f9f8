// The engine behind ArgMax and ArgMin: the index of the extreme element along one axis.
//
//   Status ArgMax(KernelContext& ctx) { return run_arg_reduce<true>(ctx); }
//
// Attributes: axis (default 0), keepdims (default 1), select_last_index (opset 12+; ties go to
// the first index otherwise). The output is int64. A NaN counts as the extreme value, as in
// numpy, so the first NaN wins.
#pragma once

#include <cmath>
#include <type_traits>

#include "../common.h"

namespace parallax::rt::kernels {

template <bool kMax> Status run_arg_reduce(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const int rank = x->shape.rank;
  int axis = 0;
  PARALLAX_RETURN_IF_ERROR(normalize_axis(ctx.attr_int("axis", 0), rank, &axis));
  const bool keepdims = ctx.attr_int("keepdims", 1) != 0;
  const bool last = ctx.opset() >= 12 && ctx.attr_int("select_last_index", 0) != 0;
  const int64_t n = x->shape[axis];
  if (n == 0) return Status::invalid("cannot take the arg-extreme of an empty axis");
  Shape out;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < rank; ++d) {
    if (d < axis) outer *= x->shape[d];
    if (d > axis) inner *= x->shape[d];
    if (d != axis) {
      out.dims[out.rank++] = x->shape[d];
    } else if (keepdims) {
      out.dims[out.rank++] = 1;
    }
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kInt64, out, &y));
  return PARALLAX_DISPATCH(x->dtype, kNumericTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    // Whether candidate v replaces the current best b (strictly better, or equal when the last
    // index is wanted). NaN beats everything but an earlier NaN.
    auto better = [&](C v, C b) {
      if constexpr (std::is_floating_point_v<C>) {
        if (std::isnan(b)) return false;
        if (std::isnan(v)) return true;
      }
      const bool strictly = kMax ? v > b : v < b;
      return strictly || (last && v == b);
    };
    const T* in = x->data_as<T>();
    int64_t* idx = y->data_as<int64_t>();
    // Walk the axis in the outer loop so rows of `inner` contiguous elements are read in order;
    // the running best values live in scratch.
    C* best = static_cast<C*>(ctx.scratch(static_cast<size_t>(inner) * sizeof(C)));
    for (int64_t o = 0; o < outer; ++o) {
      const T* base = in + o * n * inner;
      int64_t* oi = idx + o * inner;
      for (int64_t i = 0; i < inner; ++i) {
        best[i] = static_cast<C>(base[i]);
        oi[i] = 0;
      }
      for (int64_t k = 1; k < n; ++k) {
        const T* row = base + k * inner;
        for (int64_t i = 0; i < inner; ++i) {
          const C v = static_cast<C>(row[i]);
          if (better(v, best[i])) {
            best[i] = v;
            oi[i] = k;
          }
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
