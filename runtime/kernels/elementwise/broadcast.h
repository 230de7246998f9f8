// Row-wise iteration over N inputs broadcast to one output, shared by every elementwise kernel.
//
// The output shape is first simplified: dimensions of size 1 are dropped and neighbouring
// dimensions are merged wherever every input walks them as one contiguous (or one repeated)
// run. Equal shapes therefore collapse to a single row, so the common case costs no index
// arithmetic at all, and a bias broadcast along the last axis becomes one long row per channel.
//
//   const Shape* ins[2] = {&a.shape, &b.shape};
//   BroadcastPlan<2> plan = plan_broadcast(y.shape, ins);
//   for_each_row(plan, [&](int64_t out, const int64_t* in, int64_t n, const int64_t* step) {
//     for (int64_t i = 0; i < n; ++i) y[out + i] = a[in[0] + i * step[0]] + b[in[1] + i * step[1]];
//   });
//
// The inner step of an input is 1 (it varies along the row) or 0 (it is repeated).
#pragma once

#include <cstdint>

#include "../common.h"

namespace parallax::rt::kernels::elementwise {

template <int N> struct BroadcastPlan {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[N][kMaxRank] = {};  // element strides of each input along each merged dim
};

// Simplifies the broadcast of `ins` (each broadcastable to `out`) to `out`.
template <int N> BroadcastPlan<N> plan_broadcast(const Shape& out, const Shape* const (&ins)[N]) {
  int64_t full[N][kMaxRank];
  for (int k = 0; k < N; ++k) broadcast_strides(*ins[k], out, full[k]);
  BroadcastPlan<N> p;
  for (int d = 0; d < out.rank; ++d) {
    if (out.dims[d] == 1) continue;
    bool merge = p.rank > 0;
    for (int k = 0; merge && k < N; ++k) {
      merge = p.strides[k][p.rank - 1] == full[k][d] * out.dims[d];
    }
    if (merge) {
      p.dims[p.rank - 1] *= out.dims[d];
      for (int k = 0; k < N; ++k) p.strides[k][p.rank - 1] = full[k][d];
      continue;
    }
    p.dims[p.rank] = out.dims[d];
    for (int k = 0; k < N; ++k) p.strides[k][p.rank] = full[k][d];
    ++p.rank;
  }
  return p;
}

// Calls f(out_offset, in_offsets, n, in_steps) once per innermost row of the plan, in row-major
// output order. Rows are contiguous in the output.
template <int N, typename F> void for_each_row(const BroadcastPlan<N>& p, F&& f) {
  int64_t off[N] = {};
  int64_t step[N] = {};
  if (p.rank == 0) {  // every dimension is 1: one element
    f(int64_t{0}, static_cast<const int64_t*>(off), int64_t{1}, static_cast<const int64_t*>(step));
    return;
  }
  const int inner = p.rank - 1;
  const int64_t n = p.dims[inner];
  for (int k = 0; k < N; ++k) step[k] = p.strides[k][inner];
  int64_t rows = 1;
  for (int d = 0; d < inner; ++d) rows *= p.dims[d];
  if (rows == 0 || n == 0) return;
  int64_t idx[kMaxRank] = {};
  for (int64_t r = 0; r < rows; ++r) {
    f(r * n, static_cast<const int64_t*>(off), n, static_cast<const int64_t*>(step));
    for (int d = inner - 1; d >= 0; --d) {
      if (++idx[d] < p.dims[d]) {
        for (int k = 0; k < N; ++k) off[k] += p.strides[k][d];
        break;
      }
      for (int k = 0; k < N; ++k) off[k] -= p.strides[k][d] * (p.dims[d] - 1);
      idx[d] = 0;
    }
  }
}

// y = f(a, b) elementwise over a and b broadcast to y->shape; A, B, Y are storage types and f
// maps (A, B) -> Y. y may alias a when a already has y's shape (used to fold many inputs).
template <typename A, typename B, typename Y, typename F>
void binary_loop(const Tensor& a, const Tensor& b, Tensor* y, F&& f) {
  const Shape* ins[2] = {&a.shape, &b.shape};
  const BroadcastPlan<2> plan = plan_broadcast(y->shape, ins);
  const A* pa = a.data_as<A>();
  const B* pb = b.data_as<B>();
  Y* py = y->data_as<Y>();
  for_each_row(plan, [&](int64_t o, const int64_t* off, int64_t n, const int64_t* st) {
    const A* ra = pa + off[0];
    const B* rb = pb + off[1];
    Y* ry = py + o;
    if (st[0] == 1 && st[1] == 1) {
      for (int64_t i = 0; i < n; ++i) ry[i] = f(ra[i], rb[i]);
    } else if (st[0] == 1 && st[1] == 0) {
      const B bv = *rb;
      for (int64_t i = 0; i < n; ++i) ry[i] = f(ra[i], bv);
    } else if (st[0] == 0 && st[1] == 1) {
      const A av = *ra;
      for (int64_t i = 0; i < n; ++i) ry[i] = f(av, rb[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) ry[i] = f(ra[i * st[0]], rb[i * st[1]]);
    }
  });
}

}  // namespace parallax::rt::kernels::elementwise
