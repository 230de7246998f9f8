// Element type conversion shared by Cast and CastLike.
//
//   PARALLAX_RETURN_IF_ERROR(elementwise::cast_tensor(*x, DType::kFloat16, y));
//
// Conversions follow C with three definitions where C leaves the result undefined or odd:
// to bool is "!= 0"; float to integer truncates toward zero through int64, so out-of-range
// values wrap the way numpy's casts do on x86 (NaN and values beyond int64 give int64's
// minimum, truncated); float16 and bfloat16 convert through float, rounding to nearest even.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#include "../common.h"

namespace parallax::rt::kernels::elementwise {

template <typename To, typename From> To convert(From v) {
  using C = compute_t<From>;
  const C c = static_cast<C>(v);
  if constexpr (std::is_same_v<To, bool>) {
    return c != C(0);
  } else if constexpr (std::is_integral_v<To> && !std::is_integral_v<C>) {
    // |c| < 2^63 is exactly the range a double converts to int64 without overflow.
    const double d = static_cast<double>(c);
    const int64_t wide =
        (std::fabs(d) < 9223372036854775808.0) ? static_cast<int64_t>(d) : INT64_MIN;
    return static_cast<To>(wide);
  } else if constexpr (std::is_same_v<To, float16> || std::is_same_v<To, bfloat16>) {
    return To(static_cast<float>(c));
  } else {
    return static_cast<To>(c);
  }
}

// Writes x converted to y->dtype into y, which has x's shape.
inline Status cast_tensor(const Tensor& x, Tensor* y) {
  return PARALLAX_DISPATCH(x.dtype, kAllTypes, [&](auto from_tag) {
    using From = typename decltype(from_tag)::type;
    return PARALLAX_DISPATCH(y->dtype, kAllTypes, [&](auto to_tag) {
      using To = typename decltype(to_tag)::type;
      const From* in = x.data_as<From>();
      To* out = y->data_as<To>();
      const int64_t n = x.numel();
      for (int64_t i = 0; i < n; ++i) out[i] = convert<To>(in[i]);
      return Status::ok();
    });
  });
}

// Checks that Cast can produce `to` from `from`; strings are the one ONNX type it cannot.
inline Status check_castable(DType from, DType to) {
  for (DType t : {from, to}) {
    if (t == DType::kString)
      return Status::unsupported("casts to or from string are not supported");
    if (dtype_size(t) == 0) {
      return Status::invalid("cannot cast to or from element type " +
                             std::to_string(static_cast<int>(t)));
    }
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels::elementwise
