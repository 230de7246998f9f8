// And (opset 1-17): y = a and b, with broadcasting (the legacy broadcast/axis attributes
// before opset 7). Types: bool.
#include "binary.h"

namespace parallax::rt::kernels {

Status And(KernelContext& ctx) {
  return elementwise::binary_same<kBoolType>(ctx, elementwise::kLegacyBroadcast,
                                             [](bool a, bool b) { return a && b; });
}

}  // namespace parallax::rt::kernels
