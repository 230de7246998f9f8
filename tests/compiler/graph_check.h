// Helpers for compiler tests that run graphs: import a text model, run a graph through the
// reference executor on deterministic inputs, and compare two graphs' outputs (a rewrite must
// not change what the model computes).
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "codegen/program_builder.h"
#include "compiler/import/importer.h"
#include "compiler/ir/verifier.h"
#include "parallax/runtime/executor.h"
#include "test_util.h"

namespace parallax::test {

inline ir::Graph import_text(const std::string& text) {
  ir::Graph g;
  const std::string path = write_file(temp_dir(), "m.onnxtxt", text);
  rt::Status s = import::import_model(path, {}, &g);
  INFO(s.message());
  REQUIRE(s.is_ok());
  REQUIRE(ir::verify(g).is_ok());
  return g;
}

// Runs g on deterministic inputs (float in [-2, 2), integers in [0, 3)); outputs as doubles.
inline std::vector<std::vector<double>> run(const ir::Graph& g) {
  rt::Program p;
  rt::Status s = codegen::build_program(g, &p);
  INFO(s.message());
  REQUIRE(s.is_ok());
  std::unique_ptr<rt::Executor> ex;
  REQUIRE(rt::Executor::create(&p, &ex).is_ok());
  std::mt19937 rng(11);
  std::vector<std::vector<uint8_t>> storage(ex->input_count());
  for (int i = 0; i < ex->input_count(); ++i) {
    const rt::TensorInfo& info = ex->input_info(i);
    rt::Tensor t;
    t.dtype = info.dtype;
    REQUIRE(rt::Shape::from(info.shape.data(), static_cast<int>(info.shape.size()), &t.shape));
    storage[i].resize(t.nbytes() + 1);
    t.data = storage[i].data();
    for (int64_t k = 0; k < t.numel(); ++k) {
      if (t.dtype == rt::DType::kFloat32) {
        t.data_as<float>()[k] = std::uniform_real_distribution<float>(-2.0f, 2.0f)(rng);
      } else {
        REQUIRE(t.dtype == rt::DType::kInt64);
        t.data_as<int64_t>()[k] = std::uniform_int_distribution<int64_t>(0, 2)(rng);
      }
    }
    REQUIRE(ex->set_input(i, t).is_ok());
  }
  s = ex->run();
  INFO(s.message());
  REQUIRE(s.is_ok());
  std::vector<std::vector<double>> out;
  for (int i = 0; i < ex->output_count(); ++i) {
    const rt::Tensor& t = ex->output(i);
    std::vector<double> v(t.numel());
    for (int64_t k = 0; k < t.numel(); ++k) {
      v[k] = t.dtype == rt::DType::kFloat32 ? t.data_as<float>()[k]
                                            : static_cast<double>(t.data_as<int64_t>()[k]);
    }
    out.push_back(std::move(v));
  }
  return out;
}

// Every output of `after` equals `before`'s within tol * max(1, max |reference|).
inline void check_same_outputs(const ir::Graph& before, const ir::Graph& after, double tol = 1e-5) {
  const auto want = run(before);
  const auto got = run(after);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    REQUIRE(got[i].size() == want[i].size());
    double scale = 1.0;
    for (double v : want[i]) scale = std::max(scale, std::fabs(v));
    for (size_t k = 0; k < want[i].size(); ++k) {
      INFO("output " << i << " element " << k);
      CHECK(std::fabs(got[i][k] - want[i][k]) <= tol * scale);
    }
  }
}

}  // namespace parallax::test
