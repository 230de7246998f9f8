// Erf (opset 9-17): the Gauss error function. Types: every numeric type (integers are computed
// in double and converted back).
#include "unary.h"

namespace parallax::rt::kernels {

Status Erf(KernelContext& ctx) {
  return elementwise::unary_same<kNumericTypes>(ctx, [](auto x) {
    using C = decltype(x);
    if constexpr (std::is_integral_v<C>) {
      return static_cast<C>(std::erf(static_cast<double>(x)));
    } else {
      return std::erf(x);
    }
  });
}

}  // namespace parallax::rt::kernels
