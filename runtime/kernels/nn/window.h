// Sliding-window geometry shared by Conv, ConvInteger, QLinearConv and the pooling operators:
// kernel_shape, strides, dilations, pads and auto_pad read from the node, and the output size.
//
//   Window w;
//   PARALLAX_RETURN_IF_ERROR(read_window(ctx, x->shape, kernel_from_w, /*ceil_mode=*/false, &w));
//   // w.out[d] is the output extent of spatial dimension d; input coordinate of output o and
//   // kernel tap k: o * w.stride[d] + k * w.dilation[d] - w.pad_begin[d].
//
// Output extent per spatial dimension (e = (kernel - 1) * dilation + 1):
//   NOTSET / explicit pads: (in + pad_begin + pad_end - e) / stride + 1, rounded down, or up in
//     ceil_mode (a last window that would start in the end padding is dropped);
//   SAME_UPPER / SAME_LOWER: ceil(in / stride), the total padding split evenly with the odd
//     element at the end (UPPER) or at the beginning (LOWER);
//   VALID: no padding.
#pragma once

#include <string>
#include <vector>

#include "../common.h"

namespace parallax::rt::kernels::nn {

struct Window {
  int rank = 0;  // number of spatial dimensions
  int64_t in[kMaxRank] = {};
  int64_t out[kMaxRank] = {};
  int64_t kernel[kMaxRank] = {};
  int64_t stride[kMaxRank] = {};
  int64_t dilation[kMaxRank] = {};
  int64_t pad_begin[kMaxRank] = {};
  int64_t pad_end[kMaxRank] = {};

  int64_t kernel_size() const {
    int64_t n = 1;
    for (int d = 0; d < rank; ++d) n *= kernel[d];
    return n;
  }
  int64_t out_size() const {
    int64_t n = 1;
    for (int d = 0; d < rank; ++d) n *= out[d];
    return n;
  }
  int64_t in_size() const {
    int64_t n = 1;
    for (int d = 0; d < rank; ++d) n *= in[d];
    return n;
  }
};

// Reads an optional ints attribute of exactly `n` entries into `dst` (else fills `def`).
inline Status read_ints(const KernelContext& ctx, const char* name, int n, int64_t def,
                        int64_t* dst) {
  const std::vector<int64_t>* v = ctx.attr_ints(name);
  if (v == nullptr || v->empty()) {
    for (int i = 0; i < n; ++i) dst[i] = def;
    return Status::ok();
  }
  if (static_cast<int>(v->size()) != n) {
    return Status::invalid("attribute '" + std::string(name) + "' has " +
                           std::to_string(v->size()) + " entries, expected " + std::to_string(n));
  }
  for (int i = 0; i < n; ++i) dst[i] = (*v)[i];
  return Status::ok();
}

// Reads strides, dilations, pads and auto_pad (the parts common to Conv and ConvTranspose).
// `kernel` (rank entries) comes from the weights or kernel_shape.
inline Status read_window_attrs(const KernelContext& ctx, const Shape& x, const int64_t* kernel,
                                Window* w, std::string* auto_pad) {
  if (x.rank < 3)
    return Status::invalid("input must have rank >= 3 (N, C, spatial...), got " + x.to_string());
  w->rank = x.rank - 2;
  const int r = w->rank;
  for (int d = 0; d < r; ++d) {
    w->in[d] = x.dims[d + 2];
    w->kernel[d] = kernel[d];
    if (kernel[d] <= 0) return Status::invalid("kernel dimensions must be positive");
  }
  PARALLAX_RETURN_IF_ERROR(read_ints(ctx, "strides", r, 1, w->stride));
  PARALLAX_RETURN_IF_ERROR(read_ints(ctx, "dilations", r, 1, w->dilation));
  int64_t pads[2 * kMaxRank];
  PARALLAX_RETURN_IF_ERROR(read_ints(ctx, "pads", 2 * r, 0, pads));
  for (int d = 0; d < r; ++d) {
    if (w->stride[d] <= 0 || w->dilation[d] <= 0) {
      return Status::invalid("strides and dilations must be positive");
    }
    w->pad_begin[d] = pads[d];
    w->pad_end[d] = pads[d + r];
    if (pads[d] < 0 || pads[d + r] < 0) return Status::invalid("pads must be non-negative");
  }
  *auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  if (*auto_pad != "NOTSET" && *auto_pad != "SAME_UPPER" && *auto_pad != "SAME_LOWER" &&
      *auto_pad != "VALID") {
    return Status::invalid("unknown auto_pad '" + *auto_pad + "'");
  }
  return Status::ok();
}

// Full geometry of a forward sliding window (Conv, pools); see the header comment.
inline Status read_window(const KernelContext& ctx, const Shape& x, const int64_t* kernel,
                          bool ceil_mode, Window* w) {
  std::string auto_pad;
  PARALLAX_RETURN_IF_ERROR(read_window_attrs(ctx, x, kernel, w, &auto_pad));
  for (int d = 0; d < w->rank; ++d) {
    const int64_t in = w->in[d], s = w->stride[d];
    const int64_t extent = (w->kernel[d] - 1) * w->dilation[d] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      w->out[d] = (in + s - 1) / s;
      int64_t total = (w->out[d] - 1) * s + extent - in;
      if (total < 0) total = 0;
      w->pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w->pad_end[d] = total - w->pad_begin[d];
      continue;
    }
    if (auto_pad == "VALID") w->pad_begin[d] = w->pad_end[d] = 0;
    const int64_t span = in + w->pad_begin[d] + w->pad_end[d] - extent;
    if (span < 0) {
      return Status::invalid("window of extent " + std::to_string(extent) +
                             " does not fit the padded input in spatial dimension " +
                             std::to_string(d));
    }
    w->out[d] = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (w->out[d] - 1) * s >= in + w->pad_begin[d]) --w->out[d];
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels::nn
