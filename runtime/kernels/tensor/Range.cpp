// Range: start, start + delta, ... up to (excluding) limit; all three are scalar inputs of
// the output's type. The length is max(ceil((limit - start) / delta), 0).
#include <cmath>

#include "copy.h"

namespace parallax::rt::kernels {

Status Range(KernelContext& ctx) {
  const Tensor* start = nullptr;
  const Tensor* limit = nullptr;
  const Tensor* delta = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &start));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &limit));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 2, &delta));
  if (start->numel() != 1 || limit->numel() != 1 || delta->numel() != 1) {
    return Status::invalid("start, limit and delta must be scalars");
  }
  if (limit->dtype != start->dtype || delta->dtype != start->dtype) {
    return Status::invalid("start, limit and delta must have the same type");
  }
  constexpr TypeSet kRangeTypes = kFloatTypes | kSignedIntTypes;
  return PARALLAX_DISPATCH(start->dtype, kRangeTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const C s = static_cast<C>(start->data_as<T>()[0]);
    const C l = static_cast<C>(limit->data_as<T>()[0]);
    const C d = static_cast<C>(delta->data_as<T>()[0]);
    if (d == C(0)) return Status::invalid("delta must not be 0");
    const double len =
        std::ceil((static_cast<double>(l) - static_cast<double>(s)) / static_cast<double>(d));
    const int64_t n = len > 0 ? static_cast<int64_t>(len) : 0;
    Tensor* y = nullptr;
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, start->dtype, Shape{n}, &y));
    T* out = y->data_as<T>();
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(s + static_cast<C>(i) * d);
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
