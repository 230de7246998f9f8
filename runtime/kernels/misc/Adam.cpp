// Adam (ai.onnx.preview.training opset 1): for each (X, G, V, H),
//   g = norm_coefficient * X + G;  V' = alpha * V + (1 - alpha) * g
//   H' = beta * H + (1 - beta) * g * g
//   r = T > 0 ? R * sqrt(1 - beta^T) / (1 - alpha^T) : R
//   X' = (1 - norm_coefficient_post) * (X - r * V' / (sqrt(H') + epsilon))
// Outputs X'..., V'..., H'.... Types: float, double.
#include <cmath>

#include "optimizer.h"

namespace parallax::rt::kernels {

Status Adam(KernelContext& ctx) {
  misc::OptimizerArgs a;
  PARALLAX_RETURN_IF_ERROR(misc::read_optimizer_args(ctx, 4, &a));
  const double alpha = ctx.attr_float("alpha", 0.9f);
  const double beta = ctx.attr_float("beta", 0.999f);
  const double epsilon = ctx.attr_float("epsilon", 1e-6f);
  const double norm = ctx.attr_float("norm_coefficient", 0.0f);
  const double norm_post = ctx.attr_float("norm_coefficient_post", 0.0f);
  double rate = a.rate;
  if (a.step > 0) {
    const double t = static_cast<double>(a.step);
    rate = a.rate * std::sqrt(1.0 - std::pow(beta, t)) / (1.0 - std::pow(alpha, t));
  }
  for (int i = 0; i < a.n; ++i) {
    PARALLAX_RETURN_IF_ERROR(
        PARALLAX_DISPATCH(a.in(0, i)->dtype, misc::kOptimizerTypes, [&](auto tag) {
          using T = typename decltype(tag)::type;
          const T* x = a.in(0, i)->data_as<T>();
          const T* g = a.in(1, i)->data_as<T>();
          const T* v = a.in(2, i)->data_as<T>();
          const T* h = a.in(3, i)->data_as<T>();
          T* x_new = a.out(0, i)->data_as<T>();
          T* v_new = a.out(1, i)->data_as<T>();
          T* h_new = a.out(2, i)->data_as<T>();
          const int64_t count = a.in(0, i)->numel();
          for (int64_t k = 0; k < count; ++k) {
            const T gr = static_cast<T>(norm) * x[k] + g[k];
            const T vn = static_cast<T>(alpha) * v[k] + static_cast<T>(1.0 - alpha) * gr;
            const T hn = static_cast<T>(beta) * h[k] + static_cast<T>(1.0 - beta) * gr * gr;
            v_new[k] = vn;
            h_new[k] = hn;
            const T step = static_cast<T>(rate) * (vn / (std::sqrt(hn) + static_cast<T>(epsilon)));
            x_new[k] = static_cast<T>(1.0 - norm_post) * (x[k] - step);
          }
          return Status::ok();
        }));
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels
