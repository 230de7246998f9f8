// GreaterOrEqual (opset 12-17): y = (a >= b) as bool, with broadcasting.
// Types: every numeric type.
#include "binary.h"

namespace parallax::rt::kernels {

Status GreaterOrEqual(KernelContext& ctx) {
  return elementwise::binary_to_bool<kNumericTypes>(ctx, elementwise::kNumpyBroadcast,
                                                    [](auto a, auto b) { return a >= b; });
}

}  // namespace parallax::rt::kernels
