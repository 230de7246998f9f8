// Less (opset 1-17): y = (a < b) as bool, with broadcasting (the legacy broadcast/axis
// attributes before opset 7).
// Types: every numeric type.
#include "binary.h"

namespace parallax::rt::kernels {

Status Less(KernelContext& ctx) {
  return elementwise::binary_to_bool<kNumericTypes>(ctx, elementwise::kLegacyBroadcast,
                                                    [](auto a, auto b) { return a < b; });
}

}  // namespace parallax::rt::kernels
