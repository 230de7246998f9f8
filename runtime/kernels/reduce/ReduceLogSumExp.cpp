// ReduceLogSumExp: log(sum(exp(x))) along the reduced axes, computed as
// max + log(sum(exp(x - max))) so large inputs do not overflow.
#include "reduce.h"

namespace parallax::rt::kernels {

Status ReduceLogSumExp(KernelContext& ctx) {
  ReducePlan plan;
  PARALLAX_RETURN_IF_ERROR(plan_reduction(ctx, ctx.opset() >= 18, &plan));
  const Tensor* x = ctx.input(0);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, plan.out, &y));
  if (plan.identity) {
    if (x->nbytes()) std::memcpy(y->data, x->data, x->nbytes());
    return Status::ok();
  }
  return PARALLAX_DISPATCH(x->dtype, kNumericTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
    const int64_t n_out = plan.out.numel();
    A* mx = static_cast<A*>(ctx.scratch(2 * static_cast<size_t>(n_out) * sizeof(A)));
    A* sum = mx + n_out;
    for (int64_t o = 0; o < n_out; ++o) {
      mx[o] = lowest_value<A>();
      sum[o] = A(0);
    }
    const T* in = x->data_as<T>();
    for_each_reduced(plan, [&](int64_t i, int64_t o) {
      const A v = static_cast<A>(in[i]);
      if (v > mx[o]) mx[o] = v;
    });
    // An infinite max (all -inf, an empty slice, or a +inf element) is not subtracted: the
    // plain formula already gives the right -inf / +inf there, where x - max would be NaN.
    for (int64_t o = 0; o < n_out; ++o)
      if (std::isinf(mx[o])) mx[o] = A(0);
    for_each_reduced(plan, [&](int64_t i, int64_t o) {
      sum[o] += std::exp(static_cast<A>(in[i]) - mx[o]);
    });
    T* out = y->data_as<T>();
    for (int64_t o = 0; o < n_out; ++o) out[o] = static_cast<T>(std::log(sum[o]) + mx[o]);
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
