// The discrete Fourier transform shared by DFT and STFT: a direct O(n * bins) evaluation over a
// precomputed twiddle table, accumulated in double. It is the reference path; a fast transform
// belongs in an accelerated kernel.
//
//   double* table = ...;                     // 2 * n doubles
//   fill_twiddles(n, table);
//   dft_1d(n, bins, inverse, table, signal, spectrum);   // interleaved re, im
#pragma once

#include <cmath>
#include <cstdint>

namespace parallax::rt::kernels::misc {

// table[2m], table[2m + 1] = cos, sin of 2*pi*m/n for m in [0, n).
inline void fill_twiddles(int64_t n, double* table) {
  const double kTwoPi = 6.283185307179586476925286766559;
  for (int64_t m = 0; m < n; ++m) {
    const double angle = kTwoPi * static_cast<double>(m) / static_cast<double>(n);
    table[2 * m] = std::cos(angle);
    table[2 * m + 1] = std::sin(angle);
  }
}

// out[k] = sum_j in[j] * exp(-/+ 2*pi*i * j*k / n) for k in [0, bins), divided by n when
// `inverse`. `in` holds n complex values and `out` bins complex values, both as interleaved
// (re, im) pairs.
inline void dft_1d(int64_t n, int64_t bins, bool inverse, const double* table, const double* in,
                   double* out) {
  const double sign = inverse ? 1.0 : -1.0;
  const double scale = inverse ? 1.0 / static_cast<double>(n) : 1.0;
  for (int64_t k = 0; k < bins; ++k) {
    double re = 0.0;
    double im = 0.0;
    int64_t m = 0;  // (j * k) mod n, kept exact by stepping instead of multiplying
    for (int64_t j = 0; j < n; ++j) {
      const double c = table[2 * m];
      const double s = sign * table[2 * m + 1];
      re += in[2 * j] * c - in[2 * j + 1] * s;
      im += in[2 * j] * s + in[2 * j + 1] * c;
      m += k % n;
      if (m >= n) m -= n;
    }
    out[2 * k] = re * scale;
    out[2 * k + 1] = im * scale;
  }
}

}  // namespace parallax::rt::kernels::misc
