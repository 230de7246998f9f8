// Unit tests of com.parallax.FusedAttention (runtime/kernels/fused/FusedAttention.cpp) and of
// what it is built on, nn::softmax_rows_f32 and sgemm's prepacked B (also the fully connected
// layers' path, with a bias): randomized shapes (fixed seed) against double-precision oracles,
// bit-identical results for 1, 2 and 3 threads, broadcast batches, edge shapes.
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

#include "../../runtime/kernels/nn/sgemm.h"
#include "../../runtime/kernels/nn/vector_math.h"
#include "fastpath_util.h"

using namespace parallax::test;
namespace rt = parallax::rt;
namespace nn = parallax::rt::kernels::nn;

namespace {

// One FusedAttention step run by an executor with `threads` threads.
OpResult run_attention(const std::vector<const OwnedTensor*>& ins, int threads) {
  return run_threads("FusedAttention", 1, ins, {}, threads, "com.parallax");
}

// softmax(q x kt) x v in double for one head: q [m, k], kt [k, n], v [n, d].
void oracle_head(const float* q, const float* kt, const float* v, int64_t m, int64_t n, int64_t k,
                 int64_t d, double* y) {
  std::vector<double> s(static_cast<size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    double mx = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < k; ++p) acc += static_cast<double>(q[i * k + p]) * kt[p * n + j];
      s[j] = acc;
      mx = std::max(mx, acc);
    }
    double sum = 0.0;
    for (int64_t j = 0; j < n; ++j) sum += (s[j] = std::exp(s[j] - mx));
    for (int64_t c = 0; c < d; ++c) {
      double acc = 0.0;
      for (int64_t j = 0; j < n; ++j) acc += s[j] / sum * v[j * d + c];
      y[i * d + c] = acc;
    }
  }
}

}  // namespace

TEST_CASE("sgemm with prepacked B and a bias matches a double oracle on 1, 2, 3 threads",
          "[fastpath]") {
  for (int trial = 0; trial < 24; ++trial) {
    const int64_t m = pick(1, 140), n = pick(1, 100), k = trial % 8 == 0 ? 0 : pick(1, 90);
    const bool transposed = trial % 2 == 1, with_bias = trial % 3 != 0;
    const std::vector<float> a = random_values(m * k, 1.0f), b = random_values(k * n, 1.0f);
    const std::vector<float> bias = random_values(n, 1.0f);
    // B(p, j): row-major [k, n], or stored transposed as [n, k].
    auto b_at = [&](int64_t p, int64_t j) { return transposed ? b[j * k + p] : b[p * n + j]; };
    std::vector<float> packed(nn::sgemm_packed_b_floats(k, n) + 1);
    nn::sgemm_pack_b(b.data(), transposed ? 1 : n, transposed ? k : 1, k, n, packed.data());
    std::vector<double> want(static_cast<size_t>(m * n));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = with_bias ? bias[j] : 0.0;
        for (int64_t p = 0; p < k; ++p) s += static_cast<double>(a[i * k + p]) * b_at(p, j);
        want[i * n + j] = s;
      }
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      pthreadpool_t pool = threads > 1 ? pthreadpool_create(threads) : nullptr;
      std::vector<float> c(static_cast<size_t>(m * n), 42.0f);
      nn::SgemmArgs g;
      g.m = m;
      g.n = n;
      g.k = k;
      g.a = a.data();
      g.lda = k;
      g.b_packed = packed.data();
      g.bias = with_bias ? bias.data() : nullptr;
      g.c = c.data();
      g.ldc = n;
      REQUIRE(nn::sgemm_packed_floats(g) == 0);
      nn::sgemm(g, nullptr, pool);
      if (pool) pthreadpool_destroy(pool);
      INFO("trial " << trial << " [" << m << ", " << k << "] x [" << k << ", " << n << "], "
                    << threads << " threads");
      require_near(c, want, 1e-5);
      if (threads == 1) first = c;
      REQUIRE(std::memcmp(first.data(), c.data(), c.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("softmax_rows_f32 matches a double oracle, in place and not", "[fastpath]") {
  for (int trial = 0; trial < 20; ++trial) {
    const int64_t rows = pick(1, 9), n = pick(1, 300), ld = n + pick(0, 5);
    std::vector<float> x = random_values(rows * ld, trial < 10 ? 4.0f : 60.0f);
    if (trial % 3 == 0)
      x[static_cast<size_t>(pick(0, n - 1))] = -std::numeric_limits<float>::infinity();
    std::vector<float> y(x.size(), 7.0f), z = x;
    nn::softmax_rows_f32(x.data(), y.data(), rows, n, ld, nullptr);
    nn::softmax_rows_f32(z.data(), z.data(), rows, n, ld, nullptr);
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x.data() + r * ld;
      double mx = -std::numeric_limits<double>::infinity(), sum = 0.0;
      for (int64_t j = 0; j < n; ++j) mx = std::max(mx, static_cast<double>(xr[j]));
      for (int64_t j = 0; j < n; ++j) sum += std::exp(xr[j] - mx);
      for (int64_t j = 0; j < n; ++j) {
        const double want = std::exp(xr[j] - mx) / sum;
        INFO("trial " << trial << " row " << r << " col " << j);
        REQUIRE(std::fabs(y[r * ld + j] - want) <= 1e-6 * std::max(want, 1e-3));
        REQUIRE(z[r * ld + j] == y[r * ld + j]);
      }
      for (int64_t j = n; j < ld; ++j) REQUIRE(y[r * ld + j] == 7.0f);  // padding untouched
    }
  }
  // A NaN makes its row NaN; so does a row of -inf (exp(-inf - -inf)), as in the reference.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = {0.0f, nan, 1.0f, -inf, -inf, -inf, 1.0f, 1.0f, -inf};
  nn::softmax_rows_f32(x.data(), x.data(), 3, 3, 3, nullptr);
  for (int j = 0; j < 6; ++j) CHECK(std::isnan(x[j]));
  CHECK(x[6] == 0.5f);
  CHECK(x[7] == 0.5f);
  CHECK(x[8] == 0.0f);
}

TEST_CASE("FusedAttention matches a double oracle on 1, 2, 3 threads", "[fastpath]") {
  for (int trial = 0; trial < 16; ++trial) {
    // Some trials with many rows and columns so tasks span several row blocks.
    const bool big = trial % 4 == 0;
    const int64_t h = pick(1, 3), m = big ? pick(60, 150) : pick(1, 20);
    const int64_t n = big ? pick(200, 1200) : pick(1, 70), k = pick(1, 40), d = pick(1, 70);
    // Kt broadcast over the heads in some trials ([1, k, n] against q [h, m, k]).
    const bool kt_shared = trial % 3 == 1;
    const OwnedTensor q = make_tensor<float>({h, m, k}, random_values(h * m * k, 1.0f));
    const OwnedTensor kt = make_tensor<float>({kt_shared ? 1 : h, k, n},
                                              random_values((kt_shared ? 1 : h) * k * n, 1.0f));
    const OwnedTensor v = make_tensor<float>({h, n, d}, random_values(h * n * d, 1.0f));
    const std::vector<float> qv = q.values<float>(), ktv = kt.values<float>(),
                             vv = v.values<float>();
    std::vector<double> want(static_cast<size_t>(h * m * d));
    for (int64_t t = 0; t < h; ++t) {
      oracle_head(qv.data() + t * m * k, ktv.data() + (kt_shared ? 0 : t) * k * n,
                  vv.data() + t * n * d, m, n, k, d, want.data() + t * m * d);
    }
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      const OpResult r = run_attention({&q, &kt, &v}, threads);
      INFO("trial " << trial << " [" << h << ", " << m << ", " << k << "] x [" << n << ", " << d
                    << "], " << threads << " threads: " << r.status.message());
      REQUIRE(r.status.is_ok());
      REQUIRE(r.outputs[0].shape == std::vector<int64_t>{h, m, d});
      const std::vector<float> got = r.outputs[0].values<float>();
      require_near(got, want, 2e-5);
      if (threads == 1) first = got;
      REQUIRE(std::memcmp(first.data(), got.data(), got.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("FusedAttention broadcasts v over more batch entries than the scores", "[fastpath]") {
  // Scores [1, 3, 4] (q [3, 2], kt [2, 4] un-batched), v [2, 4, 5]: y [2, 3, 5] reuses them.
  const OwnedTensor q = make_tensor<float>({3, 2}, random_values(6, 1.0f));
  const OwnedTensor kt = make_tensor<float>({2, 4}, random_values(8, 1.0f));
  const OwnedTensor v = make_tensor<float>({2, 4, 5}, random_values(40, 1.0f));
  const std::vector<float> qv = q.values<float>(), ktv = kt.values<float>(), vv = v.values<float>();
  std::vector<double> want(30);
  for (int t = 0; t < 2; ++t)
    oracle_head(qv.data(), ktv.data(), vv.data() + t * 20, 3, 4, 2, 5, want.data() + t * 15);
  const OpResult r = run_attention({&q, &kt, &v}, 2);
  REQUIRE(r.status.is_ok());
  REQUIRE(r.outputs[0].shape == std::vector<int64_t>{2, 3, 5});
  require_near(r.outputs[0].values<float>(), want, 2e-5);
}

TEST_CASE("FusedAttention edge shapes and errors", "[fastpath]") {
  // N = 0: every output is an empty weighted sum.
  const OwnedTensor q = make_tensor<float>({2, 3}, std::vector<float>(6, 1.0f));
  const OwnedTensor kt0 = make_tensor<float>({3, 0}, std::vector<float>{});
  const OwnedTensor v0 = make_tensor<float>({0, 4}, std::vector<float>{});
  const OpResult r = run_attention({&q, &kt0, &v0}, 1);
  REQUIRE(r.status.is_ok());
  CHECK(r.outputs[0].values<float>() == std::vector<float>(8, 0.0f));
  // K = 0: scores are 0, the softmax is uniform, y is the mean of v's rows.
  const OwnedTensor qk0 = make_tensor<float>({2, 0}, std::vector<float>{});
  const OwnedTensor ktk0 = make_tensor<float>({0, 2}, std::vector<float>{});
  const OwnedTensor v = make_tensor<float>({2, 1}, std::vector<float>{1.0f, 3.0f});
  const OpResult mean = run_attention({&qk0, &ktk0, &v}, 1);
  REQUIRE(mean.status.is_ok());
  CHECK(mean.outputs[0].values<float>() == std::vector<float>{2.0f, 2.0f});
  // Mismatched inner dimensions and 1-D operands are reported.
  const OwnedTensor bad = make_tensor<float>({4, 2}, std::vector<float>(8, 0.0f));
  const OpResult e1 = run_attention({&q, &bad, &v}, 1);
  CHECK(e1.status.message().find("inner dimensions differ") != std::string::npos);
  const OwnedTensor vec = make_tensor<float>({3}, std::vector<float>(3, 0.0f));
  const OpResult e2 = run_attention({&q, &vec, &v}, 1);
  CHECK(e2.status.message().find("rank >= 2") != std::string::npos);
}
