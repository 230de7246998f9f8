// ConvTranspose (opset 1-17): N-D grouped transposed convolution with strides, dilations,
// pads / auto_pad, output_padding, output_shape and an optional bias.
// Types: float16, bfloat16, float, double.
//
// Method: per image and group, columns = W_g^T * X_g (the family GEMM, W read transposed in
// place), then col2im scatters each column entry onto the output position it contributes to.
#include <type_traits>

#include "../common.h"
#include "gemm.h"
#include "scratch.h"
#include "window.h"

namespace parallax::rt::kernels {

namespace {

// Geometry of a transposed window: w.in is X's spatial extent, w.out the output's; the output
// coordinate fed by input i and tap k is i * stride + k * dilation - pad_begin.
Status read_transpose_window(const KernelContext& ctx, const Shape& x, const int64_t* kernel,
                             nn::Window* w) {
  std::string auto_pad;
  PARALLAX_RETURN_IF_ERROR(nn::read_window_attrs(ctx, x, kernel, w, &auto_pad));
  const int r = w->rank;
  int64_t out_pad[kMaxRank];
  PARALLAX_RETURN_IF_ERROR(nn::read_ints(ctx, "output_padding", r, 0, out_pad));
  const std::vector<int64_t>* out_shape = ctx.attr_ints("output_shape");
  const bool has_out_shape = out_shape && !out_shape->empty();
  if (has_out_shape && static_cast<int>(out_shape->size()) != r &&
      static_cast<int>(out_shape->size()) != r + 2) {
    return Status::invalid("output_shape has " + std::to_string(out_shape->size()) +
                           " entries, expected " + std::to_string(r));
  }
  const bool upper = auto_pad == "SAME_UPPER";
  for (int d = 0; d < r; ++d) {
    const int64_t extent = (w->kernel[d] - 1) * w->dilation[d] + 1;
    const int64_t full = w->stride[d] * (w->in[d] - 1) + out_pad[d] + extent;
    if (has_out_shape || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      w->out[d] = has_out_shape ? (*out_shape)[out_shape->size() - r + d] : w->in[d] * w->stride[d];
      const int64_t total = full - w->out[d];
      // The spec puts the odd padding element at the end only for SAME_UPPER. Halves round
      // down, so a negative total (output_shape larger than natural) grows the end.
      const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      w->pad_begin[d] = upper ? half : total - half;
      w->pad_end[d] = total - w->pad_begin[d];
    } else {
      if (auto_pad == "VALID") w->pad_begin[d] = w->pad_end[d] = 0;
      w->out[d] = full - w->pad_begin[d] - w->pad_end[d];
    }
    if (w->out[d] < 0)
      return Status::invalid("negative output size in spatial dimension " + std::to_string(d));
  }
  return Status::ok();
}

// y[channels, out...] += scatter of cols[channels * taps, in positions].
template <typename C>
void col2im(const nn::Window& w, const C* cols, int64_t channels, C* y) {
  const int r = w.rank;
  const int last = r - 1;
  const int64_t taps = w.kernel_size(), positions = w.in_size(), plane = w.out_size();
  const int64_t in_w = w.in[last], out_w = w.out[last], s_w = w.stride[last];
  const int64_t outer = positions / (in_w ? in_w : 1);
  int64_t out_strides[kMaxRank];
  {
    int64_t acc = 1;
    for (int d = last; d >= 0; --d) {
      out_strides[d] = acc;
      acc *= w.out[d];
    }
  }
  const C* row = cols;
  for (int64_t c = 0; c < channels; ++c) {
    C* yc = y + c * plane;
    int64_t tap[kMaxRank] = {};
    for (int64_t t = 0; t < taps; ++t, row += positions) {
      int64_t shift[kMaxRank];
      for (int d = 0; d < r; ++d) shift[d] = tap[d] * w.dilation[d] - w.pad_begin[d];
      int64_t i[kMaxRank] = {};
      for (int64_t q = 0; q < outer; ++q) {
        bool inside = true;
        int64_t base = shift[last];
        for (int d = 0; d < last; ++d) {
          const int64_t o = i[d] * w.stride[d] + shift[d];
          inside = inside && o >= 0 && o < w.out[d];
          base += o * out_strides[d];
        }
        if (inside) {
          const C* src = row + q * in_w;
          for (int64_t j = 0; j < in_w; ++j) {
            const int64_t o = j * s_w + shift[last];
            if (o >= 0 && o < out_w) yc[base + j * s_w] += src[j];
          }
        }
        for (int d = last - 1; d >= 0; --d) {
          if (++i[d] < w.in[d]) break;
          i[d] = 0;
        }
      }
      for (int d = last; d >= 0; --d) {
        if (++tap[d] < w.kernel[d]) break;
        tap[d] = 0;
      }
    }
  }
}

}  // namespace

Status ConvTranspose(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* w = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &w));
  const Tensor* bias = ctx.input(2);
  if (w->dtype != x->dtype || (bias && bias->dtype != x->dtype)) {
    return Status::invalid("X, W and B must have the same element type");
  }
  if (x->shape.rank < 3 || w->shape.rank != x->shape.rank) {
    return Status::invalid("X " + x->shape.to_string() + " and W " + w->shape.to_string() +
                           " must have the same rank >= 3");
  }
  const int64_t group = ctx.attr_int("group", 1);
  const int64_t batch = x->shape[0], channels = x->shape[1];
  if (group <= 0 || channels % group != 0 || w->shape[0] != channels) {
    return Status::invalid("W " + w->shape.to_string() + " does not match X " +
                           x->shape.to_string() + " with group " + std::to_string(group));
  }
  const int64_t cg = channels / group, mg = w->shape[1], out_channels = mg * group;
  if (bias && bias->numel() != out_channels) {
    return Status::invalid("B has " + std::to_string(bias->numel()) + " elements, expected " +
                           std::to_string(out_channels));
  }
  nn::Window win;
  PARALLAX_RETURN_IF_ERROR(read_transpose_window(ctx, x->shape, w->shape.dims + 2, &win));
  Shape out_shape = x->shape;
  out_shape.dims[1] = out_channels;
  for (int d = 0; d < win.rank; ++d) out_shape.dims[d + 2] = win.out[d];
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out_shape, &y));
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    constexpr bool kNative = std::is_same_v<T, C>;
    const int64_t taps = win.kernel_size(), in_plane = win.in_size(), out_plane = win.out_size();
    const int64_t rows = mg * taps, y_image = out_channels * out_plane;
    nn::ScratchLayout layout;
    const size_t cols_off = layout.add<C>(rows * in_plane);
    const size_t acc_off = layout.add<C>(kNative ? 0 : y_image);
    char* base = layout.allocate(ctx);
    C* cols = nn::ScratchLayout::at<C>(base, cols_off);
    const T* pw = w->data_as<T>();
    for (int64_t n = 0; n < batch; ++n) {
      const T* xn = x->data_as<T>() + n * channels * in_plane;
      T* yn = y->data_as<T>() + n * y_image;
      C* acc = nullptr;
      if constexpr (kNative) {
        acc = yn;
      } else {
        acc = nn::ScratchLayout::at<C>(base, acc_off);
      }
      for (int64_t m = 0; m < out_channels; ++m) {
        const C b = bias ? static_cast<C>(bias->data_as<T>()[m]) : C(0);
        std::fill(acc + m * out_plane, acc + (m + 1) * out_plane, b);
      }
      for (int64_t g = 0; g < group; ++g) {
        // W_g is [cg, rows]; its transpose is read with swapped strides.
        nn::gemm<C>(rows, in_plane, cg, nn::MatView<T>{pw + g * cg * rows, 1, rows},
                    nn::MatView<T>{xn + g * cg * in_plane, in_plane, 1}, cols, in_plane, false);
        col2im(win, cols, mg, acc + g * mg * out_plane);
      }
      if constexpr (!kNative) {
        for (int64_t i = 0; i < y_image; ++i) yn[i] = static_cast<T>(acc[i]);
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
