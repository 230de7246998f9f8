// package.two_models: generated code for two different models linked into one executable, and
// two instances of one model run from two threads at the same time.
//
//   parallax_two_models_test TINY_TEST_DATA_DIR AFFINE_WEIGHTS_BIN
//
// tiny_branchy (examples/tiny_branchy, weights embedded) is checked against its stored
// output_0.pb; affine (affine.onnxtxt, weights mapped from a file) against values computed by
// hand. Exit 0 when everything matches, 1 otherwise.
#include <atomic>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "affine.h"
#include "parallax/testdata/tensor_io.h"
#include "tiny_branchy.h"

namespace {

namespace rt = ::parallax::rt;
namespace td = ::parallax::testdata;
using parallax::models::affine;
using parallax::models::tiny_branchy;

constexpr int kRunsPerThread = 50;

bool fail(const std::string& what) {
  std::fprintf(stderr, "two_models: %s\n", what.c_str());
  return false;
}

// y = Relu(x @ w + b) with w = [[1, 2], [3, 4], [5, 6]], b = [0.5, -20]: small integers, so
// the float results are exact.
bool check_affine(const std::string& weights_path) {
  affine::Options options;
  options.executor.threads = 1;
  options.weights_path = weights_path;
  std::unique_ptr<affine> model;
  rt::Status s = affine::create(options, &model);
  if (!s.is_ok()) return fail("affine::create: " + s.message());
  const float x[6] = {1, 2, 3, -1, 0, 1};
  const float want[4] = {22.5f, 8.0f, 4.5f, 0.0f};
  float y[4] = {};
  s = model->run(x, y);
  if (!s.is_ok()) return fail("affine::run: " + s.message());
  for (int i = 0; i < 4; ++i) {
    if (y[i] != want[i]) {
      return fail("affine output " + std::to_string(i) + " is " + std::to_string(y[i]) +
                  ", expected " + std::to_string(want[i]));
    }
  }
  std::printf("affine: output matches (weights mapped from %s)\n", weights_path.c_str());
  return true;
}

// Runs one tiny_branchy instance kRunsPerThread times and compares every output.
void run_instance(tiny_branchy* model, const td::HostTensor& input, const td::HostTensor& expected,
                  std::atomic<int>* mismatches, std::string* error) {
  td::HostTensor actual;
  actual.name = expected.name;
  actual.dtype = tiny_branchy::kOutputDTypes[0];
  actual.dims.assign(tiny_branchy::kOutput0Shape.begin(), tiny_branchy::kOutput0Shape.end());
  actual.bytes.resize(expected.bytes.size());
  for (int r = 0; r < kRunsPerThread; ++r) {
    std::memset(actual.bytes.data(), 0xff, actual.bytes.size());  // NaN: unwritten cannot match
    rt::Status s = model->run(reinterpret_cast<const float*>(input.bytes.data()),
                              reinterpret_cast<float*>(actual.bytes.data()));
    if (!s.is_ok()) {
      *error = "tiny_branchy::run: " + s.message();
      ++*mismatches;
      return;
    }
    // The defaults of parallax-run --compare.
    const td::Comparison c = td::compare(actual, expected, 1e-3, 1e-7);
    if (!c.ok) {
      *error = "run " + std::to_string(r) + ": " +
               (c.problem.empty() ? "max_abs_err " + std::to_string(c.max_abs_err) : c.problem);
      ++*mismatches;
      return;
    }
  }
}

bool check_two_threads(const std::string& data_dir) {
  td::HostTensor input, expected;
  rt::Status s = td::read_tensor_file(data_dir + "/input_0.pb", &input);
  if (s.is_ok()) s = td::read_tensor_file(data_dir + "/output_0.pb", &expected);
  if (!s.is_ok()) return fail(s.message());
  if (input.numel() != tiny_branchy::kInputNumel[0] ||
      expected.numel() != tiny_branchy::kOutputNumel[0]) {
    return fail("the test data does not have tiny_branchy's shapes");
  }
  std::unique_ptr<tiny_branchy> a, b;
  tiny_branchy::Options options;
  options.executor.threads = 1;
  s = tiny_branchy::create(options, &a);
  if (s.is_ok()) s = tiny_branchy::create(options, &b);
  if (!s.is_ok()) return fail("tiny_branchy::create: " + s.message());
  std::atomic<int> mismatches{0};
  std::string error_a, error_b;
  std::thread ta(run_instance, a.get(), std::cref(input), std::cref(expected), &mismatches,
                 &error_a);
  std::thread tb(run_instance, b.get(), std::cref(input), std::cref(expected), &mismatches,
                 &error_b);
  ta.join();
  tb.join();
  if (mismatches != 0) {
    return fail("tiny_branchy from two threads: " + (error_a.empty() ? error_b : error_a));
  }
  std::printf("tiny_branchy: 2 instances x %d concurrent runs match %s/output_0.pb\n",
              kRunsPerThread, data_dir.c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: parallax_two_models_test TINY_TEST_DATA_DIR AFFINE_WEIGHTS_BIN\n");
    return 2;
  }
  const bool affine_ok = check_affine(argv[2]);
  const bool threads_ok = check_two_threads(argv[1]);
  return affine_ok && threads_ok ? 0 : 1;
}
