// What parallax-run and parallax-compile share: --input-shape parsing, model loading with
// verification, and the mapping from a Status to the tools' exit codes and error line.
//
//   ImportOptions opts;
//   if (Status s = parse_input_shapes(flags, &opts); !s.is_ok()) return report("parallax-run", s);
#pragma once

#include <string>
#include <vector>

#include "compiler/import/importer.h"
#include "compiler/ir/graph.h"
#include "parallax/runtime/status.h"

namespace parallax::driver {

namespace rt = ::parallax::rt;

// Exit codes of both tools.
constexpr int kExitOk = 0;
constexpr int kExitMismatch = 1;     // outputs differ, or a run-time error
constexpr int kExitUnsupported = 2;  // invalid or unsupported model

// Parses "name=1x3x224x224" flags into options->input_shapes.
rt::Status parse_input_shapes(const std::vector<std::string>& flags, import::ImportOptions* options);

// import_model + ir::verify. A verifier failure is reported as an internal error.
rt::Status load_ir(const std::string& path, const import::ImportOptions& options, ir::Graph* out);

// This process's resident memory now and its high-water mark, in KiB (VmRSS and VmHWM of
// /proc/self/status; -1 where unknown). The peak is this process image's own: getrusage's
// ru_maxrss also keeps the size of the process image before exec (e.g. a Python parent's).
struct ResidentMemory {
  long now_kib = -1;
  long peak_kib = -1;
};
ResidentMemory resident_memory();

// With PARALLAX_TRACE_MEMORY set in the environment, prints "memory <stage>: rss=R peak=P MiB"
// to stderr; shows which stage of loading sets the peak. Otherwise does nothing.
void trace_memory(const char* stage);

// Prints "<tool>: error: <message>" to stderr and returns `exit_code`.
int report(const char* tool, const rt::Status& s, int exit_code);

}  // namespace parallax::driver
