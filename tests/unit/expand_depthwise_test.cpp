// Unit tests of ExpandDepthwiseNhwc (runtime/kernels/fused/ExpandDepthwiseNhwc.cpp, computed by
// nn::ExpandDepthwise): a 1x1 convolution feeding a depthwise one, against a double-precision
// oracle on randomized shapes (1-40 input and 1-70 expanded channels, so every vector tail;
// images of 1-20 rows, fewer rows than threads included; kernels 1x1 to 7x7, non-square;
// strides 1 and 2; asymmetric paddings; biases or none; every activation pair the kernels
// apply in registers), with results bit-identical on 1, 2 and 3 threads. Where the 1x1
// ConvNhwc also runs on sgemm (the AVX2 level, own_gemm_conv), the fused result must equal the
// two ConvNhwc steps bit for bit. Bad attributes and weights give errors naming them.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "../../runtime/kernels/nn/simd_level.h"
#include "fastpath_util.h"

using namespace parallax::test;
namespace rt = parallax::rt;
namespace nn = parallax::rt::kernels::nn;

namespace {

struct Case {
  int64_t n, h, w, cin, ce, kh, kw, sh, sw, top, left, bottom, right, oh, ow;
  int act1, act2;  // 0 none, 1 Relu, 2 Clip, 3 SiLU, 4 Swish (act1 only)
};

double activate(int act, double v) {
  switch (act) {
    case 1:
      return std::max(0.0, v);
    case 2:
      return std::min(0.75, std::max(-0.5, v));
    case 3:
      return v / (1.0 + std::exp(-v));
    case 4:
      return v / (1.0 + std::exp(-1.702 * v));
    default:
      return v;
  }
}

void add_activation(int act, const std::string& prefix, std::vector<rt::Attribute>* attrs) {
  static const char* kNames[] = {"", "Relu", "Clip", "SiLU", "Swish"};
  if (act == 0) return;
  attrs->push_back(attr_string(prefix + "activation", kNames[act]));
  if (act == 2) attrs->push_back(attr_floats(prefix + "activation_params", {-0.5f, 0.75f}));
  if (act == 4) attrs->push_back(attr_floats(prefix + "activation_params", {1.702f}));
}

// The double oracle: e = act1(x w1^T + b1), y = act2(depthwise(e, w2) + b2). *mag = the largest
// sum of |terms| behind an output (through the expansion), the scale rounding grows with.
std::vector<double> oracle(const Case& c, const std::vector<float>& x, const std::vector<float>& w1,
                           const std::vector<float>& b1, const std::vector<float>& w2,
                           const std::vector<float>& b2, double* mag) {
  const size_t pixels = static_cast<size_t>(c.n * c.h * c.w);
  std::vector<double> e(pixels * c.ce), e_mag(pixels * c.ce);
  for (size_t p = 0; p < pixels; ++p)
    for (int64_t o = 0; o < c.ce; ++o) {
      double acc = b1.empty() ? 0.0 : b1[o], sum = std::fabs(acc);
      for (int64_t i = 0; i < c.cin; ++i) {
        const double t = double(x[p * c.cin + i]) * w1[o * c.cin + i];
        acc += t;
        sum += std::fabs(t);
      }
      e[p * c.ce + o] = activate(c.act1, acc);
      e_mag[p * c.ce + o] = sum;
    }
  *mag = 0.0;
  std::vector<double> y(static_cast<size_t>(c.n * c.oh * c.ow * c.ce));
  for (int64_t n = 0; n < c.n; ++n)
    for (int64_t oy = 0; oy < c.oh; ++oy)
      for (int64_t ox = 0; ox < c.ow; ++ox)
        for (int64_t o = 0; o < c.ce; ++o) {
          double acc = b2.empty() ? 0.0 : b2[o], sum = std::fabs(acc);
          for (int64_t ky = 0; ky < c.kh; ++ky) {
            const int64_t iy = oy * c.sh + ky - c.top;
            if (iy < 0 || iy >= c.h) continue;
            for (int64_t kx = 0; kx < c.kw; ++kx) {
              const int64_t ix = ox * c.sw + kx - c.left;
              if (ix < 0 || ix >= c.w) continue;
              const size_t at = static_cast<size_t>(((n * c.h + iy) * c.w + ix) * c.ce + o);
              const double wt = w2[(o * c.kh + ky) * c.kw + kx];
              acc += e[at] * wt;
              sum += std::fabs(wt) * (std::fabs(e[at]) + e_mag[at]);
            }
          }
          *mag = std::max(*mag, sum);
          y[static_cast<size_t>(((n * c.oh + oy) * c.ow + ox) * c.ce + o)] = activate(c.act2, acc);
        }
  return y;
}

std::vector<rt::Attribute> depthwise_attrs(const Case& c) {
  return {attr_ints("kernel_shape", {c.kh, c.kw}), attr_ints("strides", {c.sh, c.sw}),
          attr_ints("pads", {c.top, c.left, c.bottom, c.right}), attr_int("group", c.ce)};
}

}  // namespace

TEST_CASE("ExpandDepthwiseNhwc matches the 1x1 + depthwise oracle on 1, 2, 3 threads",
          "[expand_depthwise]") {
  for (int iter = 0; iter < 40; ++iter) {
    Case c;
    c.n = pick(1, 2);
    c.cin = iter % 3 == 0 ? pick(1, 40) : 8 * pick(1, 4);
    c.ce = iter % 2 == 0 ? pick(1, 70) : 8 * pick(1, 8);
    c.kh = pick(1, 7);
    c.kw = iter % 4 == 0 ? pick(1, 7) : c.kh;
    c.sh = pick(1, 2);
    c.sw = iter % 5 == 0 ? pick(1, 2) : c.sh;
    c.top = pick(0, c.kh / 2);
    c.bottom = pick(0, c.kh / 2);
    c.left = pick(0, c.kw / 2);
    c.right = pick(0, c.kw / 2);
    c.h = pick(std::max<int64_t>(1, c.kh - c.top - c.bottom), 20);
    c.w = pick(std::max<int64_t>(1, c.kw - c.left - c.right), 20);
    c.oh = (c.h + c.top + c.bottom - c.kh) / c.sh + 1;
    c.ow = (c.w + c.left + c.right - c.kw) / c.sw + 1;
    c.act1 = iter % 5;
    c.act2 = (iter / 5) % 4;
    const bool bias1 = iter % 3 != 1, bias2 = iter % 4 != 2;
    const std::vector<float> xv = random_values(c.n * c.h * c.w * c.cin);
    const std::vector<float> w1v = random_values(c.ce * c.cin);
    const std::vector<float> b1v = random_values(c.ce);
    const std::vector<float> w2v = random_values(c.ce * c.kh * c.kw);
    const std::vector<float> b2v = random_values(c.ce);
    double mag = 0.0;
    const std::vector<double> want = oracle(c, xv, w1v, bias1 ? b1v : std::vector<float>{}, w2v,
                                            bias2 ? b2v : std::vector<float>{}, &mag);
    const OwnedTensor x = make_tensor<float>({c.n, c.h, c.w, c.cin}, xv);
    const OwnedTensor w1 = make_tensor<float>({c.ce, 1, 1, c.cin}, w1v);
    const OwnedTensor b1 = make_tensor<float>({c.ce}, b1v);
    const OwnedTensor w2 = make_tensor<float>({c.ce, c.kh, c.kw, 1}, w2v);
    const OwnedTensor b2 = make_tensor<float>({c.ce}, b2v);
    std::vector<rt::Attribute> attrs = depthwise_attrs(c);
    add_activation(c.act1, "expand_", &attrs);
    add_activation(c.act2, "", &attrs);
    INFO("iteration " << iter << " n=" << c.n << " " << c.h << "x" << c.w << " " << c.cin << "->"
                      << c.ce << " kernel " << c.kh << "x" << c.kw << " strides " << c.sh << ","
                      << c.sw << " acts " << c.act1 << "," << c.act2);
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      INFO("threads " << threads);
      const OpResult got = run_threads("ExpandDepthwiseNhwc", 1,
                                       {&x, &w1, bias1 ? &b1 : nullptr, &w2, bias2 ? &b2 : nullptr},
                                       attrs, threads, "com.parallax", 1);
      INFO(got.status.message());
      REQUIRE(got.status.is_ok());
      REQUIRE(got.outputs[0].shape == std::vector<int64_t>{c.n, c.oh, c.ow, c.ce});
      const std::vector<float> y = got.outputs[0].values<float>();
      double worst = 0.0;
      for (size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::fabs(y[i] - want[i]));
      INFO("max error " << worst << " at scale " << mag);
      CHECK(worst <= 1e-5 * (mag + 1.0));
      if (threads == 1) {
        first = y;
      } else {
        CHECK(first == y);
      }
    }
    // The same two convolutions as separate ConvNhwc steps.
    if (nn::simd_level() == nn::SimdLevel::kAvx2 && c.act1 != 4) {
      std::vector<rt::Attribute> a1 = {attr_ints("kernel_shape", {1, 1})};
      add_activation(c.act1, "", &a1);
      const OpResult e =
          run_threads("ConvNhwc", 1, {&x, &w1, bias1 ? &b1 : nullptr}, a1, 1, "com.parallax", 1);
      REQUIRE(e.status.is_ok());
      const OwnedTensor ev =
          make_tensor<float>({c.n, c.h, c.w, c.ce}, e.outputs[0].values<float>());
      std::vector<rt::Attribute> a2 = depthwise_attrs(c);
      add_activation(c.act2, "", &a2);
      const OpResult y =
          run_threads("ConvNhwc", 1, {&ev, &w2, bias2 ? &b2 : nullptr}, a2, 1, "com.parallax", 1);
      REQUIRE(y.status.is_ok());
      CHECK(y.outputs[0].values<float>() == first);
    }
  }
}

TEST_CASE("ExpandDepthwiseNhwc refuses what its kernels cannot apply, naming it",
          "[expand_depthwise]") {
  const Case c{1, 6, 6, 4, 8, 3, 3, 1, 1, 1, 1, 1, 1, 6, 6, 0, 0};
  const OwnedTensor x = make_tensor<float>({1, 6, 6, 4}, random_values(144));
  const OwnedTensor w1 = make_tensor<float>({8, 1, 1, 4}, random_values(32));
  const OwnedTensor w1_bad = make_tensor<float>({8, 1, 1, 3}, random_values(24));
  const OwnedTensor w2 = make_tensor<float>({8, 3, 3, 1}, random_values(72));
  const auto run = [&](const OwnedTensor& w, std::vector<rt::Attribute> attrs) {
    return run_threads("ExpandDepthwiseNhwc", 1, {&x, &w, nullptr, &w2}, std::move(attrs), 1,
                       "com.parallax", 1);
  };
  std::vector<rt::Attribute> attrs = depthwise_attrs(c);
  REQUIRE(run(w1, attrs).status.is_ok());
  std::vector<rt::Attribute> hard = attrs;
  hard.push_back(attr_string("expand_activation", "HardSwish"));
  OpResult r = run(w1, hard);
  CHECK_FALSE(r.status.is_ok());
  CHECK(r.status.message().find("expand_activation") != std::string::npos);
  std::vector<rt::Attribute> swish = attrs;
  swish.push_back(attr_string("activation", "Swish"));
  swish.push_back(attr_floats("activation_params", {1.5f}));
  r = run(w1, swish);
  CHECK_FALSE(r.status.is_ok());
  CHECK(r.status.message().find("activation") != std::string::npos);
  r = run(w1_bad, attrs);
  CHECK_FALSE(r.status.is_ok());
  CHECK(r.status.message().find("W1") != std::string::npos);
  std::vector<rt::Attribute> dilated = attrs;
  dilated.push_back(attr_ints("dilations", {2, 2}));
  r = run(w1, dilated);
  CHECK_FALSE(r.status.is_ok());
  CHECK(r.status.message().find("undilated") != std::string::npos);
}
