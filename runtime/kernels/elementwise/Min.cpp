// Min (opset 1-17): elementwise minimum of one or more inputs, broadcast together; NaN wins.
// Types: every numeric type (the schema lists float types only before opset 12).
#include "variadic.h"

namespace parallax::rt::kernels {

Status Min(KernelContext& ctx) {
  return elementwise::variadic_fold<kNumericTypes>(ctx, [](auto a, auto b) {
    return (a != a || a < b) ? a : b;  // a != a only for NaN
  });
}

}  // namespace parallax::rt::kernels
