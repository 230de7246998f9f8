// ArgMax: the index of the largest element along `axis` (see arg_reduce.h).
#include "arg_reduce.h"

namespace parallax::rt::kernels {

Status ArgMax(KernelContext& ctx) { return run_arg_reduce<true>(ctx); }

}  // namespace parallax::rt::kernels
