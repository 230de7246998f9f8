// Adagrad (ai.onnx.preview.training opset 1): for each (X, G, H),
//   r = R / (1 + T * decay_factor);  g = norm_coefficient * X + G;  H' = H + g * g
//   X' = X - r * g / (sqrt(H') + epsilon)
// Outputs X'..., H'.... Types: float, double.
#include <cmath>

#include "optimizer.h"

namespace parallax::rt::kernels {

Status Adagrad(KernelContext& ctx) {
  misc::OptimizerArgs a;
  PARALLAX_RETURN_IF_ERROR(misc::read_optimizer_args(ctx, 3, &a));
  const double decay = ctx.attr_float("decay_factor", 0.0f);
  const double epsilon = ctx.attr_float("epsilon", 1e-6f);
  const double norm = ctx.attr_float("norm_coefficient", 0.0f);
  const double rate = a.rate / (1.0 + static_cast<double>(a.step) * decay);
  for (int i = 0; i < a.n; ++i) {
    PARALLAX_RETURN_IF_ERROR(
        PARALLAX_DISPATCH(a.in(0, i)->dtype, misc::kOptimizerTypes, [&](auto tag) {
          using T = typename decltype(tag)::type;
          const T* x = a.in(0, i)->data_as<T>();
          const T* g = a.in(1, i)->data_as<T>();
          const T* h = a.in(2, i)->data_as<T>();
          T* x_new = a.out(0, i)->data_as<T>();
          T* h_new = a.out(1, i)->data_as<T>();
          const int64_t count = a.in(0, i)->numel();
          for (int64_t k = 0; k < count; ++k) {
            const T gr = static_cast<T>(norm) * x[k] + g[k];
            const T hn = h[k] + gr * gr;
            h_new[k] = hn;
            x_new[k] = x[k] - static_cast<T>(rate) * gr / (std::sqrt(hn) + static_cast<T>(epsilon));
          }
          return Status::ok();
        }));
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels
