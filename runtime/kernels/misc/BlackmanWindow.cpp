// BlackmanWindow (opset 17): w[k] = 0.42 - 0.5 cos(2 pi k / N) + 0.08 cos(4 pi k / N), periodic or
// symmetric, in any numeric output_datatype (see window.h). Input size: int32 / int64 scalar.
#include "window.h"

namespace parallax::rt::kernels {

Status BlackmanWindow(KernelContext& ctx) { return misc::cosine_window(ctx, 0.42, 0.5, 0.08); }

}  // namespace parallax::rt::kernels
