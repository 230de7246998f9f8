// ReduceSumSquare: the sum of squares along the reduced axes.
#include "reduce.h"

namespace parallax::rt::kernels {
namespace {

struct ReduceSumSquareOp {
  template <typename A> static A init() { return A(0); }
  template <typename A> static A step(A acc, A x) { return static_cast<A>(acc + x * x); }
  template <typename A> static A finish(A acc, int64_t n) {
    (void)n;
    return acc;
  }
};

}  // namespace

// Axes are an input from opset 18 on, an attribute before.
Status ReduceSumSquare(KernelContext& ctx) { return run_reduce<ReduceSumSquareOp>(ctx, ctx.opset() >= 18); }

}  // namespace parallax::rt::kernels
