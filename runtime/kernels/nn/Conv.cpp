// Conv (opset 1-17): N-D grouped convolution with strides, dilations, pads / auto_pad and an
// optional bias. Types: float16, bfloat16, float, double. See conv.h for the method.
// run_conv is shared with com.parallax.FusedConv, which adds an activation epilogue.
#include "conv.h"

#include <type_traits>

#include "../common.h"
#include "activation.h"
#include "scratch.h"
#include "sgemm.h"
#include "vector_math.h"

namespace parallax::rt::kernels {

Status nn::run_conv(KernelContext& ctx, const Activation& act) {
  const Tensor* x = nullptr;
  const Tensor* w = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &w));
  const Tensor* bias = ctx.input(2);
  if (w->dtype != x->dtype || (bias && bias->dtype != x->dtype)) {
    return Status::invalid("X, W and B must have the same element type");
  }
  nn::ConvShape cs;
  PARALLAX_RETURN_IF_ERROR(nn::read_conv(ctx, x->shape, w->shape, &cs));
  if (bias && bias->numel() != cs.out_channels) {
    return Status::invalid("B has " + std::to_string(bias->numel()) + " elements, expected " +
                           std::to_string(cs.out_channels));
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, cs.out, &y));
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    constexpr bool kNative = std::is_same_v<T, C>;
    const int64_t positions = cs.win.out_size(), plane = cs.win.in_size();
    const int64_t w_elems = w->numel(), y_image = cs.out_channels * positions;
    // 16-bit floats: weights and each image's result live in float scratch.
    nn::ScratchLayout layout;
    const size_t cols_off = layout.add<C>(cs.cols_elems());
    const size_t w_off = layout.add<C>(kNative ? 0 : w_elems);
    const size_t acc_off = layout.add<C>(kNative ? 0 : y_image);
    // float: each group's product goes through the packed, threaded sgemm (sgemm.h).
    constexpr bool kSgemm = std::is_same_v<T, float>;
    const int64_t mg = cs.group_out(), rows = cs.rows();
    nn::SgemmArgs g;
    g.m = mg;
    g.n = positions;
    g.k = rows;
    g.lda = rows;
    g.b_rs = positions;
    g.ldc = positions;
    const size_t packed_off =
        layout.add<float>(kSgemm ? static_cast<int64_t>(nn::sgemm_packed_floats(g)) : 0);
    char* base = layout.allocate(ctx);
    C* cols = nn::ScratchLayout::at<C>(base, cols_off);
    const C* wc = nullptr;
    if constexpr (kNative) {
      wc = w->data_as<T>();
    } else {
      C* wconv = nn::ScratchLayout::at<C>(base, w_off);
      for (int64_t i = 0; i < w_elems; ++i) wconv[i] = static_cast<C>(w->data_as<T>()[i]);
      wc = wconv;
    }
    for (int64_t n = 0; n < cs.batch; ++n) {
      const T* xn = x->data_as<T>() + n * cs.channels * plane;
      T* yn = y->data_as<T>() + n * y_image;
      C* acc = nullptr;
      if constexpr (kNative) {
        acc = yn;
      } else {
        acc = nn::ScratchLayout::at<C>(base, acc_off);
      }
      if constexpr (kSgemm) {
        const int64_t cg = cs.group_in();
        float* packed = nn::ScratchLayout::at<float>(base, packed_off);
        for (int64_t grp = 0; grp < cs.group; ++grp) {
          const float* xg = xn + grp * cg * plane;
          if (cs.pointwise()) {
            g.b = xg;  // the image is its own column matrix
          } else {
            nn::im2col(cs.win, xg, cg, 0.0f, cols);
            g.b = cols;
          }
          g.a = wc + grp * mg * rows;
          g.c = acc + grp * mg * positions;
          nn::sgemm(g, packed, ctx.threadpool());
        }
      } else {
        nn::conv_image<T, C>(cs, xn, C(0), wc, acc, cols);
      }
      // Bias and activation per channel while its plane is still in cache; a float Gelu runs
      // afterwards as the vectorised, threaded loop (nn/vector_math.h, within 5e-7 of libm).
      const bool fast_gelu = kSgemm && act.kind == nn::Activation::Kind::kGelu;
      for (int64_t m = 0; m < cs.out_channels; ++m) {
        const C b = bias ? static_cast<C>(bias->data_as<T>()[m]) : C(0);
        C* am = acc + m * positions;
        for (int64_t p = 0; p < positions; ++p) am[p] += b;
        if (!fast_gelu) act.apply(am, positions);
        if constexpr (!kNative) {
          T* ym = yn + m * positions;
          for (int64_t p = 0; p < positions; ++p) ym[p] = static_cast<T>(am[p]);
        }
      }
      if constexpr (kSgemm) {
        if (fast_gelu) nn::gelu_erf_f32(acc, static_cast<size_t>(y_image), ctx.threadpool());
      }
    }
    return Status::ok();
  });
}

Status Conv(KernelContext& ctx) { return nn::run_conv(ctx, nn::Activation{}); }

}  // namespace parallax::rt::kernels
