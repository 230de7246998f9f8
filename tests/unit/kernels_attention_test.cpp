// Unit tests of com.parallax.FusedAttention (runtime/kernels/fused/FusedAttention.cpp) and of
// what it is built on, nn::softmax_rows_f32 and sgemm's prepacked B (also the fully connected
// layers' path, with a bias): randomized shapes (fixed seed) against double-precision oracles,
// bit-identical results for 1, 2 and 3 threads, broadcast batches, edge shapes. The score
// epilogue (score_ops: scales, biases, masks; fused/score_ops.h) is checked against the unfused
// nodes run by the reference kernels, fully masked rows included.
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
      nn::SgemmArgs g = dense_sgemm(m, n, k, a.data(), c.data());
      g.b_packed = packed.data();
      g.bias = with_bias ? bias.data() : nullptr;
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
    // V shared by the heads too in some (both shared: Whisper's reassociated cross-attention).
    const bool v_shared = trial % 5 == 1 || trial % 5 == 2;
    const OwnedTensor q = make_tensor<float>({h, m, k}, random_values(h * m * k, 1.0f));
    const OwnedTensor kt = make_tensor<float>({kt_shared ? 1 : h, k, n},
                                              random_values((kt_shared ? 1 : h) * k * n, 1.0f));
    const OwnedTensor v = make_tensor<float>({v_shared ? 1 : h, n, d},
                                             random_values((v_shared ? 1 : h) * n * d, 1.0f));
    const std::vector<float> qv = q.values<float>(), ktv = kt.values<float>(),
                             vv = v.values<float>();
    std::vector<double> want(static_cast<size_t>(h * m * d));
    for (int64_t t = 0; t < h; ++t) {
      oracle_head(qv.data() + t * m * k, ktv.data() + (kt_shared ? 0 : t) * k * n,
                  vv.data() + (v_shared ? 0 : t) * n * d, m, n, k, d, want.data() + t * m * d);
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

namespace {

// The score_ops attribute of FusedAttention.
rt::Attribute score_ops(std::vector<std::string> ops) {
  rt::Attribute a;
  a.name = "score_ops";
  a.kind = rt::Attribute::Kind::kStrings;
  a.strings = std::move(ops);
  return a;
}

// One epilogue step for the tests: its op and operands (cond only for Where / WhereNot).
struct Step {
  std::string op;
  OwnedTensor cond, x;
};

// t without the leading 1s beyond rank `rank` (FusedAttention drops them; an ONNX node would
// keep them in its result, which the pass sees as a Reshape of the scores and back).
OwnedTensor trimmed(OwnedTensor t, size_t rank) {
  while (t.shape.size() > rank && t.shape.front() == 1) t.shape.erase(t.shape.begin());
  return t;
}

// The unfused graph through the reference kernels: MatMul, the steps as ONNX nodes, Softmax
// over the last axis, MatMul.
OpResult run_unfused(const OwnedTensor& q, const OwnedTensor& kt, const OwnedTensor& v,
                     const std::vector<Step>& given) {
  OpResult r = run_op("MatMul", 13, {&q, &kt}, {}, 1);
  std::vector<Step> steps;
  for (const Step& st : given) {
    const size_t rank = std::max(q.shape.size(), kt.shape.size());
    steps.push_back({st.op, trimmed(st.cond, rank), trimmed(st.x, rank)});
  }
  for (const Step& st : steps) {
    if (!r.status.is_ok()) return r;
    const OwnedTensor s = std::move(r.outputs[0]);
    if (st.op == "Where") {
      r = run_op("Where", 16, {&st.cond, &s, &st.x}, {}, 1);
    } else if (st.op == "WhereNot") {
      r = run_op("Where", 16, {&st.cond, &st.x, &s}, {}, 1);
    } else {
      r = run_op(st.op, 14, {&s, &st.x}, {}, 1);
    }
  }
  if (!r.status.is_ok()) return r;
  const OwnedTensor s = std::move(r.outputs[0]);
  r = run_op("Softmax", 13, {&s}, {attr_int("axis", -1)}, 1);
  if (!r.status.is_ok()) return r;
  const OwnedTensor p = std::move(r.outputs[0]);
  return run_op("MatMul", 13, {&p, &v}, {}, 1);
}

OpResult run_fused(const OwnedTensor& q, const OwnedTensor& kt, const OwnedTensor& v,
                   const std::vector<Step>& steps, int threads) {
  std::vector<const OwnedTensor*> ins = {&q, &kt, &v};
  std::vector<std::string> ops;
  for (const Step& st : steps) {
    ops.push_back(st.op);
    if (st.op == "Where" || st.op == "WhereNot") ins.push_back(&st.cond);
    ins.push_back(&st.x);
  }
  return run_threads("FusedAttention", 1, ins, {score_ops(ops)}, threads, "com.parallax");
}

// Same NaNs, and the other elements within tol * max(1, max |want|).
void require_same(const std::vector<float>& got, const std::vector<float>& want, double tol) {
  REQUIRE(got.size() == want.size());
  std::vector<double> finite_want(want.size());
  std::vector<float> finite_got(got.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": " << got[i] << " vs " << want[i]);
    REQUIRE(std::isnan(got[i]) == std::isnan(want[i]));
    finite_got[i] = std::isnan(got[i]) ? 0.0f : got[i];
    finite_want[i] = std::isnan(want[i]) ? 0.0 : want[i];
  }
  require_near(finite_got, finite_want, tol);
}

// An operand shape for scores of shape s: each dimension kept or 1; sometimes an extra
// leading 1 (Swin's [1, windows, 1, N, N] mask) or fewer dimensions (down to a scalar).
std::vector<int64_t> operand_shape(const std::vector<int64_t>& s) {
  std::vector<int64_t> d;
  for (int64_t x : s) d.push_back(pick(0, 2) == 0 ? 1 : x);
  const int form = static_cast<int>(pick(0, 3));
  if (form == 0) d.insert(d.begin(), 1);
  if (form == 1) d.erase(d.begin(), d.begin() + pick(0, static_cast<int64_t>(d.size())));
  return d;
}

int64_t count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<bool> random_bools(int64_t n, int percent_true) {
  std::vector<bool> b(static_cast<size_t>(n));
  for (size_t i = 0; i < b.size(); ++i) b[i] = pick(0, 99) < percent_true;
  return b;
}

}  // namespace

TEST_CASE("FusedAttention score_ops match the unfused nodes on 1, 2, 3 threads", "[fastpath]") {
  const char* kOps[] = {"Add", "Sub", "Mul", "Div", "Where", "WhereNot"};
  for (int trial = 0; trial < 40; ++trial) {
    const bool big = trial % 5 == 0, four_d = trial % 2 == 0;
    const int64_t b = four_d ? pick(1, 2) : 1, h = pick(1, 3);
    const int64_t m = big ? pick(60, 150) : pick(1, 20), n = big ? pick(100, 300) : pick(1, 70);
    const int64_t k = pick(1, 40), d = pick(1, 40);
    std::vector<int64_t> lead = four_d ? std::vector<int64_t>{b, h} : std::vector<int64_t>{h};
    auto with = [&](std::vector<int64_t> batch, int64_t r, int64_t c) {
      batch.push_back(r);
      batch.push_back(c);
      return batch;
    };
    const std::vector<int64_t> s_shape = with(lead, m, n);
    // Kt shared by the heads in some trials, as a broadcast batch.
    std::vector<int64_t> kt_lead = lead;
    if (trial % 3 == 1) kt_lead.back() = 1;
    const OwnedTensor q = make_tensor<float>(with(lead, m, k), random_values(count(lead) * m * k));
    const OwnedTensor kt =
        make_tensor<float>(with(kt_lead, k, n), random_values(count(kt_lead) * k * n));
    const OwnedTensor v = make_tensor<float>(with(lead, n, d), random_values(count(lead) * n * d));
    std::vector<Step> steps(static_cast<size_t>(pick(1, 3)));
    std::string names;
    for (Step& st : steps) {
      st.op = kOps[pick(0, 5)];
      names += st.op + " ";
      const std::vector<int64_t> xs = operand_shape(s_shape);
      std::vector<float> x = random_values(count(xs), 2.0f);
      if (st.op == "Div") {
        for (float& e : x) e = 0.5f + std::fabs(e);
      }
      if (st.op == "Where" || st.op == "WhereNot") {
        // The fill: a -large scalar (DistilBERT), -inf, or a tensor of its own shape.
        const int fill = static_cast<int>(pick(0, 2));
        if (fill < 2) {
          const float f = fill == 0 ? std::numeric_limits<float>::lowest()
                                    : -std::numeric_limits<float>::infinity();
          st.x = make_tensor<float>({}, std::vector<float>{f});
        }
        const std::vector<int64_t> cs = operand_shape(s_shape);
        st.cond = make_tensor<bool>(cs, random_bools(count(cs), 80));
      }
      if (st.x.dtype == rt::DType::kUndefined) st.x = make_tensor<float>(xs, x);
    }
    const OpResult want = run_unfused(q, kt, v, steps);
    REQUIRE(want.status.is_ok());
    const std::vector<float> ref = want.outputs[0].values<float>();
    std::vector<float> first;
    for (int threads = 1; threads <= 3; ++threads) {
      const OpResult r = run_fused(q, kt, v, steps, threads);
      INFO("trial " << trial << " scores " << m << " x " << n << ", k " << k << ", d " << d
                    << ", ops " << names << threads << " threads: " << r.status.message());
      REQUIRE(r.status.is_ok());
      REQUIRE(r.outputs[0].shape == want.outputs[0].shape);
      const std::vector<float> got = r.outputs[0].values<float>();
      require_same(got, ref, 2e-5);
      if (threads == 1) first = got;
      REQUIRE(std::memcmp(first.data(), got.data(), got.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("FusedAttention masks: fully masked rows are NaN with -inf, uniform with -large",
          "[fastpath]") {
  // Scores [2, 5, 7]; row 2 of the [5, 7] mask covers every key, row 0 one key, the rest none.
  const OwnedTensor q = make_tensor<float>({2, 5, 3}, random_values(30));
  const OwnedTensor kt = make_tensor<float>({2, 3, 7}, random_values(42));
  const OwnedTensor v = make_tensor<float>({2, 7, 4}, random_values(56));
  std::vector<bool> masked(35, false);
  masked[3] = true;
  for (int j = 0; j < 7; ++j) masked[2 * 7 + j] = true;
  const float inf = std::numeric_limits<float>::infinity();
  for (float fill : {-inf, std::numeric_limits<float>::lowest(), -1e9f}) {
    std::vector<Step> steps(1);
    steps[0].op = "WhereNot";  // Where(mask, fill, scores), DistilBERT's form
    steps[0].cond = make_tensor<bool>({5, 7}, masked);
    steps[0].x = make_tensor<float>({}, std::vector<float>{fill});
    const OpResult want = run_unfused(q, kt, v, steps);
    const OpResult got = run_fused(q, kt, v, steps, 2);
    REQUIRE(want.status.is_ok());
    REQUIRE(got.status.is_ok());
    const std::vector<float> y = got.outputs[0].values<float>();
    INFO("fill " << fill);
    require_same(y, want.outputs[0].values<float>(), 2e-5);
    for (int t = 0; t < 2; ++t)
      for (int c = 0; c < 4; ++c) CHECK(std::isnan(y[(t * 5 + 2) * 4 + c]) == (fill == -inf));
  }
  // A causal -inf mask added to the scores (Whisper's decoder): every row keeps a key.
  std::vector<float> causal(35);
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 7; ++j) causal[i * 7 + j] = j > i ? -inf : 0.0f;
  std::vector<Step> steps(1);
  steps[0].op = "Add";
  steps[0].x = make_tensor<float>({5, 7}, causal);
  const OpResult want = run_unfused(q, kt, v, steps);
  const OpResult got = run_fused(q, kt, v, steps, 3);
  REQUIRE(got.status.is_ok());
  require_same(got.outputs[0].values<float>(), want.outputs[0].values<float>(), 2e-5);
}

TEST_CASE("FusedAttention score_ops errors name the input", "[fastpath]") {
  const OwnedTensor q = make_tensor<float>({1, 3, 2}, random_values(6));
  const OwnedTensor kt = make_tensor<float>({1, 2, 4}, random_values(8));
  const OwnedTensor v = make_tensor<float>({1, 4, 5}, random_values(20));
  // A bias that would broadcast the scores [1, 3, 4] to two heads.
  const OwnedTensor wide = make_tensor<float>({2, 3, 4}, random_values(24));
  const OpResult e1 = run_threads("FusedAttention", 1, {&q, &kt, &v, &wide}, {score_ops({"Add"})},
                                  1, "com.parallax");
  CHECK(e1.status.message().find("input 3 of shape [2, 3, 4] does not broadcast") !=
        std::string::npos);
  // A float condition.
  const OwnedTensor fill = make_tensor<float>({}, std::vector<float>{-1.0f});
  const OpResult e2 = run_threads("FusedAttention", 1, {&q, &kt, &v, &fill, &fill},
                                  {score_ops({"Where"})}, 1, "com.parallax");
  CHECK(e2.status.message().find("input 3 must be bool") != std::string::npos);
  // Too few operands for the ops; an unknown op.
  const OpResult e3 = run_threads("FusedAttention", 1, {&q, &kt, &v, &fill},
                                  {score_ops({"Add", "Mul"})}, 1, "com.parallax");
  CHECK(e3.status.message().find("score_ops take 2 operands, got 1") != std::string::npos);
  const OpResult e4 = run_threads("FusedAttention", 1, {&q, &kt, &v, &fill}, {score_ops({"Pow"})},
                                  1, "com.parallax");
  CHECK(e4.status.message().find("unknown score_ops entry 'Pow'") != std::string::npos);
}

namespace {

// x [B, R, H * c] (heads side by side) -> [B, H, R, c]; with `transposed`, [B, H, c, R].
std::vector<float> split_heads(const std::vector<float>& x, int64_t b, int64_t r, int64_t h,
                               int64_t c, bool transposed) {
  std::vector<float> out(x.size());
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t ri = 0; ri < r; ++ri)
      for (int64_t hi = 0; hi < h; ++hi)
        for (int64_t ci = 0; ci < c; ++ci) {
          const int64_t from = ((bi * r + ri) * h + hi) * c + ci;
          const int64_t to =
              transposed ? ((bi * h + hi) * c + ci) * r + ri : ((bi * h + hi) * r + ri) * c + ci;
          out[static_cast<size_t>(to)] = x[static_cast<size_t>(from)];
        }
  return out;
}

}  // namespace

TEST_CASE("FusedAttention with heads side by side equals the split form, score_ops included",
          "[fastpath]") {
  const char* kOps[] = {"Add", "Mul", "WhereNot"};
  for (int trial = 0; trial < 24; ++trial) {
    const bool big = trial % 4 == 0;
    const int64_t b = pick(1, 2), h = pick(1, 4), d = pick(1, 24), dv = pick(1, 24);
    const int64_t m = big ? pick(60, 150) : pick(1, 20), n = big ? pick(100, 300) : pick(1, 70);
    const std::vector<float> q3 = random_values(b * m * h * d), k3 = random_values(b * n * h * d),
                             v3 = random_values(b * n * h * dv);
    const OwnedTensor q = make_tensor<float>({b, m, h * d}, q3);
    const OwnedTensor k = make_tensor<float>({b, n, h * d}, k3);
    const OwnedTensor v = make_tensor<float>({b, n, h * dv}, v3);
    const OwnedTensor q4 = make_tensor<float>({b, h, m, d}, split_heads(q3, b, m, h, d, false));
    const OwnedTensor kt4 = make_tensor<float>({b, h, d, n}, split_heads(k3, b, n, h, d, true));
    const OwnedTensor v4 = make_tensor<float>({b, h, n, dv}, split_heads(v3, b, n, h, dv, false));
    std::vector<Step> steps(static_cast<size_t>(pick(0, 2)));
    std::vector<std::string> ops;
    std::vector<const OwnedTensor*> extra;
    for (Step& st : steps) {
      st.op = kOps[pick(0, 2)];
      ops.push_back(st.op);
      const std::vector<int64_t> xs = operand_shape({b, h, m, n});
      if (st.op == "WhereNot") {
        st.cond = make_tensor<bool>(xs, random_bools(count(xs), 80));
        st.x = make_tensor<float>({}, std::vector<float>{-1e9f});
        extra.push_back(&st.cond);
      } else {
        st.x = make_tensor<float>(xs, random_values(count(xs), 2.0f));
      }
      extra.push_back(&st.x);
    }
    const OpResult split = run_fused(q4, kt4, v4, steps, 1);
    REQUIRE(split.status.is_ok());
    // [B, H, M, dv] -> [B, M, H * dv]: the inverse of split_heads.
    const std::vector<float> ys = split.outputs[0].values<float>();
    std::vector<float> want(ys.size());
    for (int64_t bi = 0; bi < b; ++bi)
      for (int64_t hi = 0; hi < h; ++hi)
        for (int64_t mi = 0; mi < m; ++mi)
          for (int64_t c = 0; c < dv; ++c)
            want[static_cast<size_t>(((bi * m + mi) * h + hi) * dv + c)] =
                ys[static_cast<size_t>(((bi * h + hi) * m + mi) * dv + c)];
    std::vector<const OwnedTensor*> ins = {&q, &k, &v};
    ins.insert(ins.end(), extra.begin(), extra.end());
    std::vector<rt::Attribute> attrs = {attr_int("heads", h)};
    if (!ops.empty()) attrs.push_back(score_ops(ops));
    for (int threads = 1; threads <= 3; ++threads) {
      const OpResult r = run_threads("FusedAttention", 1, ins, attrs, threads, "com.parallax");
      INFO("trial " << trial << ": b " << b << " h " << h << " m " << m << " n " << n << " d " << d
                    << " dv " << dv << ", " << threads << " threads: " << r.status.message());
      REQUIRE(r.status.is_ok());
      REQUIRE(r.outputs[0].shape == std::vector<int64_t>{b, m, h * dv});
      const std::vector<float> got = r.outputs[0].values<float>();
      // The same products in the same order, only read and written with other strides.
      REQUIRE(std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("FusedAttention with heads rejects operands that do not split alike", "[fastpath]") {
  const OwnedTensor q = make_tensor<float>({1, 2, 6}, random_values(12));
  const OwnedTensor k = make_tensor<float>({1, 3, 6}, random_values(18));
  const OwnedTensor v = make_tensor<float>({1, 3, 4}, random_values(12));
  const OwnedTensor k_wide = make_tensor<float>({1, 3, 8}, random_values(24));
  const OwnedTensor v_batch = make_tensor<float>({2, 3, 4}, random_values(24));
  // 6 columns do not split into 4 heads; K wider than Q; V of another batch.
  OpResult r =
      run_threads("FusedAttention", 1, {&q, &k, &v}, {attr_int("heads", 4)}, 1, "com.parallax");
  CHECK(r.status.message().find("do not split into heads alike") != std::string::npos);
  r = run_threads("FusedAttention", 1, {&q, &k_wide, &v}, {attr_int("heads", 2)}, 1,
                  "com.parallax");
  CHECK(r.status.message().find("do not split into heads alike") != std::string::npos);
  r = run_threads("FusedAttention", 1, {&q, &k, &v_batch}, {attr_int("heads", 2)}, 1,
                  "com.parallax");
  CHECK(r.status.message().find("same batch dimensions") != std::string::npos);
  r = run_threads("FusedAttention", 1, {&q, &k, &v}, {attr_int("heads", -1)}, 1, "com.parallax");
  CHECK(r.status.message().find("heads must be >= 0") != std::string::npos);
}

TEST_CASE("FusedAttention with key_rows reads K [..., N, d] as the transposed Kt, bit for bit",
          "[fastpath]") {
  for (int trial = 0; trial < 16; ++trial) {
    const bool big = trial % 4 == 0;
    const int64_t h = pick(1, 3), d = pick(1, 40), dv = pick(1, 24);
    const int64_t m = big ? pick(60, 150) : pick(1, 20), n = big ? pick(100, 300) : pick(1, 70);
    // K shared by the heads (a broadcast batch, as after reassociate-attention) in some trials.
    const int64_t kh = trial % 3 == 1 ? 1 : h;
    const std::vector<float> kv = random_values(kh * n * d);
    std::vector<float> ktv(kv.size());
    for (int64_t b = 0; b < kh; ++b)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t p = 0; p < d; ++p) ktv[(b * d + p) * n + j] = kv[(b * n + j) * d + p];
    const OwnedTensor q = make_tensor<float>({h, m, d}, random_values(h * m * d));
    const OwnedTensor k = make_tensor<float>({kh, n, d}, kv);
    const OwnedTensor kt = make_tensor<float>({kh, d, n}, ktv);
    const OwnedTensor v = make_tensor<float>({h, n, dv}, random_values(h * n * dv));
    const OpResult want = run_attention({&q, &kt, &v}, 1);
    REQUIRE(want.status.is_ok());
    for (int threads = 1; threads <= 3; ++threads) {
      const OpResult r = run_threads("FusedAttention", 1, {&q, &k, &v}, {attr_int("key_rows", 1)},
                                     threads, "com.parallax");
      INFO("trial " << trial << ": h " << h << " (K " << kh << ") m " << m << " n " << n << " d "
                    << d << ", " << threads << " threads: " << r.status.message());
      REQUIRE(r.status.is_ok());
      REQUIRE(r.outputs[0].shape == want.outputs[0].shape);
      const std::vector<float> got = r.outputs[0].values<float>(),
                               ref = want.outputs[0].values<float>();
      REQUIRE(std::memcmp(got.data(), ref.data(), got.size() * sizeof(float)) == 0);
    }
  }
  const OwnedTensor q = make_tensor<float>({2, 3}, random_values(6));
  const OpResult bad =
      run_threads("FusedAttention", 1, {&q, &q, &q}, {attr_int("key_rows", 2)}, 1, "com.parallax");
  CHECK(bad.status.message().find("key_rows must be 0 or 1") != std::string::npos);
}
