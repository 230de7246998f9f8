// L2Normalize (com.parallax, version 1): y = x / max(||x||, epsilon) along the last axis,
// ||x|| = sqrt(sum of squares) of each row. What ReduceL2(keepdims) -> Clip(min = epsilon) ->
// [Expand] -> Div computes (PyTorch's F.normalize); made by the canonicalize pass
// (passes/fuse_l2norm.h). Attribute epsilon (float, default 0). Types: float16, bfloat16,
// float, double (computed in float or double).
//
// One read for the sum and one pass writing y per row, where the unfused chain also wrote the
// norms, their clamp and a full-size copy of them. Rows are split over the threads; each row
// is summed by one thread in a fixed order (eight interleaved partial sums), so the result
// does not depend on the thread count. It differs from ReduceL2's sequential sum in the last
// bits. A NaN norm stays NaN (as the Clip keeps it), an infinite one gives zeros or NaN as the
// Div would.
#include <pthreadpool.h>

#include <algorithm>
#include <cmath>

#include "../common.h"

namespace parallax::rt::kernels {

namespace {

template <typename T>
struct Rows {
  const T* x;
  T* y;
  int64_t n;
  float epsilon;
};

template <typename T>
void normalize_rows(void* context, size_t first, size_t count) {
  using C = compute_t<T>;
  const Rows<T>& r = *static_cast<const Rows<T>*>(context);
  const C eps = static_cast<C>(r.epsilon);
  for (size_t i = first; i < first + count; ++i) {
    const T* x = r.x + static_cast<int64_t>(i) * r.n;
    T* y = r.y + static_cast<int64_t>(i) * r.n;
    C part[8] = {};
    int64_t j = 0;
    for (; j + 8 <= r.n; j += 8) {
      for (int l = 0; l < 8; ++l) {
        const C v = static_cast<C>(x[j + l]);
        part[l] += v * v;
      }
    }
    for (; j < r.n; ++j) {
      const C v = static_cast<C>(x[j]);
      part[0] += v * v;
    }
    const C sum =
        ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
    const C norm = std::sqrt(sum);
    const C d = norm < eps ? eps : norm;  // as Clip: a NaN norm passes through
    for (j = 0; j < r.n; ++j) y[j] = static_cast<T>(static_cast<C>(x[j]) / d);
  }
}

}  // namespace

Status L2Normalize(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (x->shape.rank < 1) {
    return Status::invalid("L2Normalize needs an input of rank >= 1, got a scalar");
  }
  const float epsilon = ctx.attr_float("epsilon", 0.0f);
  if (!(epsilon >= 0.0f)) {
    return Status::invalid("L2Normalize epsilon must be >= 0, got " + std::to_string(epsilon));
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, x->shape, &y));
  const int64_t n = x->shape[x->shape.rank - 1];
  if (x->numel() == 0 || n == 0) return Status::ok();
  const size_t rows = static_cast<size_t>(x->numel() / n);
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    Rows<T> job{x->data_as<T>(), y->data_as<T>(), n, epsilon};
    // Rows per task: about 16K elements, enough to hide the dispatch.
    const size_t tile = static_cast<size_t>(std::max<int64_t>(1, 16384 / n));
    if (ctx.threadpool() == nullptr || rows <= tile) {
      normalize_rows<T>(&job, 0, rows);
    } else {
      pthreadpool_parallelize_1d_tile_1d(ctx.threadpool(), &normalize_rows<T>, &job, rows, tile, 0);
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
