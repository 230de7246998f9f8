// HannWindow (opset 17): w[k] = 0.5 - 0.5 cos(2 pi k / N), periodic or symmetric, in any numeric
// output_datatype (see window.h). Input size: int32 / int64 scalar.
#include "window.h"

namespace parallax::rt::kernels {

Status HannWindow(KernelContext& ctx) { return misc::cosine_window(ctx, 0.5, 0.5, 0.0); }

}  // namespace parallax::rt::kernels
