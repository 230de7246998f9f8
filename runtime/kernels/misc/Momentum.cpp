// Momentum (ai.onnx.preview.training opset 1): for each (X, G, V),
//   g = norm_coefficient * X + G;  V' = alpha * V + (T > 0 ? beta : 1) * g
//   X' = X - R * V'                    mode "standard"
//   X' = X - R * (g + alpha * V')      mode "nesterov"
// Outputs X'..., V'.... Types: float, double.
#include "optimizer.h"

namespace parallax::rt::kernels {

Status Momentum(KernelContext& ctx) {
  misc::OptimizerArgs a;
  PARALLAX_RETURN_IF_ERROR(misc::read_optimizer_args(ctx, 3, &a));
  for (const char* name : {"alpha", "beta", "norm_coefficient", "mode"}) {
    if (!ctx.has_attr(name))
      return Status::invalid(std::string("attribute '") + name + "' is required");
  }
  const double alpha = ctx.attr_float("alpha", 0.0f);
  const double beta = a.step > 0 ? ctx.attr_float("beta", 0.0f) : 1.0;
  const double norm = ctx.attr_float("norm_coefficient", 0.0f);
  const std::string mode = ctx.attr_string("mode", "standard");
  if (mode != "standard" && mode != "nesterov")
    return Status::invalid("unknown mode '" + mode + "'");
  const bool nesterov = mode == "nesterov";
  for (int i = 0; i < a.n; ++i) {
    PARALLAX_RETURN_IF_ERROR(
        PARALLAX_DISPATCH(a.in(0, i)->dtype, misc::kOptimizerTypes, [&](auto tag) {
          using T = typename decltype(tag)::type;
          const T* x = a.in(0, i)->data_as<T>();
          const T* g = a.in(1, i)->data_as<T>();
          const T* v = a.in(2, i)->data_as<T>();
          T* x_new = a.out(0, i)->data_as<T>();
          T* v_new = a.out(1, i)->data_as<T>();
          const T r = static_cast<T>(a.rate);
          const int64_t count = a.in(0, i)->numel();
          for (int64_t k = 0; k < count; ++k) {
            const T gr = static_cast<T>(norm) * x[k] + g[k];
            const T vn = static_cast<T>(alpha) * v[k] + static_cast<T>(beta) * gr;
            v_new[k] = vn;
            x_new[k] = nesterov ? x[k] - r * (gr + static_cast<T>(alpha) * vn) : x[k] - r * vn;
          }
          return Status::ok();
        }));
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels
