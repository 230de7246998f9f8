// Div (opset 1-17): y = a / b with broadcasting (the legacy broadcast/axis attributes before
// opset 7). Integer division truncates toward zero, as in C; an integer divisor of zero is an
// error. Types: every numeric type.
#include "binary.h"

namespace parallax::rt::kernels {

Status Div(KernelContext& ctx) {
  if (const Tensor* b = ctx.input(1))
    PARALLAX_RETURN_IF_ERROR(elementwise::require_no_int_zero(*b));
  return elementwise::binary_same<kNumericTypes>(
      ctx, elementwise::kLegacyBroadcast, [](auto a, auto b) {
        using C = decltype(a);
        if constexpr (std::is_integral_v<C> && std::is_signed_v<C>) {
          // min / -1 overflows (and traps on x86); negating in unsigned arithmetic wraps instead.
          using U = std::make_unsigned_t<C>;
          if (b == C(-1)) return static_cast<C>(U(0) - static_cast<U>(a));
        }
        return static_cast<C>(a / b);
      });
}

}  // namespace parallax::rt::kernels
