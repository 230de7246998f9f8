// Static models (what generated code holds): tables -> Program with a non-owning weights view,
// kernels looked up by op, weights from a mapped file with a checksum, a caller-provided arena.
#include "parallax/runtime/static_model.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "parallax/runtime/mapped_file.h"

namespace parallax::test {
namespace {

using namespace parallax::rt;

// y = Add(x, c), c = {10, 20, 30, 40} from the weights; y planned into a 64-byte arena.
alignas(64) const float kBlob[16] = {10, 20, 30, 40};
constexpr int32_t kIds[] = {0, 1, 2, 0, 2};  // step inputs, step output, graph input, graph output
constexpr int64_t kInts[] = {4};
constexpr StaticTensor kTensors[] = {
    {"x", DType::kFloat32, TensorKind::kInput, 1, 0, 0, 0, -1},
    {"c", DType::kFloat32, TensorKind::kConstant, 1, 0, 0, 0, -1},
    {"y", DType::kFloat32, TensorKind::kIntermediate, 1, 0, 0, 16, 0},
};
constexpr StaticStep kSteps[] = {{"add", "Add", "", 14, 2, 0, 1, 2, 0, 0, 0, 0}};
constexpr StaticStep kBadSteps[] = {{"bad", "NoSuchOp", "", 14, 2, 0, 1, 2, 0, 0, 0, 0}};
constexpr StaticGraph kGraphs[] = {{"main", 1, 3, 1, 4, 1, kSteps}};
constexpr StaticGraph kBadGraphs[] = {{"main", 1, 3, 1, 4, 1, kBadSteps}};

StaticModel model(const StaticGraph* graphs) {
  return {"tiny",
          kTensors,
          3,
          graphs,
          1,
          nullptr,
          0,
          nullptr,
          0,
          nullptr,
          kIds,
          kInts,
          nullptr,
          nullptr,
          64,
          16,
          weights_checksum(reinterpret_cast<const uint8_t*>(kBlob), 16)};
}

const uint8_t* blob() { return reinterpret_cast<const uint8_t*>(kBlob); }

TEST_CASE("static model runs on its linked-in weights without copying them", "[static_model]") {
  std::unique_ptr<ModelInstance> m;
  REQUIRE(ModelInstance::create(model(kGraphs), blob(), ModelOptions{}, &m).is_ok());
  CHECK(m->program().weight_data() == blob());
  CHECK(m->program().weights.empty());
  const float x[4] = {1, 2, 3, 4};
  float y[4] = {};
  const void* in[] = {x};
  void* out[] = {y};
  REQUIRE(m->run(in, out).is_ok());
  CHECK(y[0] == 11.0f);
  CHECK(y[3] == 44.0f);
}

TEST_CASE("static model names every op without a kernel", "[static_model]") {
  std::unique_ptr<ModelInstance> m;
  const Status s = ModelInstance::create(model(kBadGraphs), blob(), ModelOptions{}, &m);
  CHECK(s.code() == StatusCode::kUnsupported);
  CHECK(s.message() ==
        "model 'tiny': this runtime has no kernel for node 'bad' (NoSuchOp opset 14)");
}

TEST_CASE("static model maps its weights file and rejects a foreign one", "[static_model]") {
  const std::string good = "static_model_test_good.bin", bad = "static_model_test_bad.bin";
  const float other[16] = {1};
  for (const auto& [path, data] : {std::pair{good, kBlob}, std::pair{bad, other}}) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fwrite(data, sizeof(float), 16, f);
    std::fclose(f);
  }
  ModelOptions o;
  std::unique_ptr<ModelInstance> m;
  CHECK(ModelInstance::create(model(kGraphs), nullptr, o, &m).message() ==
        "model 'tiny' reads its weights from a file: set ModelOptions::weights_path");
  o.weights_path = bad;
  CHECK(ModelInstance::create(model(kGraphs), nullptr, o, &m)
            .message()
            .find("does not belong to model 'tiny'") != std::string::npos);
  o.weights_path = "no_such_file.bin";
  CHECK(ModelInstance::create(model(kGraphs), nullptr, o, &m)
            .message()
            .find("cannot open weights file 'no_such_file.bin'") != std::string::npos);
  o.weights_path = good;
  REQUIRE(ModelInstance::create(model(kGraphs), nullptr, o, &m).is_ok());
  const float x[4] = {1, 1, 1, 1};
  const void* in[] = {x};
  REQUIRE(m->run(in, nullptr).is_ok());
  CHECK(m->output(0).data_as<float>()[1] == 21.0f);
  m.reset();
  std::remove(good.c_str());
  std::remove(bad.c_str());
}

TEST_CASE("executor uses a caller-provided arena and checks it", "[static_model]") {
  alignas(64) static uint8_t arena[128];
  ModelOptions o;
  std::unique_ptr<ModelInstance> m;
  o.executor.arena = arena + 8;
  o.executor.arena_size = 100;
  CHECK(ModelInstance::create(model(kGraphs), blob(), o, &m).code() ==
        StatusCode::kInvalidArgument);
  o.executor.arena = arena;
  o.executor.arena_size = 64;  // no room for the read slack
  CHECK(ModelInstance::create(model(kGraphs), blob(), o, &m).message() ==
        "the caller's arena must be 64-byte aligned and hold 80 bytes; got 64");
  o.executor.arena_size = 64 + kArenaSlackBytes;
  REQUIRE(ModelInstance::create(model(kGraphs), blob(), o, &m).is_ok());
  const float x[4] = {0, 0, 0, 1};
  const void* in[] = {x};
  REQUIRE(m->run(in, nullptr).is_ok());
  CHECK(m->output(0).data == arena);
  CHECK(m->output(0).data_as<float>()[3] == 41.0f);
}

}  // namespace
}  // namespace parallax::test
