// Pow (opset 1-17): y = a ^ b with broadcasting (the legacy broadcast/axis attributes before
// opset 7). Up to opset 11 both inputs share one float type; from opset 12 the exponent may be
// any numeric type and y takes the base's type. Integer ^ integer is exact (wrapping); a
// negative integer exponent gives 1 / a^|b| truncated (so 0 unless |a| = 1).
// Types: base float16, bfloat16, float, double, int32, int64; exponent every numeric type.
#include "binary.h"

namespace parallax::rt::kernels {

namespace {

constexpr TypeSet kBaseTypes = kFloatTypes | type_bit(DType::kInt32) | type_bit(DType::kInt64);

template <typename B, typename E> B int_power(B base, E exponent) {
  if constexpr (std::is_signed_v<E>) {
    if (exponent < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exponent % 2 == 0) ? 1 : -1;
      return 0;
    }
  }
  // Square-and-multiply in unsigned arithmetic, which wraps like the signed result would.
  using U = std::make_unsigned_t<B>;
  U result = 1;
  U b = static_cast<U>(base);
  for (uint64_t e = static_cast<uint64_t>(exponent); e != 0; e >>= 1) {
    if (e & 1) result = static_cast<U>(result * b);
    b = static_cast<U>(b * b);
  }
  return static_cast<B>(result);
}

template <typename T, typename E> T power(T base, E exponent) {
  using CB = compute_t<T>;
  using CE = compute_t<E>;
  const CB b = static_cast<CB>(base);
  const CE e = static_cast<CE>(exponent);
  if constexpr (std::is_integral_v<CB> && std::is_integral_v<CE>) {
    return int_power(b, e);
  } else {
    // Single precision only when both sides are at most float; otherwise promote like numpy.
    using M =
        std::conditional_t<std::is_same_v<CB, float> && std::is_same_v<CE, float>, float, double>;
    return static_cast<T>(static_cast<CB>(std::pow(static_cast<M>(b), static_cast<M>(e))));
  }
}

}  // namespace

Status Pow(KernelContext& ctx) {
  Tensor a, b;
  Shape shape;
  PARALLAX_RETURN_IF_ERROR(
      elementwise::binary_operands(ctx, elementwise::kLegacyBroadcast, &a, &b, &shape));
  if (ctx.opset() < 12) PARALLAX_RETURN_IF_ERROR(elementwise::require_same_dtype(a, b));
  return PARALLAX_DISPATCH(a.dtype, kBaseTypes, [&](auto base_tag) {
    using T = typename decltype(base_tag)::type;
    Tensor* y = nullptr;
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, a.dtype, shape, &y));
    return PARALLAX_DISPATCH(b.dtype, kNumericTypes, [&](auto exp_tag) {
      using E = typename decltype(exp_tag)::type;
      elementwise::binary_loop<T, E, T>(a, b, y, [](T u, E v) { return power(u, v); });
      return Status::ok();
    });
  });
}

}  // namespace parallax::rt::kernels
