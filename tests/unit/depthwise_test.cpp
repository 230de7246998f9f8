// Unit tests of the direct depthwise convolution (runtime/kernels/nn/depthwise.h) against a
// double-precision direct convolution on randomized shapes: channel counts off the vector widths,
// 1x1 to 40x40 images, 3x3 / 5x5 / 7x7 and odd kernels, strides 1 and 2, asymmetric paddings up to
// 3, bias or none, a clamp or SiLU; results bit-identical for 1, 2 and 3 threads. And ConvNhwc on
// depthwise shapes through the executor: with no activation, Relu, Clip or SiLU it must give the
// class's exact result (so it took the fast path); with HardSwish (XNNPACK) the reference's.
#include "../../runtime/kernels/nn/depthwise.h"

#include <pthreadpool.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "fastpath_util.h"

using namespace parallax::test;
namespace rt = parallax::rt;
namespace nn = parallax::rt::kernels::nn;

namespace {

// Direct NHWC depthwise convolution in double, then bias, clamp and SiLU. *mag = the largest sum
// of |terms| of an output, the scale that rounding errors grow with.
std::vector<double> direct(const nn::DepthwiseShape& s, int64_t c, int64_t kh, int64_t kw,
                           const std::vector<float>& x, const std::vector<float>& w,
                           const std::vector<float>& b, float lo, float hi, bool silu,
                           double* mag) {
  *mag = 0.0;
  std::vector<double> y(static_cast<size_t>(s.n * s.out_h * s.out_w * c));
  for (int64_t n = 0; n < s.n; ++n)
    for (int64_t oy = 0; oy < s.out_h; ++oy)
      for (int64_t ox = 0; ox < s.out_w; ++ox)
        for (int64_t ch = 0; ch < c; ++ch) {
          double acc = b.empty() ? 0.0 : b[ch];
          double sum = std::fabs(acc);
          for (int64_t ky = 0; ky < kh; ++ky) {
            const int64_t iy = oy * s.stride_h + ky - s.pad_top;
            if (iy < 0 || iy >= s.in_h) continue;
            for (int64_t kx = 0; kx < kw; ++kx) {
              const int64_t ix = ox * s.stride_w + kx - s.pad_left;
              if (ix < 0 || ix >= s.in_w) continue;
              const double t = double(x[((n * s.in_h + iy) * s.in_w + ix) * c + ch]) *
                               w[(ch * kh + ky) * kw + kx];
              acc += t;
              sum += std::fabs(t);
            }
          }
          *mag = std::max(*mag, sum);
          double v = std::min<double>(hi, std::max<double>(lo, acc));
          if (silu) v = v / (1.0 + std::exp(-v));
          y[((n * s.out_h + oy) * s.out_w + ox) * c + ch] = v;
        }
  return y;
}

}  // namespace

TEST_CASE("Depthwise convolution matches a direct convolution, any thread count", "[depthwise]") {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const int64_t channel_choices[] = {1, 3, 8, 16, 17, 24, 32, 100, 144};
  const int64_t kernel_choices[] = {3, 5, 7};
  int checked = 0;
  for (int iter = 0; iter < 120; ++iter) {
    nn::DepthwiseShape s;
    s.n = pick(1, 2);
    s.in_h = iter < 8 ? pick(20, 40) : pick(1, 20);
    s.in_w = iter < 8 ? pick(20, 40) : pick(1, 20);
    const int64_t c = channel_choices[pick(0, 8)];
    const int64_t kh = iter % 10 == 9 ? pick(1, 7) : kernel_choices[pick(0, 2)];
    const int64_t kw = iter % 10 == 9 ? pick(1, 7) : kh;
    s.stride_h = pick(1, 2);
    s.stride_w = iter % 7 == 6 ? 3 - s.stride_h : s.stride_h;
    s.pad_top = pick(0, 3);
    s.pad_left = pick(0, 3);
    const int64_t pad_bottom = pick(0, 3), pad_right = pick(0, 3);
    const int64_t span_h = s.in_h + s.pad_top + pad_bottom - kh;
    const int64_t span_w = s.in_w + s.pad_left + pad_right - kw;
    if (span_h < 0 || span_w < 0) continue;
    s.out_h = span_h / s.stride_h + 1;
    s.out_w = span_w / s.stride_w + 1;
    const int act = static_cast<int>(pick(0, 2));  // none, clamp, SiLU
    const float lo = act == 1 ? -0.5f : -kInf, hi = act == 1 ? 0.75f : kInf;
    const bool silu = act == 2;
    const std::vector<float> x = random_values(s.n * s.in_h * s.in_w * c);
    const std::vector<float> w = random_values(c * kh * kw);
    const std::vector<float> b = pick(0, 1) ? random_values(c) : std::vector<float>{};
    double mag = 0.0;
    const std::vector<double> want = direct(s, c, kh, kw, x, w, b, lo, hi, silu, &mag);
    REQUIRE(nn::depthwise_fits(kh, kw, s.stride_h, s.stride_w));
    nn::DepthwiseConv dw;
    dw.pack(w.data(), b.empty() ? nullptr : b.data(), c, kh, kw);
    REQUIRE(dw.packed());
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      INFO("iteration " << iter << ": n=" << s.n << " " << s.in_h << "x" << s.in_w << " c=" << c
                        << " kernel " << kh << "x" << kw << " strides " << s.stride_h << ","
                        << s.stride_w << " pads " << s.pad_top << "," << s.pad_left << ","
                        << pad_bottom << "," << pad_right << " act " << act
                        << " threads=" << threads);
      Pool pool(threads);
      std::vector<float> y(want.size() + 1, -7.0f);  // one past the end: must stay untouched
      dw.run(s, x.data(), y.data(), lo, hi, silu, pool.p);
      CHECK(y.back() == -7.0f);
      y.pop_back();
      double worst = 0.0;
      for (size_t i = 0; i < want.size(); ++i) {
        worst = std::max(worst, std::fabs(double(y[i]) - want[i]));
      }
      // Float sums of at most 50 terms, plus SiLU's exp within a few ulps.
      CHECK(worst <= 2e-6 * (mag + 1.0));
      if (threads == 1) {
        first = y;
      } else {
        CHECK(y == first);
      }
    }
    ++checked;
  }
  CHECK(checked > 80);
}

TEST_CASE("ConvNhwc depthwise (fused activation or not) matches a direct convolution",
          "[depthwise]") {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (int iter = 0; iter < 24; ++iter) {
    nn::DepthwiseShape s;
    const int64_t c = pick(1, 40), k = 3 + 2 * (iter % 3);
    s.n = pick(1, 2);
    s.in_h = pick(k, 24);  // the window fits even without padding
    s.in_w = pick(k, 24);
    s.stride_h = s.stride_w = 1 + (iter / 3) % 2;
    s.pad_top = pick(0, k / 2);
    s.pad_left = pick(0, k / 2);
    const int64_t pad_bottom = pick(0, k / 2), pad_right = pick(0, k / 2);
    s.out_h = (s.in_h + s.pad_top + pad_bottom - k) / s.stride_h + 1;
    s.out_w = (s.in_w + s.pad_left + pad_right - k) / s.stride_w + 1;
    std::vector<rt::Attribute> attrs = {
        attr_ints("kernel_shape", {k, k}), attr_ints("strides", {s.stride_h, s.stride_w}),
        attr_ints("pads", {s.pad_top, s.pad_left, pad_bottom, pad_right}), attr_int("group", c)};
    const int act = iter % 5;  // none, Relu, Clip, SiLU, HardSwish
    float lo = -kInf, hi = kInf;
    if (act == 1) {
      attrs.push_back(attr_string("activation", "Relu"));
      lo = 0.0f;
    } else if (act == 2) {
      attrs.push_back(attr_string("activation", "Clip"));
      attrs.push_back(attr_floats("activation_params", {-0.5f, 0.75f}));
      lo = -0.5f;
      hi = 0.75f;
    } else if (act == 3) {
      attrs.push_back(attr_string("activation", "SiLU"));
    } else if (act == 4) {
      attrs.push_back(attr_string("activation", "HardSwish"));
    }
    const std::vector<float> xv = random_values(s.n * s.in_h * s.in_w * c);
    const std::vector<float> wv = random_values(c * k * k);
    const std::vector<float> bv = random_values(c);
    const bool bias = iter % 2 == 0;
    double mag = 0.0;
    std::vector<double> want =
        direct(s, c, k, k, xv, wv, bias ? bv : std::vector<float>{}, lo, hi, act == 3, &mag);
    if (act == 4) {
      for (double& v : want) v = v * std::min(1.0, std::max(0.0, v / 6.0 + 0.5));
    }
    const OwnedTensor x = make_tensor<float>({s.n, s.in_h, s.in_w, c}, xv);
    const OwnedTensor w = make_tensor<float>({c, k, k, 1}, wv);
    const OwnedTensor b = make_tensor<float>({c}, bv);
    // What the fast path must produce exactly.
    nn::DepthwiseConv dw;
    dw.pack(wv.data(), bias ? bv.data() : nullptr, c, k, k);
    std::vector<float> fast(want.size());
    dw.run(s, xv.data(), fast.data(), lo, hi, act == 3, nullptr);
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      INFO("iteration " << iter << " c=" << c << " k=" << k << " stride " << s.stride_h << " act "
                        << act << " threads " << threads);
      const OpResult got = run_threads("ConvNhwc", 1, {&x, &w, bias ? &b : nullptr}, attrs, threads, "com.parallax", 1);
      INFO(got.status.message());
      REQUIRE(got.status.is_ok());
      REQUIRE(got.outputs[0].shape == std::vector<int64_t>{s.n, s.out_h, s.out_w, c});
      const std::vector<float> y = got.outputs[0].values<float>();
      double worst = 0.0;
      for (size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::fabs(y[i] - want[i]));
      CHECK(worst <= 2e-6 * (mag + 1.0));
      if (act != 4) CHECK(y == fast);
      if (threads == 1) {
        first = y;
      } else {
        CHECK(first == y);
      }
    }
  }
}
