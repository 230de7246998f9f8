// Internal to the nn kernels: runs a kernel that computes whole output rows (depthwise.cpp,
// input_conv.cpp) over the step's pool, one task per row.
//
//   run_rows(rows_fn(), job, n * out_h, pool);   // rows_fn(): the SIMD variant's function
#pragma once

#include <pthreadpool.h>

#include <cstddef>
#include <cstdint>

namespace parallax::rt::kernels::nn {

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
