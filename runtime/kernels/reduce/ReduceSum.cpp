// ReduceSum: the sum of the elements along the reduced axes.
#include "reduce.h"

namespace parallax::rt::kernels {
namespace {

struct ReduceSumOp {
  template <typename A> static A init() { return A(0); }
  template <typename A> static A step(A acc, A x) { return static_cast<A>(acc + x); }
  template <typename A> static A finish(A acc, int64_t n) {
    (void)n;
    return acc;
  }
};

}  // namespace

// Axes are an input from opset 13 on, an attribute before.
Status ReduceSum(KernelContext& ctx) { return run_reduce<ReduceSumOp>(ctx, ctx.opset() >= 13); }

}  // namespace parallax::rt::kernels
