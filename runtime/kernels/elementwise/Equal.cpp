// Equal (opset 1-17): y = (a == b) as bool, with broadcasting (the legacy broadcast/axis
// attributes before opset 7).
// Types: bool and every numeric type.
#include "binary.h"

namespace parallax::rt::kernels {

Status Equal(KernelContext& ctx) {
  return elementwise::binary_to_bool<kAllTypes>(ctx, elementwise::kLegacyBroadcast,
                                                [](auto a, auto b) { return a == b; });
}

}  // namespace parallax::rt::kernels
