// Convolution core shared by Conv, ConvInteger and QLinearConv: im2col into scratch followed
// by the family GEMM, per image and per group.
//
//   ConvShape cs;
//   PARALLAX_RETURN_IF_ERROR(read_conv(ctx, x->shape, w->shape, &cs));
//   // scratch: cs.cols_elems() accumulator elements for the column matrix
//   conv_image<T, C>(cs, x_n, x_zero, weights_as_C, y_n, cols);
//
// Weights are [M, C/group, k...]; each group g multiplies its [M/group, C/group * K] slice by
// the [C/group * K, P] column matrix of its input channels (K = kernel size, P = output
// positions). A 1x1, stride-1, unpadded convolution over C-typed input reads X directly.
#pragma once

#include <algorithm>
#include <type_traits>

#include "gemm.h"
#include "window.h"

namespace parallax::rt::kernels::nn {

struct ConvShape {
  Window win;
  int64_t batch = 0, channels = 0, out_channels = 0, group = 1;
  Shape out;  // [N, M, out...]

  int64_t group_in() const { return channels / group; }
  int64_t group_out() const { return out_channels / group; }
  int64_t rows() const { return group_in() * win.kernel_size(); }  // column-matrix rows
  int64_t cols_elems() const { return rows() * win.out_size(); }
  bool pointwise() const {
    for (int d = 0; d < win.rank; ++d) {
      if (win.kernel[d] != 1 || win.stride[d] != 1 || win.pad_begin[d] != 0 || win.pad_end[d] != 0)
        return false;
    }
    return true;
  }
};

// Validates X [N, C, ...] against W [M, C/group, k...] and computes the geometry.
inline Status read_conv(const KernelContext& ctx, const Shape& x, const Shape& w, ConvShape* cs) {
  if (x.rank < 3)
    return Status::invalid("X must have rank >= 3 (N, C, spatial...), got " + x.to_string());
  if (w.rank != x.rank) {
    return Status::invalid("W " + w.to_string() + " and X " + x.to_string() + " differ in rank");
  }
  cs->group = ctx.attr_int("group", 1);
  cs->batch = x.dims[0];
  cs->channels = x.dims[1];
  cs->out_channels = w.dims[0];
  if (cs->group <= 0 || cs->channels % cs->group != 0 || cs->out_channels % cs->group != 0) {
    return Status::invalid("group " + std::to_string(cs->group) + " does not divide the " +
                           std::to_string(cs->channels) + " input and " +
                           std::to_string(cs->out_channels) + " output channels");
  }
  if (w.dims[1] != cs->channels / cs->group) {
    return Status::invalid("W " + w.to_string() + " expects " +
                           std::to_string(w.dims[1] * cs->group) + " input channels, X has " +
                           std::to_string(cs->channels));
  }
  const std::vector<int64_t>* ks = ctx.attr_ints("kernel_shape");
  if (ks && !ks->empty()) {
    for (int d = 0; d + 2 < w.rank; ++d) {
      if (static_cast<int>(ks->size()) != w.rank - 2 || (*ks)[d] != w.dims[d + 2]) {
        return Status::invalid("kernel_shape does not match W " + w.to_string());
      }
    }
  }
  PARALLAX_RETURN_IF_ERROR(read_window(ctx, x, w.dims + 2, /*ceil_mode=*/false, &cs->win));
  cs->out = Shape{cs->batch, cs->out_channels};
  cs->out.rank = x.rank;
  for (int d = 0; d < cs->win.rank; ++d) cs->out.dims[d + 2] = cs->win.out[d];
  return Status::ok();
}

// Column matrix of `channels` input planes: row (c, tap) holds, for every output position,
// x[c at the tapped input position] - x_zero, or 0 where the tap reads padding.
template <typename TX, typename C>
void im2col(const Window& w, const TX* x, int64_t channels, C x_zero, C* cols) {
  const int r = w.rank;
  const int last = r - 1;
  const int64_t plane = w.in_size(), taps = w.kernel_size(), positions = w.out_size();
  const int64_t out_w = w.out[last], in_w = w.in[last], s_w = w.stride[last];
  const int64_t outer = positions / (out_w ? out_w : 1);
  int64_t in_strides[kMaxRank];
  {
    int64_t acc = 1;
    for (int d = last; d >= 0; --d) {
      in_strides[d] = acc;
      acc *= w.in[d];
    }
  }
  C* row = cols;
  for (int64_t c = 0; c < channels; ++c) {
    const TX* xc = x + c * plane;
    int64_t tap[kMaxRank] = {};
    for (int64_t t = 0; t < taps; ++t, row += positions) {
      int64_t shift[kMaxRank];  // input coordinate = out * stride + shift
      for (int d = 0; d < r; ++d) shift[d] = tap[d] * w.dilation[d] - w.pad_begin[d];
      // Output columns whose tap lands inside the input along the last dimension: [lo, hi).
      int64_t lo = shift[last] >= 0 ? 0 : (-shift[last] + s_w - 1) / s_w;
      int64_t hi = in_w - shift[last] > 0 ? (in_w - shift[last] - 1) / s_w + 1 : 0;
      lo = std::min(lo, out_w);
      hi = std::max(std::min(hi, out_w), lo);
      int64_t o[kMaxRank] = {};
      for (int64_t q = 0; q < outer; ++q) {
        C* dst = row + q * out_w;
        bool inside = true;
        int64_t base = shift[last];
        for (int d = 0; d < last; ++d) {
          const int64_t i = o[d] * w.stride[d] + shift[d];
          inside = inside && i >= 0 && i < w.in[d];
          base += i * in_strides[d];
        }
        if (!inside) {
          std::fill(dst, dst + out_w, C(0));
        } else {
          std::fill(dst, dst + lo, C(0));
          const TX* src = xc + base;
          for (int64_t j = lo; j < hi; ++j) dst[j] = static_cast<C>(src[j * s_w]) - x_zero;
          std::fill(dst + hi, dst + out_w, C(0));
        }
        for (int d = last - 1; d >= 0; --d) {
          if (++o[d] < w.out[d]) break;
          o[d] = 0;
        }
      }
      for (int d = last; d >= 0; --d) {
        if (++tap[d] < w.kernel[d]) break;
        tap[d] = 0;
      }
    }
  }
}

// One image: y[M, P] = W * columns(x), per group. `wc` is W in the accumulator type,
// `cols` scratch of cs.cols_elems() elements (unused for pointwise C-typed input).
template <typename TX, typename C>
void conv_image(const ConvShape& cs, const TX* x, C x_zero, const C* wc, C* y, C* cols) {
  const int64_t cg = cs.group_in(), mg = cs.group_out(), rows = cs.rows();
  const int64_t plane = cs.win.in_size(), positions = cs.win.out_size();
  const bool direct = std::is_same_v<TX, C> && cs.pointwise() && x_zero == C(0);
  for (int64_t g = 0; g < cs.group; ++g) {
    const TX* xg = x + g * cg * plane;
    const C* b = cols;
    if constexpr (std::is_same_v<TX, C>) {
      if (direct) b = xg;
    }
    if (!direct) im2col(cs.win, xg, cg, x_zero, cols);
    gemm<C>(mg, positions, rows, MatView<C>{wc + g * mg * rows, rows, 1},
            MatView<C>{b, positions, 1}, y + g * mg * positions, positions, false);
  }
}

}  // namespace parallax::rt::kernels::nn
