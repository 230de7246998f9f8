// MaxUnpool (opset 9-17): scatters X into a zero tensor at the flat positions given by I (as
// produced by MaxPool's Indices). Indices address the natural unpooled shape, per spatial
// dimension (in - 1) * stride - pad_begin - pad_end + kernel; when the optional 'output_shape'
// input asks for a larger tensor, each value keeps its coordinates and the rest stays zero.
// Types: float16, bfloat16, float, double; I int64.
#include <cstring>
#include <string>

#include "../common.h"
#include "window.h"

namespace parallax::rt::kernels {

Status MaxUnpool(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* idx = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &idx));
  const Tensor* out_shape_t = ctx.input(2);
  if (idx->shape != x->shape || idx->dtype != DType::kInt64) {
    return Status::invalid("I must be an int64 tensor of X's shape " + x->shape.to_string());
  }
  const std::vector<int64_t>* ks = ctx.attr_ints("kernel_shape");
  if (ks == nullptr || static_cast<int>(ks->size()) != x->shape.rank - 2) {
    return Status::invalid("kernel_shape must have one entry per spatial dimension of X " +
                           x->shape.to_string());
  }
  nn::Window w;
  std::string auto_pad;
  PARALLAX_RETURN_IF_ERROR(nn::read_window_attrs(ctx, x->shape, ks->data(), &w, &auto_pad));
  Shape natural = x->shape;
  for (int d = 0; d < w.rank; ++d) {
    natural.dims[d + 2] = (w.in[d] - 1) * w.stride[d] - w.pad_begin[d] - w.pad_end[d] + w.kernel[d];
  }
  Shape out = natural;
  if (out_shape_t) {
    PARALLAX_RETURN_IF_ERROR(shape_from_tensor(*out_shape_t, &out));
    if (out.rank != x->shape.rank) {
      return Status::invalid("output_shape " + out.to_string() + " must have X's rank");
    }
    for (int d = 0; d < out.rank; ++d) {
      if (out.dims[d] < natural.dims[d]) {
        return Status::invalid("output_shape " + out.to_string() +
                               " is smaller than the unpooled shape " + natural.to_string());
      }
    }
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, out, &y));
  std::memset(y->data, 0, y->nbytes());
  const int64_t total = natural.numel();
  // Moves a flat index of `natural` to the same coordinates in `out`.
  auto relocate = [&](int64_t i) {
    if (out == natural) return i;
    int64_t result = 0, stride = 1;
    for (int d = out.rank - 1; d >= 0; --d) {
      result += (i % natural.dims[d]) * stride;
      i /= natural.dims[d];
      stride *= out.dims[d];
    }
    return result;
  };
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xp = x->data_as<T>();
    const int64_t* ip = idx->data_as<int64_t>();
    T* yp = y->data_as<T>();
    for (int64_t i = 0; i < x->numel(); ++i) {
      if (ip[i] < 0 || ip[i] >= total) {
        return Status::out_of_range("index " + std::to_string(ip[i]) +
                                    " is outside the unpooled tensor of " + std::to_string(total) +
                                    " elements");
      }
      yp[relocate(ip[i])] = xp[i];
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
