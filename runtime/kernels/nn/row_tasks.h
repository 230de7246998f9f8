// Internal to the kernels that compute whole output rows (depthwise.cpp, input_conv.cpp) or
// bands of them (expand_depthwise.cpp, fused/InputConvMaxPoolNhwc.cpp): their shared geometry,
// and running them over the step's pool, one task per row (or band).
//
//   run_rows(rows_fn(), job, n * out_h, pool);   // rows_fn(): the SIMD variant's function
#pragma once

#include <pthreadpool.h>

#include <cstddef>
#include <cstdint>

namespace parallax::rt::kernels::nn {

// The geometry of one run of a row kernel: n images of in_h x in_w to out_h x out_w; output
// (oy, ox) and tap (ky, kx) read input (oy * stride_h + ky - pad_top, ox * stride_w + kx -
// pad_left), zero outside the input. Each kernel's header says its layouts.
struct RowGeometry {
  int64_t n = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0;
  // Floats from one input pixel to the next, 0 = the channel count (dense). Read by the
  // depthwise convolution, whose input may be the first channels of a wider NHWC tensor.
  int64_t in_stride = 0;
};

// fn(job, r0, r1) computes output rows [r0, r1).
template <typename Job>
using RowKernel = void (*)(const Job&, int64_t, int64_t);

// All rows on the calling thread without a pool (or with one row), else one pool task each.
template <typename Job>
void run_rows(RowKernel<Job> fn, const Job& job, int64_t rows, ::pthreadpool* pool) {
  if (pool == nullptr || rows == 1) {
    fn(job, 0, rows);
    return;
  }
  struct Task {
    const Job* job;
    RowKernel<Job> fn;
  } task{&job, fn};
  pthreadpool_parallelize_1d(
      pool,
      [](void* context, size_t r) {
        const Task& t = *static_cast<const Task*>(context);
        t.fn(*t.job, static_cast<int64_t>(r), static_cast<int64_t>(r) + 1);
      },
      &task, static_cast<size_t>(rows), 0);
}

}  // namespace parallax::rt::kernels::nn
