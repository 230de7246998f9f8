// Scatter (opsets 9-10, later renamed ScatterElements): the same overwrite, no reductions.
#include "scatter_elements.h"

namespace parallax::rt::kernels {

Status Scatter(KernelContext& ctx) { return run_scatter_elements(ctx, Reduction::kNone); }

}  // namespace parallax::rt::kernels
