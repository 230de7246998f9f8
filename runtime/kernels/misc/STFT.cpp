// STFT (opset 17): short-time Fourier transform of signal [batch, length, 1 | 2]. Frames of
// frame_length samples start every frame_step samples; each is multiplied by the optional
// window and transformed. frame_length defaults to the window's length. 'onesided' (default 1)
// keeps frame_length / 2 + 1 bins. Output [batch, frames, bins, 2].
// Types: float16, bfloat16, float, double; frame_step / frame_length int32 / int64.
#include "../common.h"
#include "dft.h"

namespace parallax::rt::kernels {

namespace {

Status read_scalar(const Tensor& t, const char* name, int64_t* out) {
  if (!is_int_tensor(t) || t.numel() != 1) {
    return Status::invalid(std::string(name) + " must be an integer scalar");
  }
  *out = int_at(t, 0);
  return Status::ok();
}

}  // namespace

Status STFT(KernelContext& ctx) {
  const Tensor* x = nullptr;
  const Tensor* step_t = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &step_t));
  const Tensor* window = ctx.input(2);
  const Tensor* length_t = ctx.input(3);
  const Shape& s = x->shape;
  if (s.rank != 3 || (s[2] != 1 && s[2] != 2)) {
    return Status::invalid("signal must be [batch, length, 1 or 2], got " + s.to_string());
  }
  int64_t step = 0;
  PARALLAX_RETURN_IF_ERROR(read_scalar(*step_t, "frame_step", &step));
  if (window && (window->shape.rank != 1 || window->dtype != x->dtype)) {
    return Status::invalid("window must be 1-D with the signal's element type");
  }
  int64_t n = window ? window->shape[0] : -1;
  if (length_t) PARALLAX_RETURN_IF_ERROR(read_scalar(*length_t, "frame_length", &n));
  if (!window && !length_t) return Status::invalid("one of window and frame_length is required");
  if (window && window->shape[0] != n) {
    return Status::invalid("window length " + std::to_string(window->shape[0]) +
                           " differs from frame_length " + std::to_string(n));
  }
  if (n <= 0 || step <= 0 || n > s[1]) {
    return Status::invalid("frame_length " + std::to_string(n) + " and frame_step " +
                           std::to_string(step) + " do not fit a signal of length " +
                           std::to_string(s[1]));
  }
  const bool onesided = ctx.attr_int("onesided", 1) != 0;
  const int64_t bins = onesided ? n / 2 + 1 : n;
  const int64_t frames = (s[1] - n) / step + 1;
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, Shape{s[0], frames, bins, 2}, &y));
  double* table = static_cast<double*>(ctx.scratch(sizeof(double) * (4 * n + 2 * bins)));
  double* sig = table + 2 * n;
  double* spec = sig + 2 * n;
  misc::fill_twiddles(n, table);
  const int64_t comps = s[2];
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = x->data_as<T>();
    const T* win = window ? window->data_as<T>() : nullptr;
    T* out = y->data_as<T>();
    for (int64_t b = 0; b < s[0]; ++b) {
      for (int64_t f = 0; f < frames; ++f) {
        for (int64_t j = 0; j < n; ++j) {
          const T* p = in + (b * s[1] + f * step + j) * comps;
          const double w = win ? static_cast<double>(win[j]) : 1.0;
          sig[2 * j] = static_cast<double>(p[0]) * w;
          sig[2 * j + 1] = comps == 2 ? static_cast<double>(p[1]) * w : 0.0;
        }
        misc::dft_1d(n, bins, false, table, sig, spec);
        T* dst = out + (b * frames + f) * bins * 2;
        for (int64_t k = 0; k < 2 * bins; ++k) dst[k] = static_cast<T>(spec[k]);
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
