// Unit tests of the NCHW-input convolution (runtime/kernels/nn/input_conv.h) through ConvNhwc
// with nchw_input = 1, against a double-precision direct convolution on randomized shapes: 1 to
// 4 input channels, output channel counts off the vector widths (tails of every width), 1x1 to
// 7x7 and non-square kernels (and two windows of 33x32 / 32x33: 1000-odd taps per channel),
// strides 1 to 3, asymmetric paddings, images narrower than a tile, bias or none, and no
// activation, Relu, Clip, SiLU (fused in the tile) or HardSwish (applied after); results
// bit-identical for 1, 2 and 3 threads.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "fastpath_util.h"

using namespace parallax::test;
namespace rt = parallax::rt;

namespace {

struct Geometry {
  int64_t n, c, h, w, m, kh, kw, sh, sw, top, left, bottom, right, oh, ow;
};

// Direct convolution of x (NCHW) by w (OHWI) in double, output NHWC, then bias and clamp. *mag =
// the largest sum of |terms| of an output, the scale that rounding errors grow with.
std::vector<double> direct(const Geometry& g, const std::vector<float>& x,
                           const std::vector<float>& w, const std::vector<float>& b, double lo,
                           double hi, double* mag) {
  *mag = 0.0;
  std::vector<double> y(static_cast<size_t>(g.n * g.oh * g.ow * g.m));
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox)
        for (int64_t o = 0; o < g.m; ++o) {
          double acc = b.empty() ? 0.0 : b[o];
          double sum = std::fabs(acc);
          for (int64_t ky = 0; ky < g.kh; ++ky) {
            const int64_t iy = oy * g.sh + ky - g.top;
            if (iy < 0 || iy >= g.h) continue;
            for (int64_t kx = 0; kx < g.kw; ++kx) {
              const int64_t ix = ox * g.sw + kx - g.left;
              if (ix < 0 || ix >= g.w) continue;
              for (int64_t c = 0; c < g.c; ++c) {
                const double t = double(x[((n * g.c + c) * g.h + iy) * g.w + ix]) *
                                 w[((o * g.kh + ky) * g.kw + kx) * g.c + c];
                acc += t;
                sum += std::fabs(t);
              }
            }
          }
          *mag = std::max(*mag, sum);
          y[((n * g.oh + oy) * g.ow + ox) * g.m + o] = std::min(hi, std::max(lo, acc));
        }
  return y;
}

}  // namespace

TEST_CASE("ConvNhwc with nchw_input matches a direct convolution on 1, 2, 3 threads",
          "[input_conv]") {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (int iter = 0; iter < 42; ++iter) {
    Geometry g;
    g.kh = pick(1, 7);
    g.kw = iter % 4 == 0 ? pick(1, 7) : g.kh;
    if (iter >= 40) {  // large windows: 33x32, 32x33
      g.kh = 32 + (iter % 2);
      g.kw = 65 - g.kh;
    }
    g.n = pick(1, 2);
    g.c = pick(1, 4);
    g.m = iter % 3 == 0 ? pick(1, 70) : 8 * pick(1, 8);
    g.sh = pick(1, 3);
    g.sw = iter % 5 == 0 ? pick(1, 3) : g.sh;
    g.top = pick(0, g.kh / 2);
    g.bottom = pick(0, g.kh / 2);
    g.left = pick(0, g.kw / 2);
    g.right = pick(0, g.kw / 2);
    g.h = pick(g.kh, std::max<int64_t>(g.kh, 30));
    g.w = pick(g.kw, std::max<int64_t>(g.kw, iter % 2 == 0 ? 12 : 60));
    g.oh = (g.h + g.top + g.bottom - g.kh) / g.sh + 1;
    g.ow = (g.w + g.left + g.right - g.kw) / g.sw + 1;
    std::vector<rt::Attribute> attrs = {
        attr_ints("kernel_shape", {g.kh, g.kw}), attr_ints("strides", {g.sh, g.sw}),
        attr_ints("pads", {g.top, g.left, g.bottom, g.right}), attr_int("nchw_input", 1)};
    const int act = iter % 5;  // none, Relu, Clip, SiLU, HardSwish
    double lo = -kInf, hi = kInf;
    if (act == 1) {
      attrs.push_back(attr_string("activation", "Relu"));
      lo = 0.0;
    } else if (act == 2) {
      attrs.push_back(attr_string("activation", "Clip"));
      attrs.push_back(attr_floats("activation_params", {-0.5f, 0.75f}));
      lo = -0.5;
      hi = 0.75;
    } else if (act == 3) {
      attrs.push_back(attr_string("activation", "SiLU"));
    } else if (act == 4) {
      attrs.push_back(attr_string("activation", "HardSwish"));
    }
    const std::vector<float> xv = random_values(g.n * g.c * g.h * g.w);
    const std::vector<float> wv = random_values(g.m * g.kh * g.kw * g.c);
    const std::vector<float> bv = random_values(g.m);
    const bool bias = iter % 2 == 1;
    double mag = 0.0;
    std::vector<double> want = direct(g, xv, wv, bias ? bv : std::vector<float>{}, lo, hi, &mag);
    for (double& v : want) {
      if (act == 3) v = v / (1.0 + std::exp(-v));
      if (act == 4) v = v * std::min(1.0, std::max(0.0, v / 6.0 + 0.5));
    }
    const OwnedTensor x = make_tensor<float>({g.n, g.c, g.h, g.w}, xv);
    const OwnedTensor w = make_tensor<float>({g.m, g.kh, g.kw, g.c}, wv);
    const OwnedTensor b = make_tensor<float>({g.m}, bv);
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      INFO("iteration " << iter << " c=" << g.c << " m=" << g.m << " kernel " << g.kh << "x" << g.kw
                        << " strides " << g.sh << "," << g.sw << " image " << g.h << "x" << g.w
                        << " act " << act << " threads " << threads);
      const OpResult got = run_threads("ConvNhwc", 1, {&x, &w, bias ? &b : nullptr}, attrs, threads,
                                       "com.parallax", 1);
      INFO(got.status.message());
      REQUIRE(got.status.is_ok());
      REQUIRE(got.outputs[0].shape == std::vector<int64_t>{g.n, g.oh, g.ow, g.m});
      const std::vector<float> y = got.outputs[0].values<float>();
      double worst = 0.0;
      for (size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::fabs(y[i] - want[i]));
      CHECK(worst <= 2e-6 * (mag + 1.0));
      if (threads == 1) {
        first = y;
      } else {
        CHECK(first == y);
      }
    }
  }
}

TEST_CASE("ConvNhwc with nchw_input rejects grouped and dilated convolutions", "[input_conv]") {
  const OwnedTensor x = make_tensor<float>({1, 2, 6, 6}, random_values(72));
  const OwnedTensor w = make_tensor<float>({4, 3, 3, 1}, random_values(36));
  const OpResult grouped =
      run_threads("ConvNhwc", 1, {&x, &w}, {attr_int("group", 2), attr_int("nchw_input", 1)}, 1,
                  "com.parallax", 1);
  CHECK_FALSE(grouped.status.is_ok());
  const OwnedTensor w2 = make_tensor<float>({4, 3, 3, 2}, random_values(72));
  const OpResult dilated = run_threads("ConvNhwc", 1, {&x, &w2},
                                       {attr_ints("dilations", {2, 2}), attr_int("nchw_input", 1)},
                                       1, "com.parallax", 1);
  CHECK_FALSE(dilated.status.is_ok());
  CHECK(dilated.status.message().find("nchw_input") != std::string::npos);
}

TEST_CASE("InputConvMaxPoolNhwc equals ConvNhwc (nchw_input) then MaxPoolNhwc, on 1, 2, 3 threads",
          "[input_conv]") {
  for (int iter = 0; iter < 30; ++iter) {
    const int64_t c = pick(1, 4), m = iter % 3 == 0 ? pick(1, 70) : 8 * pick(1, 8);
    const int64_t k = pick(1, 7), s = pick(1, 3), pad = pick(0, k / 2);
    const int64_t h = pick(k, 40), w = pick(k, 40);
    const int64_t pk = pick(2, 4), ps = pick(1, 3), pp = pick(0, pk - 1);  // XNNPACK: no 1x1 pool
    const int64_t ceil_mode = iter % 2;
    const int64_t oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1;
    if (oh + 2 * pp < pk || ow + 2 * pp < pk) continue;  // no pool window fits
    std::vector<rt::Attribute> conv = {attr_ints("kernel_shape", {k, k}),
                                       attr_ints("strides", {s, s}),
                                       attr_ints("pads", {pad, pad, pad, pad})};
    const int act = iter % 4;  // none, Relu, Clip, SiLU
    if (act == 1) conv.push_back(attr_string("activation", "Relu"));
    if (act == 2) {
      conv.push_back(attr_string("activation", "Clip"));
      conv.push_back(attr_floats("activation_params", {-0.25f, 0.5f}));
    }
    if (act == 3) conv.push_back(attr_string("activation", "SiLU"));
    const std::vector<rt::Attribute> pool = {
        attr_ints("kernel_shape", {pk, pk}), attr_ints("strides", {ps, ps}),
        attr_ints("pads", {pp, pp, pp, pp}), attr_int("ceil_mode", ceil_mode)};
    std::vector<rt::Attribute> fused = conv;
    for (const rt::Attribute& a : pool) {
      rt::Attribute renamed = a;
      renamed.name = "pool_" + a.name;
      fused.push_back(renamed);
    }
    std::vector<rt::Attribute> conv_nchw = conv;
    conv_nchw.push_back(attr_int("nchw_input", 1));
    const OwnedTensor x = make_tensor<float>({1, c, h, w}, random_values(c * h * w));
    const OwnedTensor wt = make_tensor<float>({m, k, k, c}, random_values(m * k * k * c));
    const OwnedTensor b = make_tensor<float>({m}, random_values(m));
    INFO("iteration " << iter << " " << c << "->" << m << " conv " << k << "/" << s << "/" << pad
                      << " on " << h << "x" << w << " pool " << pk << "/" << ps << "/" << pp
                      << " ceil " << ceil_mode << " act " << act);
    const OpResult cv = run_threads("ConvNhwc", 1, {&x, &wt, &b}, conv_nchw, 1, "com.parallax", 1);
    REQUIRE(cv.status.is_ok());
    const OwnedTensor mid = make_tensor<float>(cv.outputs[0].shape, cv.outputs[0].values<float>());
    const OpResult want = run_threads("MaxPoolNhwc", 1, {&mid}, pool, 1, "com.parallax", 1);
    INFO(want.status.message());
    REQUIRE(want.status.is_ok());
    for (int threads = 1; threads <= 3; ++threads) {
      INFO("threads " << threads);
      const OpResult got =
          run_threads("InputConvMaxPoolNhwc", 1, {&x, &wt, &b}, fused, threads, "com.parallax", 1);
      INFO(got.status.message());
      REQUIRE(got.status.is_ok());
      CHECK(got.outputs[0].shape == want.outputs[0].shape);
      CHECK(got.outputs[0].values<float>() == want.outputs[0].values<float>());
    }
  }
}

TEST_CASE("InputConvMaxPoolNhwc refuses what it cannot apply, naming it", "[input_conv]") {
  const OwnedTensor x = make_tensor<float>({1, 3, 8, 8}, random_values(192));
  const OwnedTensor wt = make_tensor<float>({4, 3, 3, 3}, random_values(108));
  const std::vector<rt::Attribute> base = {attr_ints("kernel_shape", {3, 3}),
                                           attr_ints("pool_kernel_shape", {2, 2})};
  const auto run = [&](std::vector<rt::Attribute> attrs) {
    return run_threads("InputConvMaxPoolNhwc", 1, {&x, &wt}, std::move(attrs), 1, "com.parallax",
                       1);
  };
  REQUIRE(run(base).status.is_ok());
  std::vector<rt::Attribute> hard = base;
  hard.push_back(attr_string("activation", "HardSwish"));
  OpResult r = run(hard);
  CHECK_FALSE(r.status.is_ok());
  CHECK(r.status.message().find("activation") != std::string::npos);
  r = run({attr_ints("kernel_shape", {3, 3})});
  CHECK_FALSE(r.status.is_ok());
  CHECK(r.status.message().find("pool_kernel_shape") != std::string::npos);
  std::vector<rt::Attribute> pads = base;
  pads.push_back(attr_ints("pool_pads", {2, 0, 0, 0}));
  r = run(pads);
  CHECK_FALSE(r.status.is_ok());
  CHECK(r.status.message().find("pool_pads") != std::string::npos);
}
