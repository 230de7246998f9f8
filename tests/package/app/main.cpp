// package_app TEST_DATA_DIR: runs the generated tiny_branchy on input_0.pb and compares the
// result with output_0.pb (parallax-run --compare's tolerances). Exit 0 match, 1 mismatch or
// run error, 2 unreadable test data.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "parallax/testdata/tensor_io.h"
#include "tiny_branchy.h"

int main(int argc, char** argv) {
  namespace td = parallax::testdata;
  using Model = parallax::models::tiny_branchy;
  if (argc != 2) {
    std::fprintf(stderr, "usage: package_app TEST_DATA_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  td::HostTensor input, expected;
  parallax::rt::Status s = td::read_tensor_file(dir + "/input_0.pb", &input);
  if (s.is_ok()) s = td::read_tensor_file(dir + "/output_0.pb", &expected);
  if (!s.is_ok() || input.numel() != Model::kInputNumel[0] ||
      expected.numel() != Model::kOutputNumel[0]) {
    std::fprintf(stderr, "package_app: bad test data: %s\n", s.message().c_str());
    return 2;
  }
  std::unique_ptr<Model> model;
  s = Model::create(Model::Options(), &model);
  // Same name, dtype and shape as expected; NaN bytes, so an output never written cannot match.
  td::HostTensor actual = expected;
  std::memset(actual.bytes.data(), 0xff, actual.bytes.size());
  if (s.is_ok()) {
    s = model->run(reinterpret_cast<const float*>(input.bytes.data()),
                   reinterpret_cast<float*>(actual.bytes.data()));
  }
  if (!s.is_ok()) {
    std::fprintf(stderr, "package_app: %s\n", s.message().c_str());
    return 1;
  }
  const td::Comparison c = td::compare(actual, expected, 1e-3, 1e-7);
  std::printf("package_app: %s %s max_abs_err=%.3g %s\n", Model::kName,
              td::summarize(actual).c_str(), c.max_abs_err, c.ok ? "ok" : "MISMATCH");
  return c.ok ? 0 : 1;
}
