// Helpers for the compiler tests: temporary model files and small lookups in the IR.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "compiler/ir/graph.h"

namespace parallax::test {

// A fresh folder under the system temp dir, one per call.
inline std::filesystem::path temp_dir() {
  static std::mt19937_64 rng(std::random_device{}());
  auto dir = std::filesystem::temp_directory_path() / ("parallax_compiler_test_" + std::to_string(rng()));
  std::filesystem::create_directories(dir);
  return dir;
}

// Writes `content` to `dir`/`name` and returns the path.
inline std::string write_file(const std::filesystem::path& dir, const std::string& name,
                              const std::string& content) {
  const auto path = dir / name;
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

// "{v0, v1, ...}": n deterministic values in [lo, hi), for inline initializers of text models.
inline std::string values(int n, uint32_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::string s = "{";
  for (int i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(d(rng));
  return s + "}";
}

// Id of the first value called `name`, or -1.
inline ir::ValueId find_value(const ir::Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.values.size(); ++i)
    if (g.values[i].name == name) return static_cast<ir::ValueId>(i);
  return -1;
}

// Number of nodes of `op_type` in all regions.
inline int count_ops(const ir::Graph& g, const std::string& op_type) {
  int n = 0;
  for (const ir::Node& node : g.nodes) n += node.op_type == op_type;
  return n;
}

}  // namespace parallax::test
