// HammingWindow (opset 17): w[k] = 25/46 - 21/46 cos(2 pi k / N), periodic or symmetric, in any
// numeric output_datatype (see window.h). Input size: int32 / int64 scalar.
#include "window.h"

namespace parallax::rt::kernels {

Status HammingWindow(KernelContext& ctx) {
  return misc::cosine_window(ctx, 25.0 / 46.0, 21.0 / 46.0, 0.0);
}

}  // namespace parallax::rt::kernels
