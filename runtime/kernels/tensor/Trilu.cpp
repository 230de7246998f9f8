// Trilu: keeps the upper (upper=1, default) or lower triangle of the last two dims, shifted
// by the diagonal offset k (optional int64 scalar input 1); everything else becomes zero.
#include "copy.h"

namespace parallax::rt::kernels {

Status Trilu(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  if (x->shape.rank < 2) return Status::invalid("input must have rank 2 or more");
  int64_t k = 0;
  if (const Tensor* kt = ctx.input(1)) {
    if (!is_int_tensor(*kt) || kt->numel() != 1)
      return Status::invalid("k must be an integer scalar");
    k = int_at(*kt, 0);
  }
  const bool upper = ctx.attr_int("upper", 1) != 0;
  const int64_t rows = x->shape[x->shape.rank - 2], cols = x->shape[x->shape.rank - 1];
  const int64_t mats = rows * cols == 0 ? 0 : x->numel() / (rows * cols);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, x->shape, &y));
  return dispatch_size(x->dtype, [&](auto tag) {
    using U = typename decltype(tag)::type;
    const U* in = x->data_as<U>();
    U* out = y->data_as<U>();
    // The all-zero bit pattern is zero (or false) in every dtype.
    for (int64_t m = 0; m < mats; ++m) {
      for (int64_t i = 0; i < rows; ++i, in += cols, out += cols) {
        for (int64_t j = 0; j < cols; ++j) {
          const bool keep = upper ? j - i >= k : j - i <= k;
          out[j] = keep ? in[j] : U(0);
        }
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
