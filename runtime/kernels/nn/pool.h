// Pooling shared by MaxPool, AveragePool, LpPool and their Global variants.
//
//   Status MaxPool(KernelContext& ctx) { return nn::run_pool(ctx, nn::PoolKind::kMax); }
//
// Each (image, channel) plane is pooled independently: an output position's window taps the
// input at o * stride + k * dilation - pad_begin per spatial dimension; taps that fall into
// padding are skipped (max, Lp) or counted only with count_include_pad (average, where the
// divisor counts taps inside the padded extent). MaxPool's optional Indices output holds the
// flat index into X of each maximum, with the spatial part row-major (storage_order 0) or
// column-major (storage_order 1).
#pragma once

#include <cmath>
#include <limits>
#include <string>

#include "../common.h"
#include "window.h"

namespace parallax::rt::kernels::nn {

enum class PoolKind { kMax, kAverage, kLp };

struct PoolParams {
  PoolKind kind = PoolKind::kMax;
  bool count_include_pad = false;
  double p = 2.0;
  bool column_major = false;
};

// Pools one plane: y[out positions], and indices[...] = index_base + argmax when non-null.
template <typename T>
void pool_plane(const Window& w, const PoolParams& pp, const T* x, T* y, int64_t* indices,
                int64_t index_base) {
  using C = compute_t<T>;
  using Acc = std::conditional_t<is_float_v<T>, double, C>;
  const int r = w.rank;
  const int64_t taps = w.kernel_size(), positions = w.out_size();
  int64_t col_stride[kMaxRank];
  {
    int64_t acc = 1;
    for (int d = 0; d < r; ++d) {
      col_stride[d] = acc;
      acc *= w.in[d];
    }
  }
  int64_t o[kMaxRank] = {};
  for (int64_t pos = 0; pos < positions; ++pos) {
    int64_t start[kMaxRank];
    for (int d = 0; d < r; ++d) start[d] = o[d] * w.stride[d] - w.pad_begin[d];
    Acc sum = Acc(0);
    C best = static_cast<C>(std::numeric_limits<T>::lowest());
    int64_t best_index = -1, count = 0, padded_count = 0;
    int64_t t[kMaxRank] = {};
    for (int64_t tap = 0; tap < taps; ++tap) {
      bool inside = true, in_padded = true;
      int64_t off = 0, col_off = 0;
      for (int d = 0; d < r; ++d) {
        const int64_t c = start[d] + t[d] * w.dilation[d];
        inside = inside && c >= 0 && c < w.in[d];
        in_padded = in_padded && c >= -w.pad_begin[d] && c < w.in[d] + w.pad_end[d];
        off = off * w.in[d] + c;
        col_off += c * col_stride[d];
      }
      padded_count += in_padded ? 1 : 0;
      if (inside) {
        const C v = static_cast<C>(x[off]);
        ++count;
        if (pp.kind == PoolKind::kMax) {
          if (best_index < 0 || v > best || v != v) {
            best = v;
            best_index = pp.column_major ? col_off : off;
          }
        } else if (pp.kind == PoolKind::kAverage) {
          sum += static_cast<Acc>(v);
        } else {
          sum += static_cast<Acc>(std::pow(std::fabs(static_cast<double>(v)), pp.p));
        }
      }
      for (int d = r - 1; d >= 0; --d) {
        if (++t[d] < w.kernel[d]) break;
        t[d] = 0;
      }
    }
    if (pp.kind == PoolKind::kMax) {
      y[pos] = static_cast<T>(best);
      if (indices) indices[pos] = index_base + (best_index < 0 ? 0 : best_index);
    } else if (pp.kind == PoolKind::kAverage) {
      const int64_t divisor = pp.count_include_pad ? padded_count : count;
      y[pos] = static_cast<T>(divisor > 0 ? sum / static_cast<Acc>(divisor) : Acc(0));
    } else {
      y[pos] = static_cast<T>(std::pow(static_cast<double>(sum), 1.0 / pp.p));
    }
    for (int d = r - 1; d >= 0; --d) {
      if (++o[d] < w.out[d]) break;
      o[d] = 0;
    }
  }
}

// Pools every plane of x into y (and the optional indices output).
template <typename T>
void pool_all(const Window& w, const PoolParams& pp, const Tensor& x, Tensor* y, Tensor* indices) {
  const int64_t planes = x.shape[0] * x.shape[1];
  const int64_t in_plane = w.in_size(), out_plane = w.out_size();
  for (int64_t i = 0; i < planes; ++i) {
    pool_plane<T>(w, pp, x.data_as<T>() + i * in_plane, y->data_as<T>() + i * out_plane,
                  indices ? indices->data_as<int64_t>() + i * out_plane : nullptr, i * in_plane);
  }
}

// Reads LpPool's p: a float attribute at opset 1, an int from opset 2.
inline double read_p(const KernelContext& ctx) {
  const Attribute* a = ctx.attr("p");
  if (a == nullptr) return 2.0;
  return a->kind == Attribute::Kind::kFloat ? static_cast<double>(a->f) : static_cast<double>(a->i);
}

// MaxPool, AveragePool, LpPool: windows from kernel_shape and the usual attributes.
inline Status run_pool(KernelContext& ctx, PoolKind kind) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const std::vector<int64_t>* ks = ctx.attr_ints("kernel_shape");
  if (ks == nullptr || static_cast<int>(ks->size()) != x->shape.rank - 2) {
    return Status::invalid("kernel_shape must have one entry per spatial dimension of X " +
                           x->shape.to_string());
  }
  PoolParams pp;
  pp.kind = kind;
  pp.count_include_pad = ctx.attr_int("count_include_pad", 0) != 0;
  pp.column_major = ctx.attr_int("storage_order", 0) != 0;
  pp.p = read_p(ctx);
  Window w;
  PARALLAX_RETURN_IF_ERROR(
      read_window(ctx, x->shape, ks->data(), ctx.attr_int("ceil_mode", 0) != 0, &w));
  if (kind != PoolKind::kMax) {
    for (int d = 0; d < w.rank; ++d) {
      if (w.dilation[d] != 1) return Status::unsupported("dilations are only supported by MaxPool");
    }
  }
  Shape out = x->shape;
  for (int d = 0; d < w.rank; ++d) out.dims[d + 2] = w.out[d];
  Tensor* y = nullptr;
  Tensor* indices = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out, &y));
  if (kind == PoolKind::kMax && ctx.output_count() > 1) {
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(1, DType::kInt64, out, &indices));
  }
  constexpr TypeSet kMaxTypes = kFloatTypes | type_bit(DType::kInt8) | type_bit(DType::kUInt8);
  if (kind == PoolKind::kMax) {
    return PARALLAX_DISPATCH(x->dtype, kMaxTypes, [&](auto tag) {
      pool_all<typename decltype(tag)::type>(w, pp, *x, y, indices);
      return Status::ok();
    });
  }
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    pool_all<typename decltype(tag)::type>(w, pp, *x, y, indices);
    return Status::ok();
  });
}

// GlobalMaxPool, GlobalAveragePool, GlobalLpPool: one window covering each whole plane.
inline Status run_global_pool(KernelContext& ctx, PoolKind kind) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (x->shape.rank < 3) {
    return Status::invalid("X must have rank >= 3 (N, C, spatial...), got " + x->shape.to_string());
  }
  PoolParams pp;
  pp.kind = kind;
  pp.p = read_p(ctx);
  Window w;
  w.rank = x->shape.rank - 2;
  Shape out = x->shape;
  for (int d = 0; d < w.rank; ++d) {
    w.in[d] = w.kernel[d] = x->shape[d + 2];
    w.out[d] = w.stride[d] = w.dilation[d] = 1;
    out.dims[d + 2] = 1;
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out, &y));
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    pool_all<typename decltype(tag)::type>(w, pp, *x, y, nullptr);
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels::nn
