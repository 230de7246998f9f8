// MelWeightMatrix (opset 17): the [dft_length / 2 + 1, num_mel_bins] matrix of triangular
// filters, evenly spaced on the mel scale mel(f) = 2595 * log10(1 + f / 700) between
// lower_edge_hertz and upper_edge_hertz, each peaking at 1. Band edges are snapped to DFT
// bins as floor((dft_length + 1) * f / sample_rate), as the ONNX reference does.
// Inputs: num_mel_bins, dft_length, sample_rate (int32 / int64 scalars), lower_edge_hertz,
// upper_edge_hertz (float scalars). Output: any numeric 'output_datatype' (default float).
#include <cmath>

#include "window.h"

namespace parallax::rt::kernels {

namespace {

Status read_int(const KernelContext& ctx, int i, const char* name, int64_t* out) {
  const Tensor* t = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, i, &t));
  if (!is_int_tensor(*t) || t->numel() != 1)
    return Status::invalid(std::string(name) + " must be an integer scalar");
  *out = int_at(*t, 0);
  return Status::ok();
}

Status read_float(const KernelContext& ctx, int i, const char* name, double* out) {
  const Tensor* t = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, i, &t));
  if (t->numel() != 1) return Status::invalid(std::string(name) + " must be a scalar");
  return PARALLAX_DISPATCH(t->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    *out = static_cast<double>(t->data_as<T>()[0]);
    return Status::ok();
  });
}

double hz_to_mel(double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); }
double mel_to_hz(double mel) { return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0); }

}  // namespace

Status MelWeightMatrix(KernelContext& ctx) {
  int64_t mel_bins = 0, dft_length = 0, sample_rate = 0;
  double lower = 0.0, upper = 0.0;
  PARALLAX_RETURN_IF_ERROR(read_int(ctx, 0, "num_mel_bins", &mel_bins));
  PARALLAX_RETURN_IF_ERROR(read_int(ctx, 1, "dft_length", &dft_length));
  PARALLAX_RETURN_IF_ERROR(read_int(ctx, 2, "sample_rate", &sample_rate));
  PARALLAX_RETURN_IF_ERROR(read_float(ctx, 3, "lower_edge_hertz", &lower));
  PARALLAX_RETURN_IF_ERROR(read_float(ctx, 4, "upper_edge_hertz", &upper));
  if (mel_bins <= 0 || dft_length <= 0 || sample_rate <= 0) {
    return Status::invalid("num_mel_bins, dft_length and sample_rate must be positive");
  }
  if (lower < 0.0 || upper < lower) {
    return Status::invalid("need 0 <= lower_edge_hertz <= upper_edge_hertz");
  }
  DType dtype = DType::kFloat32;
  PARALLAX_RETURN_IF_ERROR(misc::read_output_datatype(ctx, &dtype));
  const int64_t spectrum_bins = dft_length / 2 + 1;
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, dtype, Shape{spectrum_bins, mel_bins}, &y));

  // Band edge e (of mel_bins + 2) as a DFT bin index. The reference divides the mel range into
  // mel_bins + 2 steps (not + 1), so the top edge stops short of upper_edge_hertz.
  const double low_mel = hz_to_mel(lower);
  const double mel_step = (hz_to_mel(upper) - low_mel) / static_cast<double>(mel_bins + 2);
  int64_t* edge = static_cast<int64_t*>(ctx.scratch(sizeof(int64_t) * (mel_bins + 2)));
  for (int64_t e = 0; e < mel_bins + 2; ++e) {
    const double hz = mel_to_hz(static_cast<double>(e) * mel_step + low_mel);
    edge[e] = static_cast<int64_t>(
        std::floor(static_cast<double>(dft_length + 1) * hz / static_cast<double>(sample_rate)));
    if (edge[e] < 0 || edge[e] >= spectrum_bins) {
      return Status::invalid("upper_edge_hertz lies above the Nyquist frequency of sample_rate");
    }
  }
  return PARALLAX_DISPATCH(dtype, kNumericTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    T* out = y->data_as<T>();
    for (int64_t i = 0; i < spectrum_bins * mel_bins; ++i) out[i] = static_cast<T>(C(0));
    auto set = [&](int64_t bin, int64_t band, double v) {
      out[bin * mel_bins + band] = static_cast<T>(static_cast<C>(v));
    };
    for (int64_t m = 0; m < mel_bins; ++m) {
      const int64_t left = edge[m], center = edge[m + 1], right = edge[m + 2];
      if (center == left) {
        set(center, m, 1.0);
      } else {
        for (int64_t j = left; j <= center; ++j) {
          set(j, m, static_cast<double>(j - left) / static_cast<double>(center - left));
        }
      }
      for (int64_t j = center; j < right; ++j) {
        set(j, m, static_cast<double>(right - j) / static_cast<double>(right - center));
      }
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
