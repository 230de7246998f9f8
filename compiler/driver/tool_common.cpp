#include "compiler/driver/tool_common.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "compiler/ir/verifier.h"

namespace parallax::driver {

rt::Status parse_input_shapes(const std::vector<std::string>& flags, import::ImportOptions* options) {
  for (const std::string& f : flags) {
    const size_t eq = f.rfind('=');
    if (eq == std::string::npos || eq == 0) {
      return rt::Status::invalid("--input-shape '" + f + "' is not of the form name=AxBxC");
    }
    std::vector<int64_t> dims;
    PARALLAX_RETURN_IF_ERROR(import::parse_dims(f.substr(eq + 1), &dims).with_context("--input-shape"));
    options->input_shapes[f.substr(0, eq)] = dims;
  }
  return rt::Status::ok();
}

rt::Status load_ir(const std::string& path, const import::ImportOptions& options, ir::Graph* out) {
  PARALLAX_RETURN_IF_ERROR(import::import_model(path, options, out));
  rt::Status v = ir::verify(*out);
  if (!v.is_ok()) return rt::Status::internal("the imported IR is malformed: " + v.message());
  return rt::Status::ok();
}

ResidentMemory resident_memory() {
  ResidentMemory m;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) m.now_kib = std::atol(line.c_str() + 6);
    if (line.rfind("VmHWM:", 0) == 0) m.peak_kib = std::atol(line.c_str() + 6);
  }
  return m;
}

void trace_memory(const char* stage) {
  static const bool enabled = std::getenv("PARALLAX_TRACE_MEMORY") != nullptr;
  if (!enabled) return;
  const ResidentMemory m = resident_memory();
  std::fprintf(stderr, "memory %s: rss=%ld peak=%ld MiB\n", stage, m.now_kib / 1024,
               m.peak_kib / 1024);
}

int report(const char* tool, const rt::Status& s, int exit_code) {
  // Names come from the model file; escape control bytes so the error stays one line.
  std::string line;
  for (unsigned char c : s.message()) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      line += buf;
    } else {
      line += static_cast<char>(c);
    }
  }
  std::fprintf(stderr, "%s: error: %s\n", tool, line.c_str());
  return exit_code;
}

}  // namespace parallax::driver
