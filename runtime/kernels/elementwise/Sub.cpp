// Sub (opset 1-17): y = a - b with broadcasting (the legacy broadcast/axis attributes before opset
// 7). Integers wrap. Types: every numeric type.
#include "binary.h"

namespace parallax::rt::kernels {

Status Sub(KernelContext& ctx) {
  return elementwise::binary_same<kNumericTypes>(ctx, elementwise::kLegacyBroadcast,
                                                 [](auto a, auto b) { return a - b; });
}

}  // namespace parallax::rt::kernels
