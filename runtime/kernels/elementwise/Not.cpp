// Not (opset 1-17): logical negation. Types: bool.
#include "unary.h"

namespace parallax::rt::kernels {

Status Not(KernelContext& ctx) {
  return elementwise::unary_same<kBoolType>(ctx, [](bool x) { return !x; });
}

}  // namespace parallax::rt::kernels
