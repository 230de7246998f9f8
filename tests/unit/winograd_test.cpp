// Unit tests of Winograd F(4x4, 3x3) convolution (runtime/kernels/nn/winograd.h): the class
// against a double-precision direct convolution on randomized shapes (channel counts off the
// vector and panel widths, every padding, batches, clamps), with bit-identical results for 1, 2
// and 3 threads; and ConvNhwc on shapes that take the Winograd path against the reference
// FusedConv, through the executor.
#include "../../runtime/kernels/nn/winograd.h"

#include <pthreadpool.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "fastpath_util.h"

using namespace parallax::test;
namespace rt = parallax::rt;
namespace nn = parallax::rt::kernels::nn;

namespace {

// Direct NHWC 3x3 convolution in double, then bias and clamp. *mag = the largest sum of
// |terms| of an output, the scale that rounding errors grow with.
std::vector<double> direct_conv(const nn::WinogradShape& s, int64_t cin, int64_t cout,
                                const std::vector<float>& x, const std::vector<float>& w,
                                const std::vector<float>& b, float lo, float hi, double* mag) {
  *mag = 0.0;
  std::vector<double> y(static_cast<size_t>(s.n * s.out_h * s.out_w * cout));
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t oy = 0; oy < s.out_h; ++oy)
      for (int64_t ox = 0; ox < s.out_w; ++ox)
        for (int64_t o = 0; o < cout; ++o) {
          double acc = b.empty() ? 0.0 : b[o];
          double sum = std::fabs(acc);
          for (int64_t ky = 0; ky < 3; ++ky) {
            const int64_t iy = oy + ky - s.pad_top;
            if (iy < 0 || iy >= s.in_h) continue;
            for (int64_t kx = 0; kx < 3; ++kx) {
              const int64_t ix = ox + kx - s.pad_left;
              if (ix < 0 || ix >= s.in_w) continue;
              const float* xp = &x[((n * s.in_h + iy) * s.in_w + ix) * cin];
              const float* wp = &w[((o * 3 + ky) * 3 + kx) * cin];
              for (int64_t i = 0; i < cin; ++i) {
                acc += double(xp[i]) * wp[i];
                sum += std::fabs(double(xp[i]) * wp[i]);
              }
            }
          }
          *mag = std::max(*mag, sum);
          y[((n * s.out_h + oy) * s.out_w + ox) * cout + o] =
              std::min<double>(hi, std::max<double>(lo, acc));
        }
  return y;
}


}  // namespace

TEST_CASE("Winograd F(4x4, 3x3) matches a direct convolution, any thread count", "[winograd]") {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (int iter = 0; iter < 60; ++iter) {
    nn::WinogradShape s;
    s.n = pick(1, 2);
    // A few large images so that the tiled schedule gets several blocks per thread.
    s.in_h = iter >= 4 && iter < 8 ? pick(30, 60) : pick(1, 19);
    s.in_w = iter >= 4 && iter < 8 ? pick(30, 60) : pick(1, 19);
    const int64_t cin = iter < 4 ? 300 + iter : pick(1, 40);
    const int64_t cout = pick(1, 70);
    s.pad_top = pick(0, 2);
    s.pad_left = pick(0, 2);
    s.out_h = s.in_h + s.pad_top + pick(0, 2) - 2;
    s.out_w = s.in_w + s.pad_left + pick(0, 2) - 2;
    if (s.out_h <= 0 || s.out_w <= 0) continue;
    const bool clamp = pick(0, 1) == 1;
    const float lo = clamp ? -0.5f : -kInf, hi = clamp ? 0.75f : kInf;
    const std::vector<float> x = random_values(s.n * s.in_h * s.in_w * cin);
    const std::vector<float> w = random_values(cout * 9 * cin);
    const std::vector<float> b = pick(0, 1) ? random_values(cout) : std::vector<float>{};
    double mag = 0.0;
    const std::vector<double> want = direct_conv(s, cin, cout, x, w, b, lo, hi, &mag);
    nn::WinogradConv wc;
    REQUIRE(wc.pack(w.data(), b.empty() ? nullptr : b.data(), cout, cin));
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      INFO("iteration " << iter << ": n=" << s.n << " " << s.in_h << "x" << s.in_w << " pads "
                        << s.pad_top << "," << s.pad_left << " out " << s.out_h << "x" << s.out_w
                        << " cin=" << cin << " cout=" << cout << " threads=" << threads);
      Pool pool(threads);
      std::vector<float> scratch(wc.scratch_bytes(s, threads) / sizeof(float) + 16);
      float* aligned =
          reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(scratch.data()) + 63) / 64 * 64);
      std::vector<float> y(want.size(), std::nanf(""));
      wc.run(s, x.data(), y.data(), lo, hi, aligned, pool.p, threads);
      double err = 0.0;
      for (size_t i = 0; i < y.size(); ++i) err = std::max(err, std::fabs(y[i] - want[i]));
      CHECK(err <= 5e-6 * mag);
      if (threads == 1) {
        first = y;
      } else {
        CHECK(std::memcmp(first.data(), y.data(), y.size() * sizeof(float)) == 0);
      }
    }
  }
}

TEST_CASE("ConvNhwc on Winograd shapes matches FusedConv", "[winograd]") {
  const int conv = rt::find_kernel("com.parallax", "FusedConv", 1);
  const int nhwc = rt::find_kernel("com.parallax", "ConvNhwc", 1);
  REQUIRE(conv >= 0);
  if (nhwc < 0) return;  // a build without XNNPACK has no ConvNhwc
  for (int iter = 0; iter < 12; ++iter) {
    const int64_t n = pick(1, 2), h = pick(8, 30), w = pick(8, 30);
    const int64_t c = pick(8, 72), m = pick(8, 72);
    std::vector<rt::Attribute> attrs = {attr_ints("kernel_shape", {3, 3})};
    if (iter % 3 == 0) {
      attrs.push_back(attr_string("auto_pad", "SAME_UPPER"));
    } else {
      attrs.push_back(attr_ints("pads", {pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)}));
    }
    if (iter % 2 == 0) attrs.push_back(attr_string("activation", "Relu"));
    if (iter % 4 == 1) {
      attrs.push_back(attr_string("activation", "LeakyRelu"));
      attrs.push_back(attr_floats("activation_params", {0.1f}));
    }
    const OwnedTensor x = make_tensor<float>({n, c, h, w}, random_values(n * c * h * w));
    const OwnedTensor wt = make_tensor<float>({m, c, 3, 3}, random_values(m * c * 9));
    const OwnedTensor b = make_tensor<float>({m}, random_values(m));
    const OwnedTensor xn = permute4(x, kToNhwc), wn = permute4(wt, kToNhwc);
    const OpResult want = run_threads("FusedConv", 1, {&x, &wt, &b}, attrs, 1, "com.parallax", 1);
    REQUIRE(want.status.is_ok());
    const std::vector<float> ref = want.outputs[0].values<float>();
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      INFO("iteration " << iter << " threads " << threads);
      OpResult got = run_threads("ConvNhwc", 1, {&xn, &wn, &b}, attrs, threads, "com.parallax", 1);
      INFO(got.status.message());
      REQUIRE(got.status.is_ok());
      const OwnedTensor y = permute4(got.outputs[0], kToNchw);
      REQUIRE(y.shape == want.outputs[0].shape);
      const std::vector<float> v = y.values<float>();
      float scale = 1.0f, err = 0.0f;
      for (size_t i = 0; i < v.size(); ++i) {
        scale = std::max(scale, std::fabs(ref[i]));
        err = std::max(err, std::fabs(v[i] - ref[i]));
      }
      CHECK(err <= 1e-4f * scale);
      if (threads == 1) {
        first = v;
      } else {
        CHECK(first == v);
      }
    }
  }
}
