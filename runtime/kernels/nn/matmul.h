// Shape logic of numpy-style matrix products, shared by MatMul, MatMulInteger and QLinearMatMul.
//
//   MatMulShape s;
//   PARALLAX_RETURN_IF_ERROR(matmul_shape(a->shape, b->shape, &s));
//   allocate_output(0, dtype, s.out, &y);
//   for_each_matmul(s, [&](int64_t a_off, int64_t b_off, int64_t y_off) { gemm(...) });
//
// 1-D operands are promoted (A: [K] -> [1, K]; B: [K] -> [K, 1]) and the added dimension is
// dropped from the result; the leading (batch) dimensions broadcast against each other.
#pragma once

#include <string>

#include "../common.h"

namespace parallax::rt::kernels::nn {

struct MatMulShape {
  int64_t m = 0, n = 0, k = 0;
  Shape a_batch, b_batch, batch;  // batch dims of A, B and of the result
  Shape out;                      // the result's shape
};

inline Status matmul_shape(const Shape& a, const Shape& b, MatMulShape* s) {
  if (a.rank < 1 || b.rank < 1) return Status::invalid("MatMul operands must have rank >= 1");
  s->m = a.rank == 1 ? 1 : a.dims[a.rank - 2];
  s->k = a.dims[a.rank - 1];
  const int64_t kb = b.rank == 1 ? b.dims[0] : b.dims[b.rank - 2];
  s->n = b.rank == 1 ? 1 : b.dims[b.rank - 1];
  if (kb != s->k) {
    return Status::invalid("inner dimensions differ: A is " + a.to_string() + ", B is " +
                           b.to_string());
  }
  s->a_batch = Shape();
  s->b_batch = Shape();
  if (a.rank > 2) Shape::from(a.dims, a.rank - 2, &s->a_batch);
  if (b.rank > 2) Shape::from(b.dims, b.rank - 2, &s->b_batch);
  PARALLAX_RETURN_IF_ERROR(broadcast_shapes(s->a_batch, s->b_batch, &s->batch));
  s->out = s->batch;
  if (a.rank > 1) s->out.dims[s->out.rank++] = s->m;
  if (b.rank > 1) s->out.dims[s->out.rank++] = s->n;
  return Status::ok();
}

// Calls f(a_offset, b_offset, out_offset) (element offsets of each matrix) per batch entry.
template <typename F>
void for_each_matmul(const MatMulShape& s, F&& f) {
  const Shape* ins[2] = {&s.a_batch, &s.b_batch};
  const int64_t a_size = s.m * s.k, b_size = s.k * s.n, o_size = s.m * s.n;
  for_each_broadcast<2>(s.batch, ins, [&](int64_t o, const int64_t* off) {
    f(off[0] * a_size, off[1] * b_size, o * o_size);
  });
}

}  // namespace parallax::rt::kernels::nn
