// ReduceL2: the Euclidean norm along the reduced axes.
#include "reduce.h"

namespace parallax::rt::kernels {
namespace {

struct ReduceL2Op {
  template <typename A> static A init() { return A(0); }
  template <typename A> static A step(A acc, A x) { return static_cast<A>(acc + x * x); }
  template <typename A> static A finish(A acc, int64_t n) {
    (void)n;
    return apply_real(acc, [](auto v) { return std::sqrt(v); });
  }
};

}  // namespace

// Axes are an input from opset 18 on, an attribute before.
Status ReduceL2(KernelContext& ctx) { return run_reduce<ReduceL2Op>(ctx, ctx.opset() >= 18); }

}  // namespace parallax::rt::kernels
