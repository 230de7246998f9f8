// Test helper for the kernels' fast paths (kernels_fastpath_test, winograd_test,
// kernels_attention_test): seeded random shapes and values, a standalone thread pool, a kernel
// run on an executor of N threads, and a tolerance check against a double-precision oracle.
//
//   const std::vector<float> x = random_values(pick(1, 100));
//   const OpResult r = run_threads("Transpose", 13, {&t}, {attr_ints("perm", {1, 0})}, 3);
//   require_near(r.outputs[0].values<float>(), want, 1e-6);
//   nn::SgemmArgs g = dense_sgemm(m, n, k, a.data(), c.data());  // then set B
#pragma once

#include <pthreadpool.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "../../runtime/kernels/nn/sgemm.h"
#include "kernel_harness.h"

namespace parallax::test {

// One generator per test binary, fixed seed: failures reproduce.
inline std::mt19937& rng() {
  static std::mt19937 g(20261129);
  return g;
}
inline int64_t pick(int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng());
}
// n values uniform in [-range, range].
inline std::vector<float> random_values(int64_t n, float range = 1.0f) {
  std::uniform_real_distribution<float> u(-range, range);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = u(rng());
  return v;
}

// A standalone pthreadpool of `threads` threads (none for 1).
struct Pool {
  explicit Pool(int threads) : p(threads > 1 ? pthreadpool_create(threads) : nullptr) {}
  ~Pool() {
    if (p) pthreadpool_destroy(p);
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  pthreadpool_t p;
};

// One step of `op` on an executor with `threads` threads; nullptr in `ins` is an omitted
// optional input; inputs from `first_constant` on (if >= 0) are constants (packed in prepare),
// up to `end_constant` (exclusive) if that is >= 0.
inline OpResult run_threads(const std::string& op, int opset,
                            const std::vector<const OwnedTensor*>& ins,
                            std::vector<rt::Attribute> attrs, int threads,
                            const std::string& domain = "", int first_constant = -1,
                            int end_constant = -1) {
  return run_op(op, opset, ins, std::move(attrs), 1, domain, threads, first_constant, end_constant);
}

// max |got - want| <= tol * max(1, max |want|).
inline void require_near(const std::vector<float>& got, const std::vector<double>& want,
                         double tol) {
  REQUIRE(got.size() == want.size());
  double scale = 1.0, err = 0.0;
  for (size_t i = 0; i < got.size(); ++i) {
    scale = std::max(scale, std::fabs(want[i]));
    err = std::max(err, std::fabs(got[i] - want[i]));
  }
  INFO("max error " << err << " at scale " << scale);
  REQUIRE(err <= tol * scale);
}

// sgemm arguments for C [m, n] = A [m, k] x B with A and C dense and row-major; the caller sets
// B (b / b_rs / b_cs or b_packed), the bias and the epilogue.
inline rt::kernels::nn::SgemmArgs dense_sgemm(int64_t m, int64_t n, int64_t k, const float* a,
                                              float* c) {
  rt::kernels::nn::SgemmArgs g;
  g.m = m;
  g.n = n;
  g.k = k;
  g.a = a;
  g.lda = k;
  g.c = c;
  g.ldc = n;
  return g;
}

}  // namespace parallax::test
