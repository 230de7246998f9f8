// Mod (opset 10-17): remainder of a / b with broadcasting. fmod = 1: the sign of the dividend
// (C fmod / %). fmod = 0 (default): the sign of the divisor, like Python's %; integers only.
// An integer divisor of zero is an error. Types: every numeric type.
#include "binary.h"

namespace parallax::rt::kernels {

namespace {

// a % b for integers without the min % -1 trap.
template <typename C> C int_rem(C a, C b) {
  if constexpr (std::is_signed_v<C>) {
    if (b == C(-1)) return C(0);
  }
  return static_cast<C>(a % b);
}

}  // namespace

Status Mod(KernelContext& ctx) {
  const bool fmod = ctx.attr_int("fmod", 0) != 0;
  const Tensor* a = ctx.input(0);
  if (!fmod && a != nullptr && dtype_is_float(a->dtype)) {
    return Status::invalid("fmod must be 1 for floating-point inputs");
  }
  if (const Tensor* b = ctx.input(1))
    PARALLAX_RETURN_IF_ERROR(elementwise::require_no_int_zero(*b));
  return elementwise::binary_same<kNumericTypes>(ctx, elementwise::kNumpyBroadcast,
                                                 [fmod](auto x, auto y) {
                                                   using C = decltype(x);
                                                   if constexpr (!std::is_integral_v<C>) {
                                                     return std::fmod(x, y);
                                                   } else {
                                                     C r = int_rem(x, y);
                                                     if constexpr (std::is_signed_v<C>) {
                                                       if (!fmod && r != 0 && ((r < 0) != (y < 0)))
                                                         r = static_cast<C>(r + y);
                                                     }
                                                     return r;
                                                   }
                                                 });
}

}  // namespace parallax::rt::kernels
