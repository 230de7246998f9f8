// ReduceMin: the smallest element along the reduced axes; NaN propagates.
#include "reduce.h"

namespace parallax::rt::kernels {
namespace {

struct ReduceMinOp {
  template <typename A> static A init() { return highest_value<A>(); }
  template <typename A> static A step(A acc, A x) { return (x < acc || is_nan(x)) ? x : acc; }
  template <typename A> static A finish(A acc, int64_t n) {
    (void)n;
    return acc;
  }
};

}  // namespace

// Axes are an input from opset 18 on, an attribute before.
Status ReduceMin(KernelContext& ctx) { return run_reduce<ReduceMinOp>(ctx, ctx.opset() >= 18); }

}  // namespace parallax::rt::kernels
