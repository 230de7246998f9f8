// ScatterElements: output = data with output[p with axis coordinate indices[p]] combined with
// updates[p]. `reduction` (none/add/mul from opset 16, max/min from 18) says how.
#include "scatter_elements.h"

namespace parallax::rt::kernels {

Status ScatterElements(KernelContext& ctx) {
  Reduction r = Reduction::kNone;
  PARALLAX_RETURN_IF_ERROR(parse_reduction(ctx, &r));
  return run_scatter_elements(ctx, r);
}

}  // namespace parallax::rt::kernels
