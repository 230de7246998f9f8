// Conv (opset 1-17): N-D grouped convolution with strides, dilations, pads / auto_pad and an
// optional bias. Types: float16, bfloat16, float, double. See conv.h for the method.
// run_conv is shared with com.parallax.FusedConv, which adds an activation epilogue.
#include "conv.h"

#include <pthreadpool.h>

#include <algorithm>
#include <type_traits>

#include "../common.h"
#include "activation.h"
#include "scratch.h"
#include "sgemm.h"
#include "vector_math.h"

namespace parallax::rt::kernels {

namespace {

// The float path's passes over whole planes, split by channel over the step's pool: im2col of
// channel c into its rows of the column matrix, and each output channel's bias and activation.
struct PlaneJob {
  const nn::Window* win;
  const float* x;
  float* cols;
  int64_t plane, rows_per_channel;
  float* acc;
  const float* bias;
  const nn::Activation* act;
  int64_t positions;
  bool apply_act;
};

void im2col_channels(void* context, size_t c0, size_t count) {
  const PlaneJob& j = *static_cast<const PlaneJob*>(context);
  const int64_t c = static_cast<int64_t>(c0);
  nn::im2col(*j.win, j.x + c * j.plane, static_cast<int64_t>(count), 0.0f,
             j.cols + c * j.rows_per_channel);
}

void bias_act_channels(void* context, size_t m0, size_t count) {
  const PlaneJob& j = *static_cast<const PlaneJob*>(context);
  for (int64_t m = static_cast<int64_t>(m0); m < static_cast<int64_t>(m0 + count); ++m) {
    float* am = j.acc + m * j.positions;
    const float b = j.bias ? j.bias[m] : 0.0f;
    for (int64_t p = 0; p < j.positions; ++p) am[p] += b;
    if (j.apply_act) j.act->apply(am, j.positions);
  }
}

// Channels per task: about 64 KiB of plane each, at least one.
size_t channel_tile(int64_t plane_floats) {
  return static_cast<size_t>(std::max<int64_t>(1, 16384 / std::max<int64_t>(1, plane_floats)));
}

}  // namespace

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
            PlaneJob job{};
            job.win = &cs.win;
            job.x = xg;
            job.cols = cols;
            job.plane = plane;
            job.rows_per_channel = cs.win.kernel_size() * positions;
            pthreadpool_parallelize_1d_tile_1d(ctx.threadpool(), &im2col_channels, &job,
                                               static_cast<size_t>(cg),
                                               channel_tile(job.rows_per_channel), 0);
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
      if constexpr (kSgemm) {
        PlaneJob job{};
        job.acc = acc;
        job.bias = bias ? bias->data_as<float>() : nullptr;
        job.act = &act;
        job.positions = positions;
        job.apply_act = !fast_gelu;
        pthreadpool_parallelize_1d_tile_1d(ctx.threadpool(), &bias_act_channels, &job,
                                           static_cast<size_t>(cs.out_channels),
                                           channel_tile(positions), 0);
        if (fast_gelu) nn::gelu_erf_f32(acc, static_cast<size_t>(y_image), ctx.threadpool());
        continue;
      }
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
    }
    return Status::ok();
  });
}

Status Conv(KernelContext& ctx) { return nn::run_conv(ctx, nn::Activation{}); }

}  // namespace parallax::rt::kernels
