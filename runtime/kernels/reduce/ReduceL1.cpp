// ReduceL1: the sum of absolute values along the reduced axes.
#include "reduce.h"

namespace parallax::rt::kernels {
namespace {

struct ReduceL1Op {
  template <typename A> static A init() { return A(0); }
  template <typename A> static A step(A acc, A x) { return static_cast<A>(acc + abs_value(x)); }
  template <typename A> static A finish(A acc, int64_t n) {
    (void)n;
    return acc;
  }
};

}  // namespace

// Axes are an input from opset 18 on, an attribute before.
Status ReduceL1(KernelContext& ctx) { return run_reduce<ReduceL1Op>(ctx, ctx.opset() >= 18); }

}  // namespace parallax::rt::kernels
