// QuantizeLinear (opset 10-17): y = saturate(round(x / y_scale) + y_zero_point), per tensor or
// (from opset 13) per slice along 'axis'. y has y_zero_point's type (uint8 when it is absent).
// Types: x float or int32 (float16 / bfloat16 / double accepted too); y uint8 or int8.
#include "../common.h"
#include "quant.h"
#include "scratch.h"

namespace parallax::rt::kernels {

Status QuantizeLinear(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* scale = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &scale));
  const Tensor* zp = ctx.input(2);
  const DType out_type = zp ? zp->dtype : DType::kUInt8;
  nn::AxisSplit split;
  PARALLAX_RETURN_IF_ERROR(nn::split_at_axis(ctx, x->shape, *scale, &split));
  nn::ScratchLayout layout;
  const size_t s_off = layout.add<double>(split.n);
  const size_t z_off = layout.add<double>(split.n);
  char* base = layout.allocate(ctx);
  double* s = nn::ScratchLayout::at<double>(base, s_off);
  double* z = nn::ScratchLayout::at<double>(base, z_off);
  PARALLAX_RETURN_IF_ERROR(nn::read_params(scale, split.n, "y_scale", s));
  PARALLAX_RETURN_IF_ERROR(nn::read_params(zp, split.n, "y_zero_point", z));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, out_type, x->shape, &y));
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes | type_bit(DType::kInt32), [&](auto xtag) {
    using TX = typename decltype(xtag)::type;
    return PARALLAX_DISPATCH(out_type, nn::kQuant8Types, [&](auto qtag) {
      using Q = typename decltype(qtag)::type;
      const TX* xp = x->data_as<TX>();
      Q* yp = y->data_as<Q>();
      for (int64_t o = 0, i = 0; o < split.outer; ++o) {
        for (int64_t a = 0; a < split.n; ++a) {
          // Divide in float, as the reference does, so ties round the same way.
          const float sa = static_cast<float>(s[a]);
          for (int64_t k = 0; k < split.inner; ++k, ++i) {
            const float v = static_cast<float>(static_cast<compute_t<TX>>(xp[i])) / sa;
            yp[i] = nn::saturate_round<Q>(static_cast<double>(std::nearbyint(v)) + z[a]);
          }
        }
      }
      return Status::ok();
    });
  });
}

}  // namespace parallax::rt::kernels
