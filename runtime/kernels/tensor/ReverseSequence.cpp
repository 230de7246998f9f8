// ReverseSequence: for each batch entry b, reverses the first sequence_lens[b] steps along
// `time_axis` (default 0); `batch_axis` (default 1) indexes the batch. The two axes are 0
// and 1 in some order; later dims are carried along as blocks.
#include "copy.h"

namespace parallax::rt::kernels {

Status ReverseSequence(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* lens = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &lens));
  if (x->shape.rank < 2) return Status::invalid("input must have rank 2 or more");
  const int64_t time_axis = ctx.attr_int("time_axis", 0);
  const int64_t batch_axis = ctx.attr_int("batch_axis", 1);
  if (!((time_axis == 0 && batch_axis == 1) || (time_axis == 1 && batch_axis == 0))) {
    return Status::invalid("time_axis and batch_axis must be 0 and 1 in some order");
  }
  const int64_t steps = x->shape[static_cast<int>(time_axis)];
  const int64_t batch = x->shape[static_cast<int>(batch_axis)];
  if (!is_int_tensor(*lens) || lens->shape != Shape{batch}) {
    return Status::invalid("sequence_lens must be an integer tensor of shape [" +
                           std::to_string(batch) + "]");
  }
  int64_t strides[kMaxRank];
  contiguous_strides(x->shape, strides);
  const int64_t t_stride = strides[time_axis], b_stride = strides[batch_axis];
  const size_t block = static_cast<size_t>(strides[1]) * dtype_size(x->dtype);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, x->shape, &y));
  const size_t elem = dtype_size(x->dtype);
  const auto* src = static_cast<const uint8_t*>(x->data);
  auto* dst = static_cast<uint8_t*>(y->data);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = int_at(*lens, b);
    if (len < 0 || len > steps) {
      return Status::invalid("sequence length " + std::to_string(len) + " is out of range [0, " +
                             std::to_string(steps) + "]");
    }
    for (int64_t t = 0; t < steps; ++t) {
      const int64_t from = t < len ? len - 1 - t : t;
      std::memcpy(dst + (t * t_stride + b * b_stride) * elem,
                  src + (from * t_stride + b * b_stride) * elem, block);
    }
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels
