// ArgMin: the index of the smallest element along `axis` (see arg_reduce.h).
#include "arg_reduce.h"

namespace parallax::rt::kernels {

Status ArgMin(KernelContext& ctx) { return run_arg_reduce<false>(ctx); }

}  // namespace parallax::rt::kernels
