// Unit tests of nn::sgemm's epilogue (runtime/kernels/nn/sgemm.h: the clamp and SiLU applied to
// the accumulators) and of what uses it: randomized ragged shapes (m, n and k off the tile
// sizes, narrow last panels, short row tails) against a double-precision oracle, bit-identical
// results for 1, 2 and 3 threads, nothing written between or past the rows of C. Then
// FusedMatMul's sgemm path (xnnpack/fully_connected.cpp: Relu, Clip and SiLU in the tile)
// against the oracle.
#include "../../runtime/kernels/nn/sgemm.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "../../runtime/kernels/nn/vector_math.h"
#include "fastpath_util.h"

using namespace parallax::test;
namespace rt = parallax::rt;
namespace nn = parallax::rt::kernels::nn;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kPad = -7.0f;  // in C's row padding: must survive

// C = clamp(A x B + bias) then SiLU, in double; mag[i] = the sum of |terms| of C[i], the scale
// that float rounding grows with.
std::vector<double> oracle(int64_t m, int64_t n, int64_t k, const std::vector<float>& a,
                           const std::vector<float>& b, const std::vector<float>& bias, float lo,
                           float hi, double swish_alpha, std::vector<double>* mag) {
  std::vector<double> c(static_cast<size_t>(m * n));
  mag->assign(c.size(), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = bias.empty() ? 0.0 : bias[j];
      double sum = std::fabs(acc);
      for (int64_t p = 0; p < k; ++p) {
        const double t = double(a[i * k + p]) * b[p * n + j];
        acc += t;
        sum += std::fabs(t);
      }
      acc = std::min<double>(hi, std::max<double>(lo, acc));
      if (swish_alpha != 0.0) acc = acc / (1.0 + std::exp(-swish_alpha * acc));
      c[i * n + j] = acc;
      (*mag)[i * n + j] = sum;
    }
  return c;
}

}  // namespace

TEST_CASE("sgemm epilogue: clamp and SiLU in the tile match a double oracle on 1, 2, 3 threads",
          "[sgemm]") {
  const int64_t row_choices[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 33, 49, 50, 64, 100, 131};
  const int64_t col_choices[] = {1, 5, 8, 16, 17, 24, 31, 32, 33, 40, 48, 64, 80, 96, 100};
  for (int trial = 0; trial < 90; ++trial) {
    const int64_t m = row_choices[pick(0, 14)], n = col_choices[pick(0, 14)];
    const int64_t k = trial % 15 == 0 ? 0 : pick(1, 70);
    // none, clamp, lower bound only (Relu), SiLU, clamp + Swish (x * sigmoid(1.702 x))
    const int act = trial % 5;
    const float lo = act == 1 || act == 4 ? -0.4f : (act == 2 ? 0.0f : -kInf);
    const float hi = act == 1 || act == 4 ? 0.6f : kInf;
    const bool silu = act >= 3, prepacked = trial % 2 == 0, with_bias = trial % 3 != 0;
    // Scaled so that SiLU sees both tails, not just its linear middle.
    const std::vector<float> a = random_values(m * k, 2.0f), b = random_values(k * n, 2.0f);
    const std::vector<float> bias = with_bias ? random_values(n) : std::vector<float>{};
    std::vector<double> mag;
    const float alpha = act == 4 ? 1.702f : 1.0f;
    const std::vector<double> want = oracle(m, n, k, a, b, bias, lo, hi, silu ? alpha : 0.0, &mag);
    std::vector<float> packed_b(nn::sgemm_packed_b_floats(k, n) + 1);
    nn::sgemm_pack_b(b.data(), n, 1, k, n, packed_b.data());
    const int64_t ldc = n + 3;  // padded rows: the padding must stay untouched
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      INFO("trial " << trial << ": m=" << m << " n=" << n << " k=" << k << " act " << act
                    << (prepacked ? " prepacked" : " in place") << " threads " << threads);
      std::vector<float> c(static_cast<size_t>(m * ldc), kPad);
      nn::SgemmArgs g = dense_sgemm(m, n, k, a.data(), c.data());
      g.ldc = ldc;
      if (prepacked) {
        g.b_packed = packed_b.data();
      } else {
        g.b = b.data();
        g.b_rs = n;
      }
      g.bias = with_bias ? bias.data() : nullptr;
      g.out_min = lo;
      g.out_max = hi;
      g.silu = silu;
      g.silu_alpha = alpha;
      std::vector<float> scratch(nn::sgemm_packed_floats(g) + 1);
      Pool pool(threads);
      nn::sgemm(g, scratch.data(), pool.p);
      std::vector<float> y;
      double worst = 0.0;
      bool pad_ok = true;
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          const float v = c[i * ldc + j];
          y.push_back(v);
          // Float sums of at most 71 terms, plus SiLU's exp and division within a few ulps.
          worst = std::max(worst, std::fabs(v - want[i * n + j]) / (mag[i * n + j] + 1.0));
        }
        for (int64_t j = n; j < ldc; ++j) pad_ok = pad_ok && c[i * ldc + j] == kPad;
      }
      CHECK(pad_ok);
      CHECK(worst <= 1e-6);
      if (threads == 1) {
        first = y;
      } else {
        CHECK(y == first);
      }
    }
  }
}

TEST_CASE("sgemm epilogue: SiLU in the tile is nn::silu_f32 of the plain product, bit for bit",
          "[sgemm]") {
  for (int trial = 0; trial < 12; ++trial) {
    const int64_t m = pick(1, 60), n = pick(1, 90), k = pick(1, 50);
    const std::vector<float> a = random_values(m * k, 3.0f), b = random_values(k * n, 3.0f);
    const std::vector<float> bias = random_values(n);
    std::vector<float> packed(nn::sgemm_packed_b_floats(k, n));
    nn::sgemm_pack_b(b.data(), n, 1, k, n, packed.data());
    nn::SgemmArgs g = dense_sgemm(m, n, k, a.data(), nullptr);
    g.b_packed = packed.data();
    g.bias = bias.data();
    std::vector<float> plain(static_cast<size_t>(m * n)), fused(plain.size());
    g.c = plain.data();
    nn::sgemm(g, nullptr, nullptr);
    nn::silu_f32(plain.data(), plain.size(), nullptr);
    g.c = fused.data();
    g.silu = true;
    nn::sgemm(g, nullptr, nullptr);
    INFO("m=" << m << " n=" << n << " k=" << k);
    CHECK(fused == plain);
  }
}

TEST_CASE(
    "FusedMatMul on prepacked sgemm with Relu / Clip / SiLU / Swish in the tile matches the oracle",
          "[sgemm]") {
  for (int iter = 0; iter < 12; ++iter) {
    // At most 128 rows: XnnFusedMatMul takes sgemm (xnnpack/fully_connected.cpp, kFewRows).
    const int64_t rows = pick(1, 128), k = pick(1, 80), n = pick(1, 100);
    const int act = iter % 4;
    const char* names[] = {"Relu", "SiLU", "Clip", "Swish"};
    const char* name = names[act];
    std::vector<rt::Attribute> attrs = {attr_string("activation", name)};
    if (act == 2) attrs.push_back(attr_floats("activation_params", {-0.25f, 0.5f}));
    if (act == 3) attrs.push_back(attr_floats("activation_params", {1.702f}));
    const double alpha = act == 1 ? 1.0 : (act == 3 ? 1.702 : 0.0);
    const float lo = act == 0 ? 0.0f : (act == 2 ? -0.25f : -kInf);
    const float hi = act == 2 ? 0.5f : kInf;
    const std::vector<float> av = random_values(rows * k, 2.0f), bv = random_values(k * n);
    const std::vector<float> biasv = random_values(n);
    const OwnedTensor a = make_tensor<float>({rows, k}, av);
    const OwnedTensor b = make_tensor<float>({k, n}, bv);
    const OwnedTensor bias = make_tensor<float>({n}, biasv);
    std::vector<double> mag;
    const std::vector<double> want = oracle(rows, n, k, av, bv, biasv, lo, hi, alpha, &mag);
    // What the sgemm path computes.
    std::vector<float> packed(nn::sgemm_packed_b_floats(k, n));
    nn::sgemm_pack_b(bv.data(), n, 1, k, n, packed.data());
    std::vector<float> fast(static_cast<size_t>(rows * n));
    nn::SgemmArgs g = dense_sgemm(rows, n, k, av.data(), fast.data());
    g.b_packed = packed.data();
    g.bias = biasv.data();
    g.out_min = lo;
    g.out_max = hi;
    g.silu = alpha != 0.0;
    g.silu_alpha = static_cast<float>(alpha);
    nn::sgemm(g, nullptr, nullptr);
    for (int threads = 1; threads <= 3; ++threads) {
      INFO("iteration " << iter << ": rows=" << rows << " k=" << k << " n=" << n << " " << name
                        << " threads " << threads);
      const OpResult got =
          run_threads("FusedMatMul", 1, {&a, &b, &bias}, attrs, threads, "com.parallax", 1);
      INFO(got.status.message());
      REQUIRE(got.status.is_ok());
      const std::vector<float> y = got.outputs[0].values<float>();
      REQUIRE(y.size() == want.size());
      double worst = 0.0;
      for (size_t i = 0; i < y.size(); ++i) {
        worst = std::max(worst, std::fabs(y[i] - want[i]) / (mag[i] + 1.0));
      }
      CHECK(worst <= 1e-6);
      CHECK(y == fast);  // the sgemm path, epilogue included, whatever the thread count
    }
  }
}

TEST_CASE("sgemm im2col (SgemmConv): strides, dilations, pads, wide channels, 1-3 threads",
          "[sgemm]") {
  // Channel counts around and past the blocks of k (1024-value pieces of one tap, at most 8
  // whole taps per block), odd output sizes, padding larger than the kernel; the epilogue too.
  const int64_t channel_choices[] = {1, 3, 8, 17, 64, 130, 300, 1030, 2100};
  for (int trial = 0; trial < 40; ++trial) {
    nn::SgemmConv cv;
    cv.c = channel_choices[pick(0, 8)];
    const bool wide = cv.c > 200;
    cv.kh = pick(1, wide ? 3 : 5);
    cv.kw = pick(1, wide ? 3 : 5);
    cv.in_h = pick(1, wide ? 6 : 13);
    cv.in_w = pick(1, wide ? 6 : 13);
    cv.stride_h = pick(1, 3);
    cv.stride_w = pick(1, 3);
    cv.dil_h = pick(1, 2);
    cv.dil_w = pick(1, 2);
    cv.pad_top = pick(0, cv.kh + 1);
    cv.pad_left = pick(0, cv.kw + 1);
    const int64_t pad_bottom = pick(0, cv.kh), pad_right = pick(0, cv.kw);
    const int64_t span_h = (cv.kh - 1) * cv.dil_h + 1, span_w = (cv.kw - 1) * cv.dil_w + 1;
    const int64_t full_h = cv.in_h + cv.pad_top + pad_bottom, full_w = cv.in_w + cv.pad_left + pad_right;
    if (full_h < span_h || full_w < span_w) continue;
    cv.out_h = (full_h - span_h) / cv.stride_h + 1;
    cv.out_w = (full_w - span_w) / cv.stride_w + 1;
    const int64_t batch = pick(1, 2), cout = pick(1, 40), k = cv.kh * cv.kw * cv.c;
    const std::vector<float> x = random_values(batch * cv.in_h * cv.in_w * cv.c);
    const std::vector<float> w = random_values(cout * k);  // OHWI: B transposed
    const std::vector<float> bias = pick(0, 1) ? random_values(cout) : std::vector<float>{};
    std::vector<float> packed(nn::sgemm_packed_b_floats(k, cout));
    nn::sgemm_pack_b(w.data(), 1, k, k, cout, packed.data());
    cv.x = x.data();
    const bool relu = pick(0, 1) == 1, silu = pick(0, 1) == 1;
    const int64_t m = batch * cv.out_h * cv.out_w;
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      std::vector<float> y(static_cast<size_t>(m * cout), kPad);
      nn::SgemmArgs g;
      g.m = m;
      g.n = cout;
      g.k = k;
      g.conv = &cv;
      g.b_packed = packed.data();
      g.bias = bias.empty() ? nullptr : bias.data();
      g.c = y.data();
      g.ldc = cout;
      if (relu) g.out_min = 0.0f;
      g.silu = silu;
      Pool pool(threads);
      nn::sgemm(g, nullptr, pool.p);
      if (threads == 1) {
        first = y;
        for (int64_t i = 0; i < m; ++i) {
          const int64_t n = i / (cv.out_h * cv.out_w), oy = i / cv.out_w % cv.out_h,
                        ox = i % cv.out_w;
          for (int64_t j = 0; j < cout; ++j) {
            double acc = bias.empty() ? 0.0 : bias[j], mag = std::fabs(acc);
            for (int64_t ky = 0; ky < cv.kh; ++ky)
              for (int64_t kx = 0; kx < cv.kw; ++kx) {
                const int64_t iy = oy * cv.stride_h + ky * cv.dil_h - cv.pad_top;
                const int64_t ix = ox * cv.stride_w + kx * cv.dil_w - cv.pad_left;
                if (iy < 0 || iy >= cv.in_h || ix < 0 || ix >= cv.in_w) continue;
                for (int64_t ch = 0; ch < cv.c; ++ch) {
                  const double t = double(x[((n * cv.in_h + iy) * cv.in_w + ix) * cv.c + ch]) *
                                   w[j * k + (ky * cv.kw + kx) * cv.c + ch];
                  acc += t;
                  mag += std::fabs(t);
                }
              }
            if (relu) acc = std::max(0.0, acc);
            if (silu) acc = acc / (1.0 + std::exp(-acc));
            const double got = y[static_cast<size_t>(i * cout + j)];
            if (std::fabs(got - acc) > 2e-6 * (mag + 1.0)) {
              FAIL("trial " << trial << " c " << cv.c << " k " << cv.kh << "x" << cv.kw
                            << " row " << i << " col " << j << ": " << got << " vs " << acc);
            }
          }
        }
      } else {
        REQUIRE(y == first);  // bit-identical whatever the thread count
      }
    }
  }
}

TEST_CASE("sgemm with a large B (read once, every row per panel) matches the oracle, 1-3 threads",
          "[sgemm]") {
  // k x n past 4 MiB with fewer rows than columns: blocks are all rows by a few panels.
  const int64_t m = 37, k = 1100, n = 1003;
  const std::vector<float> a = random_values(m * k), b = random_values(k * n),
                           bias = random_values(n);
  std::vector<float> packed(nn::sgemm_packed_b_floats(k, n));
  nn::sgemm_pack_b(b.data(), n, 1, k, n, packed.data());
  std::vector<double> mag;
  const std::vector<double> want = oracle(m, n, k, a, b, bias, -kInf, kInf, 0.0, &mag);
  std::vector<float> first;
  for (int threads = 1; threads <= 3; ++threads) {
    std::vector<float> c(static_cast<size_t>(m * n), kPad);
    nn::SgemmArgs g = dense_sgemm(m, n, k, a.data(), c.data());
    g.b_packed = packed.data();
    g.bias = bias.data();
    Pool pool(threads);
    nn::sgemm(g, nullptr, pool.p);
    if (threads == 1) {
      for (size_t i = 0; i < c.size(); ++i) REQUIRE(std::fabs(c[i] - want[i]) <= 2e-6 * mag[i] + 1e-6);
      first = c;
    } else {
      REQUIRE(c == first);
    }
  }
}
