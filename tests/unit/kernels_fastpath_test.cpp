// Unit tests of the fast paths of the reference kernel families: nn/sgemm.h and
// nn/vector_math.h directly, and the kernels with fast paths (float MatMul and Conv on sgemm,
// LayerNormalization, Transpose, strided-axis Softmax, gather-only Resize, trailing-axis
// Reduce*): randomized shapes (fixed seeds) against double-precision oracles, and bit-identical
// results for 1, 2 and 3 threads where the kernel uses the pool.
#include <pthreadpool.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../../runtime/kernels/nn/sgemm.h"
#include "../../runtime/kernels/nn/vector_math.h"
#include "fastpath_util.h"

using namespace parallax::test;
namespace rt = parallax::rt;
namespace nn = parallax::rt::kernels::nn;

TEST_CASE("sgemm: random shapes, both B layouts, batches, match a double oracle", "[fastpath]") {
  Pool pool(3);
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t m = pick(1, 70), n = pick(1, 90), k = pick(0, 300), batch = pick(1, 4);
    const bool trans_b = pick(0, 1) == 1, shared_b = pick(0, 1) == 1;
    const int64_t b_count = shared_b ? 1 : batch;
    const std::vector<float> a = random_values(batch * m * k), b = random_values(b_count * k * n);
    std::vector<int64_t> a_off, c_off, b_index;
    for (int64_t t = 0; t < batch; ++t) {
      a_off.push_back(t * m * k);
      c_off.push_back(t * m * n);
      b_index.push_back(shared_b ? 0 : t);
    }
    nn::SgemmArgs g = dense_sgemm(m, n, k, a.data(), nullptr);
    g.b = b.data();
    g.b_rs = trans_b ? 1 : n;
    g.b_cs = trans_b ? k : 1;
    g.batch = batch;
    g.a_off = a_off.data();
    g.c_off = c_off.data();
    g.b_index = b_index.data();
    g.b_count = b_count;
    g.b_stride = k * n;
    std::vector<float> packed(nn::sgemm_packed_floats(g) + 16);
    std::vector<float> c1(static_cast<size_t>(batch * m * n), 7.0f), c3 = c1;
    g.c = c1.data();
    nn::sgemm(g, packed.data(), nullptr);
    g.c = c3.data();
    nn::sgemm(g, packed.data(), pool.p);
    std::vector<double> want(c1.size());
    for (int64_t t = 0; t < batch; ++t)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double s = 0.0;
          for (int64_t p = 0; p < k; ++p) {
            const float bv = b[static_cast<size_t>(b_index[t] * k * n + p * g.b_rs + j * g.b_cs)];
            s += static_cast<double>(a[static_cast<size_t>(a_off[t] + i * k + p)]) * bv;
          }
          want[static_cast<size_t>(c_off[t] + i * n + j)] = s;
        }
    INFO("trial " << trial << ": " << batch << " x [" << m << ", " << k << "] x [" << k << ", " << n
                  << "], transposed B " << trans_b << ", shared B " << shared_b);
    require_near(c1, want, 1e-5);
    REQUIRE(std::memcmp(c1.data(), c3.data(), c1.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("sgemm: float MatMul with broadcast batches matches the oracle on 1, 2, 3 threads",
          "[fastpath]") {
  for (int trial = 0; trial < 12; ++trial) {
    const int64_t m = pick(1, 40), n = pick(1, 70), k = pick(1, 100), h = pick(1, 3);
    // A [2, h, m, k] against B [h, k, n] or [1, 1, k, n] (broadcast over both batch dims).
    const bool b_broadcast = pick(0, 1) == 1;
    std::vector<int64_t> b_shape =
        b_broadcast ? std::vector<int64_t>{1, 1, k, n} : std::vector<int64_t>{h, k, n};
    const int64_t b_mats = b_broadcast ? 1 : h;
    const OwnedTensor a = make_tensor<float>({2, h, m, k}, random_values(2 * h * m * k));
    const OwnedTensor b = make_tensor<float>(b_shape, random_values(b_mats * k * n));
    const std::vector<float> av = a.values<float>(), bv = b.values<float>();
    std::vector<double> want(static_cast<size_t>(2 * h * m * n));
    for (int64_t t = 0; t < 2 * h; ++t)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          const int64_t bm = b_broadcast ? 0 : t % h;
          double s = 0.0;
          for (int64_t p = 0; p < k; ++p)
            s += static_cast<double>(av[static_cast<size_t>((t * m + i) * k + p)]) *
                 bv[static_cast<size_t>((bm * k + p) * n + j)];
          want[static_cast<size_t>((t * m + i) * n + j)] = s;
        }
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      const OpResult r = run_threads("MatMul", 13, {&a, &b}, {}, threads);
      INFO("trial " << trial << ", " << threads << " threads: " << r.status.message());
      REQUIRE(r.status.is_ok());
      REQUIRE(r.outputs[0].shape == std::vector<int64_t>{2, h, m, n});
      const std::vector<float> got = r.outputs[0].values<float>();
      require_near(got, want, 1e-5);
      if (threads == 1) first = got;
      REQUIRE(std::memcmp(first.data(), got.data(), got.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("sgemm: float Conv (1-D and 2-D, groups, strides, pads) matches the oracle",
          "[fastpath]") {
  for (int trial = 0; trial < 12; ++trial) {
    const bool two_d = trial % 2 == 1;
    const int64_t group = pick(1, 2), cg = pick(1, 4), mg = pick(1, 5);
    const int64_t c = group * cg, mo = group * mg, kw = pick(1, 3), stride = pick(1, 2),
                  pad = pick(0, 1), h = two_d ? pick(3, 9) : 1,
                  w = trial >= 10 ? pick(4000, 6000) : pick(3, 20),  // planes split over tasks
                  kh = two_d ? pick(1, 3) : 1;
    const int64_t oh = two_d ? (h + 2 * pad - kh) / stride + 1 : 1;
    const int64_t ow = (w + 2 * pad - kw) / stride + 1;
    std::vector<int64_t> xs =
        two_d ? std::vector<int64_t>{1, c, h, w} : std::vector<int64_t>{1, c, w};
    std::vector<int64_t> ws =
        two_d ? std::vector<int64_t>{mo, cg, kh, kw} : std::vector<int64_t>{mo, cg, kw};
    const OwnedTensor x = make_tensor<float>(xs, random_values(c * h * w));
    const OwnedTensor wt = make_tensor<float>(ws, random_values(mo * cg * kh * kw));
    const OwnedTensor bias = make_tensor<float>({mo}, random_values(mo));
    const std::vector<float> xv = x.values<float>(), wv = wt.values<float>(),
                             bv = bias.values<float>();
    std::vector<double> want(static_cast<size_t>(mo * oh * ow));
    for (int64_t o = 0; o < mo; ++o)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t z = 0; z < ow; ++z) {
          double s = bv[static_cast<size_t>(o)];
          const int64_t grp = o / mg;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t iy = two_d ? y * stride - pad + ky : 0;
                const int64_t ix = z * stride - pad + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                s += static_cast<double>(
                         xv[static_cast<size_t>(((grp * cg + ci) * h + iy) * w + ix)]) *
                     wv[static_cast<size_t>(((o * cg + ci) * kh + ky) * kw + kx)];
              }
          want[static_cast<size_t>((o * oh + y) * ow + z)] = s;
        }
    std::vector<int64_t> pads =
        two_d ? std::vector<int64_t>{pad, pad, pad, pad} : std::vector<int64_t>{pad, pad};
    std::vector<int64_t> strides =
        two_d ? std::vector<int64_t>{stride, stride} : std::vector<int64_t>{stride};
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      const OpResult r = run_threads(
          "Conv", 11, {&x, &wt, &bias},
          {attr_ints("pads", pads), attr_ints("strides", strides), attr_int("group", group)},
          threads);
      INFO("trial " << trial << ", " << threads << " threads: " << r.status.message());
      REQUIRE(r.status.is_ok());
      const std::vector<float> got = r.outputs[0].values<float>();
      require_near(got, want, 1e-5);
      if (threads == 1) first = got;
      REQUIRE(std::memcmp(first.data(), got.data(), got.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("vector_math: erf_f32 and gelu_erf_f32 against libm", "[fastpath]") {
  std::vector<float> x;
  for (float v = -6.0f; v <= 6.0f; v += 0.000731f) x.push_back(v);
  x.push_back(0.0f);
  x.push_back(-0.0f);
  x.push_back(1e-30f);
  x.push_back(INFINITY);
  x.push_back(-INFINITY);
  Pool pool(2);
  std::vector<float> e(x.size()), e2(x.size());
  nn::erf_f32(x.data(), e.data(), x.size(), nullptr);
  nn::erf_f32(x.data(), e2.data(), x.size(), pool.p);
  REQUIRE(std::memcmp(e.data(), e2.data(), e.size() * sizeof(float)) == 0);
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i)
    worst = std::max(worst, std::fabs(e[i] - std::erf(double(x[i]))));
  CHECK(worst <= 1e-6);
  std::vector<float> g = x;
  nn::gelu_erf_f32(g.data(), g.size(), pool.p);
  for (size_t i = 0; i + 2 < x.size(); ++i) {  // the infinities: gelu(-inf) is NaN in both
    const double v = x[i], want = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    INFO("x = " << v);
    REQUIRE(std::fabs(g[i] - want) <= 1e-6 * std::max(1.0, std::fabs(v)));
  }
  CHECK(g[x.size() - 2] == INFINITY);
  const float nan = std::nanf("");
  float y = nan;
  nn::erf_f32(&y, &y, 1, nullptr);
  CHECK(std::isnan(y));
}

TEST_CASE("vector_math: silu_f32 against a double oracle", "[fastpath]") {
  std::vector<float> x;
  for (float v = -100.0f; v <= 100.0f; v += 0.00731f) x.push_back(v);
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-40f, -87.0f, -88.5f, -103.0f, 88.5f, 1e30f,
                  -1e30f, INFINITY})
    x.push_back(v);
  std::vector<float> y = x, y2 = x;
  Pool pool(2);
  nn::silu_f32(y.data(), y.size(), nullptr);
  nn::silu_f32(y2.data(), y2.size(), pool.p);  // elementwise: any split gives the same bits
  REQUIRE(std::memcmp(y.data(), y2.data(), y.size() * sizeof(float)) == 0);
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = x[i], want = v / (1.0 + std::exp(-v));
    INFO("x = " << v);
    if (std::isinf(want)) {
      REQUIRE(y[i] == want);
    } else {
      REQUIRE(std::fabs(y[i] - want) <= 1e-6 * std::max(1e-30, std::fabs(want)) + 1e-37);
    }
  }
  // -inf * sigmoid(-inf) is -inf * 0 in the reference too; NaN stays NaN.
  float edge[2] = {-INFINITY, std::nanf("")};
  nn::silu_f32(edge, 2, nullptr);
  CHECK(std::isnan(edge[0]));
  CHECK(std::isnan(edge[1]));
}

TEST_CASE("LayerNormalization float32 fast path matches a double oracle on 1, 2, 3 threads",
          "[fastpath]") {
  for (int trial = 0; trial < 10; ++trial) {
    const int64_t rows = pick(1, 40), inner = pick(1, 300);
    const bool with_bias = trial % 3 != 0;
    const float offset = trial % 2 ? 1000.0f : 0.0f;  // a large mean must not cancel the variance
    std::vector<float> xv = random_values(rows * inner);
    for (float& v : xv) v += offset;
    const OwnedTensor x = make_tensor<float>({rows, inner}, xv);
    const OwnedTensor scale = make_tensor<float>({inner}, random_values(inner));
    const OwnedTensor bias = make_tensor<float>({inner}, random_values(inner));
    const std::vector<float> sv = scale.values<float>(), bv = bias.values<float>();
    std::vector<double> want(xv.size());
    for (int64_t o = 0; o < rows; ++o) {
      double mean = 0.0, var = 0.0;
      for (int64_t i = 0; i < inner; ++i) mean += xv[static_cast<size_t>(o * inner + i)];
      mean /= static_cast<double>(inner);
      for (int64_t i = 0; i < inner; ++i) {
        const double d = xv[static_cast<size_t>(o * inner + i)] - mean;
        var += d * d;
      }
      const double inv = 1.0 / std::sqrt(var / static_cast<double>(inner) + 1e-5);
      for (int64_t i = 0; i < inner; ++i) {
        const size_t k = static_cast<size_t>(o * inner + i);
        want[k] = (xv[k] - mean) * inv * sv[static_cast<size_t>(i)] +
                  (with_bias ? bv[static_cast<size_t>(i)] : 0.0);
      }
    }
    std::vector<const OwnedTensor*> ins = {&x, &scale};
    if (with_bias) ins.push_back(&bias);
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      const OpResult r = run_threads("LayerNormalization", 17, ins, {}, threads);
      INFO("trial " << trial << " [" << rows << ", " << inner << "], " << threads << " threads");
      REQUIRE(r.status.is_ok());
      const std::vector<float> got = r.outputs[0].values<float>();
      // Values of 1000 +- 1 carry float rounding of 6e-5 into the normalised result.
      require_near(got, want, offset > 0.0f ? 2e-3 : 1e-5);
      if (threads == 1) first = got;
      REQUIRE(std::memcmp(first.data(), got.data(), got.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("Transpose splits large tensors over threads with the same result", "[fastpath]") {
  const int perms[4][4] = {{0, 2, 1, 3}, {0, 2, 3, 1}, {3, 1, 0, 2}, {1, 0, 3, 2}};
  for (int trial = 0; trial < 4; ++trial) {
    const std::vector<int64_t> s = {pick(1, 3), pick(20, 50), pick(20, 40), pick(16, 70)};
    const OwnedTensor x = make_tensor<float>(s, random_values(s[0] * s[1] * s[2] * s[3]));
    const int* p = perms[trial];
    const std::vector<int64_t> perm(p, p + 4);
    const std::vector<float> want = permute4(x, p).values<float>();
    for (int threads = 1; threads <= 3; ++threads) {
      const OpResult r = run_threads("Transpose", 13, {&x}, {attr_ints("perm", perm)}, threads);
      INFO("trial " << trial << ", " << threads << " threads");
      REQUIRE(r.status.is_ok());
      REQUIRE(r.outputs[0].values<float>() == want);
    }
  }
}

TEST_CASE("Transpose: every rank-4 permutation of uneven shapes", "[fastpath]") {
  // Covers strided last dims of 1-700 elements (NCHW -> NHWC with few channels among them),
  // unit dims that coalesce away, and the threaded split of large outputs.
  std::vector<int64_t> p = {0, 1, 2, 3};
  int trial = 0;
  do {
    const std::vector<int64_t> s = {pick(1, 3), pick(1, 5), pick(1, 90), pick(1, 700)};
    const OwnedTensor x = make_tensor<float>(s, random_values(s[0] * s[1] * s[2] * s[3]));
    const std::vector<float> want = permute4(x, p).values<float>();
    for (int threads = 1; threads <= 3; threads += 2) {
      const OpResult r = run_threads("Transpose", 13, {&x}, {attr_ints("perm", p)}, threads);
      INFO("trial " << trial << " shape " << s[0] << "x" << s[1] << "x" << s[2] << "x" << s[3]
                    << ", " << threads << " threads");
      REQUIRE(r.status.is_ok());
      REQUIRE(r.outputs[0].values<float>() == want);
    }
    ++trial;
  } while (std::next_permutation(p.begin(), p.end()));
}

TEST_CASE("Softmax along a strided axis matches a double oracle", "[fastpath]") {
  for (int trial = 0; trial < 6; ++trial) {
    // Up to 3000 inner columns: several 256-column blocks per slab, the last one partial.
    const std::vector<int64_t> s = {pick(1, 2), pick(1, 17), pick(1, 5), pick(1, 600)};
    const int axis = static_cast<int>(pick(0, 2));  // never the last: inner > 1 when s[3] > 1
    std::vector<float> xv = random_values(s[0] * s[1] * s[2] * s[3]);
    for (float& v : xv) v *= 20.0f;
    const OwnedTensor x = make_tensor<float>(s, xv);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= s[static_cast<size_t>(d)];
    for (int d = axis + 1; d < 4; ++d) inner *= s[static_cast<size_t>(d)];
    const int64_t n = s[static_cast<size_t>(axis)];
    std::vector<double> want(xv.size());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        double mx = -INFINITY, sum = 0.0;
        for (int64_t k = 0; k < n; ++k)
          mx = std::max<double>(mx, xv[static_cast<size_t>((o * n + k) * inner + i)]);
        for (int64_t k = 0; k < n; ++k)
          sum += std::exp(xv[static_cast<size_t>((o * n + k) * inner + i)] - mx);
        for (int64_t k = 0; k < n; ++k) {
          const size_t at = static_cast<size_t>((o * n + k) * inner + i);
          want[at] = std::exp(xv[at] - mx) / sum;
        }
      }
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      const OpResult r = run_threads("Softmax", 13, {&x}, {attr_int("axis", axis)}, threads);
      INFO("trial " << trial << ", axis " << axis << ", " << threads << " threads");
      REQUIRE(r.status.is_ok());
      const std::vector<float> got = r.outputs[0].values<float>();
      require_near(got, want, 1e-6);
      if (threads == 1) first = got;
      REQUIRE(got == first);  // the column blocks split over threads: same bits
    }
  }
}

TEST_CASE("Resize nearest upsampling takes the gather path exactly", "[fastpath]") {
  const OwnedTensor x = make_tensor<float>({1, 3, 5, 7}, random_values(105));
  const OwnedTensor scales = make_tensor<float>({4}, {1.0f, 1.0f, 2.0f, 3.0f});
  const OpResult r =
      run_threads("Resize", 13, {&x, nullptr, &scales}, {attr_string("mode", "nearest")}, 1);
  REQUIRE(r.status.is_ok());
  REQUIRE(r.outputs[0].shape == std::vector<int64_t>{1, 3, 10, 21});
  const std::vector<float> xv = x.values<float>(), got = r.outputs[0].values<float>();
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t h = 0; h < 10; ++h)
      for (int64_t w = 0; w < 21; ++w)
        REQUIRE(got[static_cast<size_t>((c * 10 + h) * 21 + w)] ==
                xv[static_cast<size_t>((c * 5 + h / 2) * 7 + w / 3)]);
}

TEST_CASE("ReduceL2 and ReduceMean over trailing axes match a double oracle", "[fastpath]") {
  const OwnedTensor x = make_tensor<float>({3, 4, 33}, random_values(3 * 4 * 33));
  const std::vector<float> xv = x.values<float>();
  const OpResult l2 = run_threads("ReduceL2", 13, {&x}, {attr_ints("axes", {-1})}, 1);
  const OpResult mean = run_threads("ReduceMean", 13, {&x}, {attr_ints("axes", {1, 2})}, 1);
  REQUIRE(l2.status.is_ok());
  REQUIRE(mean.status.is_ok());
  REQUIRE(l2.outputs[0].shape == std::vector<int64_t>{3, 4, 1});
  REQUIRE(mean.outputs[0].shape == std::vector<int64_t>{3, 1, 1});
  std::vector<double> want_l2(12, 0.0), want_mean(3, 0.0);
  for (size_t i = 0; i < xv.size(); ++i) {
    want_l2[i / 33] += static_cast<double>(xv[i]) * xv[i];
    want_mean[i / 132] += xv[i] / 132.0;
  }
  for (double& v : want_l2) v = std::sqrt(v);
  require_near(l2.outputs[0].values<float>(), want_l2, 1e-6);
  require_near(mean.outputs[0].values<float>(), want_mean, 1e-6);
}
