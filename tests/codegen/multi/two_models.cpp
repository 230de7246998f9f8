// Two generated models in one executable, and two instances of one model on two threads.
//
//   two_models TINY_DATA_DIR COND_DATA_DIR COND_WEIGHTS_BIN
// TINY_DATA_DIR / COND_DATA_DIR hold input_<i>.pb and output_<i>.pb of the tiny_branchy example
// and the ONNX If node test. Exit 0 when every run matches its expected outputs.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cond.h"
#include "parallax/testdata/tensor_io.h"
#include "tiny.h"

namespace {

namespace rt = ::parallax::rt;
namespace td = ::parallax::testdata;

struct Data {
  std::vector<td::HostTensor> inputs, outputs;
  std::vector<rt::Tensor> views;
};

bool load(const std::string& dir, int inputs, int outputs, Data* d) {
  d->inputs.resize(inputs);
  d->outputs.resize(outputs);
  d->views.resize(inputs);
  for (int i = 0; i < inputs; ++i) {
    if (!td::read_tensor_file(dir + "/input_" + std::to_string(i) + ".pb", &d->inputs[i]).is_ok() ||
        !d->inputs[i].view(&d->views[i]).is_ok())
      return false;
  }
  for (int k = 0; k < outputs; ++k) {
    if (!td::read_tensor_file(dir + "/output_" + std::to_string(k) + ".pb", &d->outputs[k]).is_ok())
      return false;
  }
  return true;
}

// Runs `model` `runs` times on `d`, checking every output each time; returns the failures.
template <typename Model>
int check(Model& model, const Data& d, int runs, const char* who) {
  int bad = 0;
  for (int r = 0; r < runs; ++r) {
    rt::Status s = model.run(d.views.data());
    if (!s.is_ok()) {
      std::printf("%s: run %d: %s\n", who, r, s.message().c_str());
      return bad + 1;
    }
    for (int k = 0; k < Model::kOutputCount; ++k) {
      const td::Comparison c =
          td::compare(td::host_from_view(model.output(k), ""), d.outputs[k], 1e-4, 1e-5);
      if (!c.ok) {
        std::printf("%s: run %d output %d: MISMATCH max_abs_err=%g %s\n", who, r, k, c.max_abs_err,
                    c.problem.c_str());
        ++bad;
      }
    }
  }
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  using parallax::models::cond;
  using parallax::models::tiny;
  if (argc != 4) {
    std::fprintf(stderr, "usage: two_models TINY_DATA_DIR COND_DATA_DIR COND_WEIGHTS_BIN\n");
    return 2;
  }
  Data tiny_data, cond_data;
  if (!load(argv[1], tiny::kInputCount, tiny::kOutputCount, &tiny_data) ||
      !load(argv[2], cond::kInputCount, cond::kOutputCount, &cond_data)) {
    std::fprintf(stderr, "two_models: cannot read the test data\n");
    return 2;
  }
  // Two instances of tiny, each on its own thread with its own two workers, plus one of cond
  // (weights from a mapped file) on the main thread at the same time.
  std::unique_ptr<tiny> a, b;
  std::unique_ptr<cond> c;
  tiny::Options topt;
  topt.executor.threads = 2;
  cond::Options copt;
  copt.executor.threads = 1;
  copt.weights_path = argv[3];
  // A caller-provided arena for one of the two tiny instances.
  std::vector<unsigned char> arena(tiny::arena_bytes() + 64);
  tiny::Options aopt = topt;
  if (tiny::arena_bytes() > 0) {
    const size_t skew = (64 - reinterpret_cast<uintptr_t>(arena.data()) % 64) % 64;
    aopt.executor.arena = arena.data() + skew;
    aopt.executor.arena_size = tiny::arena_bytes();
  }
  for (rt::Status s : {tiny::create(aopt, &a), tiny::create(topt, &b), cond::create(copt, &c)}) {
    if (!s.is_ok()) {
      std::fprintf(stderr, "two_models: create: %s\n", s.message().c_str());
      return 1;
    }
  }
  int bad_a = 0, bad_b = 0;
  std::thread ta([&] { bad_a = check(*a, tiny_data, 50, "tiny#1"); });
  std::thread tb([&] { bad_b = check(*b, tiny_data, 50, "tiny#2"); });
  const int bad_c = check(*c, cond_data, 50, "cond");
  ta.join();
  tb.join();
  std::printf("two_models: tiny#1 %d, tiny#2 %d, cond %d failing runs of 50 each\n", bad_a, bad_b,
              bad_c);
  return bad_a + bad_b + bad_c == 0 ? 0 : 1;
}
