// Det (opset 11): the determinant of each square matrix in X [..., M, M], by LU
// decomposition with partial pivoting in double precision. Output shape [...].
#include <cmath>
#include <utility>

#include "../common.h"

namespace parallax::rt::kernels {

Status Det(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const int rank = x->shape.rank;
  if (rank < 2 || x->shape[rank - 1] != x->shape[rank - 2]) {
    return Status::invalid("input must be [..., M, M], got " + x->shape.to_string());
  }
  const int64_t m = x->shape[rank - 1];
  Shape out = x->shape;
  out.rank = rank - 2;
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out, &y));
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    double* a = static_cast<double*>(ctx.scratch(static_cast<size_t>(m * m) * sizeof(double)));
    const T* in = x->data_as<T>();
    T* dst = y->data_as<T>();
    for (int64_t b = 0; b < out.numel(); ++b) {
      for (int64_t i = 0; i < m * m; ++i) a[i] = static_cast<double>(in[b * m * m + i]);
      double det = 1;
      for (int64_t col = 0; col < m && det != 0; ++col) {
        int64_t pivot = col;
        for (int64_t r = col + 1; r < m; ++r) {
          if (std::fabs(a[r * m + col]) > std::fabs(a[pivot * m + col])) pivot = r;
        }
        if (a[pivot * m + col] == 0) {
          det = 0;
          break;
        }
        if (pivot != col) {
          for (int64_t k = 0; k < m; ++k) std::swap(a[pivot * m + k], a[col * m + k]);
          det = -det;
        }
        const double p = a[col * m + col];
        det *= p;
        for (int64_t r = col + 1; r < m; ++r) {
          const double f = a[r * m + col] / p;
          for (int64_t k = col + 1; k < m; ++k) a[r * m + k] -= f * a[col * m + k];
        }
      }
      dst[b] = static_cast<T>(det);
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
