// Pad: grows (or, with negative pads, crops) each dim by pads[d] in front and pads[d + rank]
// behind. Modes: constant (fill with the value), edge (repeat the border), reflect (mirror
// without repeating the border). Pads and value are attributes before opset 11 (`paddings` in
// opset 1) and inputs from 11, where input 3 (opset 18 `axes`) may name the padded dims.
#include <algorithm>

#include "copy.h"

namespace parallax::rt::kernels {

namespace {

enum class PadMode { kConstant, kEdge, kReflect };

// Source coordinate of output coordinate `o` along a dim of size `dim` with `before` padding
// in front; -1 for the constant fill.
int64_t pad_source(int64_t o, int64_t before, int64_t dim, PadMode mode) {
  int64_t i = o - before;
  if (i >= 0 && i < dim) return i;
  switch (mode) {
    case PadMode::kConstant:
      return -1;
    case PadMode::kEdge:
      return i < 0 ? 0 : dim - 1;
    case PadMode::kReflect: {
      if (dim == 1) return 0;
      const int64_t period = 2 * (dim - 1);
      i %= period;
      if (i < 0) i += period;
      return i < dim ? i : period - i;
    }
  }
  return -1;
}

Status read_pads(const KernelContext& ctx, int rank, int64_t* before, int64_t* after) {
  for (int d = 0; d < rank; ++d) before[d] = after[d] = 0;
  IntList pads, axes;
  const bool from_inputs = ctx.opset() >= 11;
  PARALLAX_RETURN_IF_ERROR(
      read_int_list(ctx, from_inputs, 1, ctx.opset() == 1 ? "paddings" : "pads", &pads));
  if (from_inputs) PARALLAX_RETURN_IF_ERROR(read_int_list(ctx, true, 3, "axes", &axes));
  if (!pads.present()) return Status::invalid("pads are missing");
  const int64_t n = axes.present() ? axes.size() : rank;
  if (pads.size() != 2 * n) {
    return Status::invalid("pads has " + std::to_string(pads.size()) + " entries, expected " +
                           std::to_string(2 * n));
  }
  for (int64_t k = 0; k < n; ++k) {
    int a = static_cast<int>(k);
    if (axes.present()) PARALLAX_RETURN_IF_ERROR(normalize_axis(axes[k], rank, &a));
    before[a] = pads[k];
    after[a] = pads[k + n];
  }
  return Status::ok();
}

// The fill value's bytes in `dtype`: input 2 from opset 11 (default 0), else attribute value.
Status read_pad_value(const KernelContext& ctx, DType dtype, uint64_t* bits) {
  *bits = 0;
  if (ctx.opset() >= 11) {
    const Tensor* v = ctx.input(2);
    if (v == nullptr) return Status::ok();
    if (v->dtype != dtype || v->numel() != 1) {
      return Status::invalid("constant_value must be one element of the input's type");
    }
    std::memcpy(bits, v->data, dtype_size(dtype));
    return Status::ok();
  }
  const float value = ctx.attr_float("value", 0.0f);
  return PARALLAX_DISPATCH(dtype, kNumericTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = static_cast<T>(value);
    std::memcpy(bits, &v, sizeof(T));
    return Status::ok();
  });
}

}  // namespace

Status Pad(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const std::string_view mode_s = attr_view(ctx, "mode", "constant");
  PadMode mode;
  if (mode_s == "constant") {
    mode = PadMode::kConstant;
  } else if (mode_s == "edge") {
    mode = PadMode::kEdge;
  } else if (mode_s == "reflect") {
    mode = PadMode::kReflect;
  } else {
    return Status::unsupported("pad mode '" + std::string(mode_s) + "'");
  }
  const int rank = x->shape.rank;
  if (rank == 0) return copy_reshaped(ctx, *x, x->shape);
  int64_t before[kMaxRank], after[kMaxRank];
  PARALLAX_RETURN_IF_ERROR(read_pads(ctx, rank, before, after));
  uint64_t value = 0;
  PARALLAX_RETURN_IF_ERROR(read_pad_value(ctx, x->dtype, &value));
  Shape out = x->shape;
  for (int d = 0; d < rank; ++d) {
    out.dims[d] = x->shape[d] + before[d] + after[d];
    if (out.dims[d] < 0)
      return Status::invalid("pads crop more than dim " + std::to_string(d) + " holds");
    if (mode != PadMode::kConstant && x->shape[d] == 0 && out.dims[d] > 0) {
      return Status::invalid("cannot " + std::string(mode_s) + "-pad an empty dim");
    }
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out, &y));
  const int64_t total = out.numel();
  if (total == 0) return Status::ok();
  int64_t in_strides[kMaxRank];
  contiguous_strides(x->shape, in_strides);
  const int last = rank - 1;
  const int64_t width = out.dims[last], in_width = x->shape[last];
  // Output columns [lo, hi) read the input row contiguously.
  const int64_t lo = std::min(std::max<int64_t>(before[last], 0), width);
  const int64_t hi = std::max(lo, std::min(width, before[last] + in_width));
  return dispatch_size(x->dtype, [&](auto tag) {
    using U = typename decltype(tag)::type;
    U fill;
    std::memcpy(&fill, &value, sizeof(U));
    const U* src = x->data_as<U>();
    U* dst = y->data_as<U>();
    int64_t idx[kMaxRank] = {};
    for (int64_t row = 0; row < total / width; ++row, dst += width) {
      int64_t off = 0;
      bool is_fill = false;
      for (int d = 0; d < last && !is_fill; ++d) {
        const int64_t i = pad_source(idx[d], before[d], x->shape[d], mode);
        is_fill = i < 0;
        off += i * in_strides[d];
      }
      if (is_fill) {
        std::fill(dst, dst + width, fill);
      } else {
        const U* s = src + off;
        if (mode == PadMode::kConstant) {  // the columns outside [lo, hi) are all fill
          std::fill(dst, dst + lo, fill);
          std::fill(dst + hi, dst + width, fill);
        } else {
          const auto at = [&](int64_t o) {
            const int64_t i = pad_source(o, before[last], in_width, mode);
            return i < 0 ? fill : s[i];  // an empty row has no border to repeat
          };
          for (int64_t o = 0; o < lo; ++o) dst[o] = at(o);
          for (int64_t o = hi; o < width; ++o) dst[o] = at(o);
        }
        if (hi > lo)
          std::memcpy(dst + lo, s + (lo - before[last]), static_cast<size_t>(hi - lo) * sizeof(U));
      }
      for (int d = last - 1; d >= 0; --d) {
        if (++idx[d] < out.dims[d]) break;
        idx[d] = 0;
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
