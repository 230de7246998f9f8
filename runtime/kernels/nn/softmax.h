// Softmax, LogSoftmax and Hardmax: one normalisation along an axis, three finishes.
//
//   Status Softmax(KernelContext& ctx) { return nn::run_softmax(ctx, nn::SoftmaxKind::kSoftmax); }
//
// The meaning of 'axis' changed at opset 13. Before it, the input is coerced to 2-D
// [prod(dims[:axis]), prod(dims[axis:])] (default axis 1) and each row is normalised; from 13
// the operation runs along the single dimension 'axis' (default -1). Both views are
// (outer, n, inner) loops here: before 13 n is the product of the trailing dims and inner is 1.
#pragma once

#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

#include "../common.h"

namespace parallax::rt::kernels::nn {

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

// Softmax along a strided axis (inner > 1, e.g. YOLO's box distribution over dim 1) in the
// compute type: the `inner` lines of a slab advance together, a block of kColumnBlock columns at
// a time, so every access is contiguous, and each exp is computed once and kept in y. The
// arithmetic and its order per line are softmax_lines', so the results are identical. Blocks
// are independent: softmax_column_block runs block `b` of slab `o`, and a pool may run them in
// any order.
constexpr int64_t kColumnBlock = 256;

template <typename C>
void softmax_column_block(const C* x, C* y, int64_t n, int64_t inner, int64_t o, int64_t b) {
  C mx[kColumnBlock], sum[kColumnBlock];
  const int64_t j0 = b * kColumnBlock;
  const int64_t jb = std::min(kColumnBlock, inner - j0);
  const C* xs = x + o * n * inner + j0;
  C* ys = y + o * n * inner + j0;
  for (int64_t j = 0; j < jb; ++j) mx[j] = xs[j];
  for (int64_t k = 1; k < n; ++k) {
    const C* xk = xs + k * inner;
    for (int64_t j = 0; j < jb; ++j) mx[j] = xk[j] > mx[j] ? xk[j] : mx[j];
  }
  for (int64_t j = 0; j < jb; ++j) sum[j] = C(0);
  for (int64_t k = 0; k < n; ++k) {
    const C* xk = xs + k * inner;
    C* yk = ys + k * inner;
    for (int64_t j = 0; j < jb; ++j) {
      yk[j] = std::exp(xk[j] - mx[j]);
      sum[j] += yk[j];
    }
  }
  for (int64_t k = 0; k < n; ++k) {
    C* yk = ys + k * inner;
    for (int64_t j = 0; j < jb; ++j) yk[j] = yk[j] / sum[j];
  }
}

template <typename C>
void softmax_columns(const C* x, C* y, int64_t outer, int64_t n, int64_t inner) {
  const int64_t blocks = (inner + kColumnBlock - 1) / kColumnBlock;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t b = 0; b < blocks; ++b) softmax_column_block<C>(x, y, n, inner, o, b);
}

template <typename T>
void softmax_lines(SoftmaxKind kind, const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  using C = compute_t<T>;
  if constexpr (std::is_same_v<T, C>) {
    if (kind == SoftmaxKind::kSoftmax && inner > 1) {
      softmax_columns<C>(x, y, outer, n, inner);
      return;
    }
  }
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* xl = x + o * n * inner + i;
      T* yl = y + o * n * inner + i;
      C mx = static_cast<C>(xl[0]);
      int64_t arg = 0;
      for (int64_t k = 1; k < n; ++k) {
        const C v = static_cast<C>(xl[k * inner]);
        if (v > mx) {
          mx = v;
          arg = k;
        }
      }
      if (kind == SoftmaxKind::kHardmax) {
        for (int64_t k = 0; k < n; ++k) yl[k * inner] = static_cast<T>(k == arg ? C(1) : C(0));
        continue;
      }
      // Subtracting the maximum keeps exp() finite for large inputs.
      C sum = C(0);
      for (int64_t k = 0; k < n; ++k) sum += std::exp(static_cast<C>(xl[k * inner]) - mx);
      if (kind == SoftmaxKind::kSoftmax) {
        for (int64_t k = 0; k < n; ++k) {
          yl[k * inner] = static_cast<T>(std::exp(static_cast<C>(xl[k * inner]) - mx) / sum);
        }
      } else {
        const C log_sum = std::log(sum);
        for (int64_t k = 0; k < n; ++k) {
          yl[k * inner] = static_cast<T>(static_cast<C>(xl[k * inner]) - mx - log_sum);
        }
      }
    }
  }
}

inline Status run_softmax(KernelContext& ctx, SoftmaxKind kind) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const Shape& s = x->shape;
  const bool per_axis = ctx.opset() >= 13;
  int64_t outer = 1, n = 1, inner = 1;
  if (s.rank > 0) {
    int axis = 0;
    PARALLAX_RETURN_IF_ERROR(
        normalize_axis(ctx.attr_int("axis", per_axis ? -1 : 1), s.rank, &axis));
    for (int d = 0; d < axis; ++d) outer *= s.dims[d];
    if (per_axis) {
      n = s.dims[axis];
      for (int d = axis + 1; d < s.rank; ++d) inner *= s.dims[d];
    } else {
      for (int d = axis; d < s.rank; ++d) n *= s.dims[d];
    }
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, s, &y));
  if (n == 0) return Status::ok();
  // float32 Softmax over a strided axis: its column blocks over the step's pool (YOLO's
  // distribution head: 132 blocks of 16 x 256).
  const int64_t blocks = (inner + kColumnBlock - 1) / kColumnBlock;
  if (kind == SoftmaxKind::kSoftmax && x->dtype == DType::kFloat32 && inner > 1 &&
      ctx.threadpool() != nullptr && outer * blocks > 1) {
    struct Job {
      const float* x;
      float* y;
      int64_t n, inner;
    } job{x->data_as<float>(), y->data_as<float>(), n, inner};
    pthreadpool_parallelize_2d(
        ctx.threadpool(),
        [](void* arg, size_t o, size_t b) {
          const Job& j = *static_cast<const Job*>(arg);
          softmax_column_block<float>(j.x, j.y, j.n, j.inner, static_cast<int64_t>(o),
                                      static_cast<int64_t>(b));
        },
        &job, static_cast<size_t>(outer), static_cast<size_t>(blocks), 0);
    return Status::ok();
  }
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    softmax_lines<T>(kind, x->data_as<T>(), y->data_as<T>(), outer, n, inner);
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels::nn
