// ReduceMean: the arithmetic mean along the reduced axes (integer types truncate).
#include "reduce.h"

namespace parallax::rt::kernels {
namespace {

struct ReduceMeanOp {
  template <typename A> static A init() { return A(0); }
  template <typename A> static A step(A acc, A x) { return static_cast<A>(acc + x); }
  template <typename A> static A finish(A acc, int64_t n) {
    (void)n;
    return n > 0 ? static_cast<A>(acc / static_cast<A>(n)) : acc;
  }
};

}  // namespace

// Axes are an input from opset 18 on, an attribute before.
Status ReduceMean(KernelContext& ctx) { return run_reduce<ReduceMeanOp>(ctx, ctx.opset() >= 18); }

}  // namespace parallax::rt::kernels
