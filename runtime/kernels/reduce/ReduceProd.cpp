// ReduceProd: the product of the elements along the reduced axes.
#include "reduce.h"

namespace parallax::rt::kernels {
namespace {

struct ReduceProdOp {
  template <typename A> static A init() { return A(1); }
  template <typename A> static A step(A acc, A x) { return static_cast<A>(acc * x); }
  template <typename A> static A finish(A acc, int64_t n) {
    (void)n;
    return acc;
  }
};

}  // namespace

// Axes are an input from opset 18 on, an attribute before.
Status ReduceProd(KernelContext& ctx) { return run_reduce<ReduceProdOp>(ctx, ctx.opset() >= 18); }

}  // namespace parallax::rt::kernels
