// Emits a Program as C++ source: the generated API of `parallax-compile MODEL -o DIR --name NAME`.
//
// The Program is the one codegen/program_builder.h lowers for the interpreter, so generated code
// and parallax-run share one lowering and one executor; this writes it out as constant tables
// (runtime/include/parallax/runtime/static_model.h) plus a small typed class:
//
//   NAME.h               class parallax::models::NAME: constexpr names, dtypes and shapes of
//                        the inputs and outputs, arena_bytes(); create(), typed run(), output().
//   NAME.cpp             tensor table (arena offsets), step tables per graph (main + bodies),
//                        branch table (successors, processor, threads), processors, attributes.
//   NAME.weights.bin     the constant bytes (embed: pulled in by `.incbin`; file: mapped at
//                        create from ModelOptions::weights_path); padded to 64 bytes.
//   NAME_weights.cpp     c-array mode only: the bytes as a string literal.
//   NAME_runner.cpp,     runner mode only: a test-data checker and its standalone CMake project
//   CMakeLists.txt       (see codegen/emit_runner.h).
//
// Deterministic: the files depend only on the Program and the options (no time, no paths).
// See docs/codegen.md for the API and how to build the output.
#pragma once

#include <string>
#include <vector>

#include "parallax/runtime/program.h"
#include "parallax/runtime/status.h"

namespace parallax::codegen {

namespace rt = ::parallax::rt;

enum class WeightsMode { kEmbed, kFile, kCArray };

struct EmitOptions {
  std::string name;  // the class and file name stem; must be a C++ identifier
  WeightsMode weights = WeightsMode::kEmbed;
  bool runner = false;
  std::string source;  // the model's file name (no folder), for the banner comment
};

struct GeneratedFile {
  std::string name;      // a plain file name inside the output folder
  std::string contents;  // text, or the raw weight bytes
};

// Fails with kInvalidArgument when options.name is not a valid identifier, and with
// kUnsupported when an input or output has a dtype generated code cannot type (string).
rt::Status emit_cpp(const rt::Program& program, const EmitOptions& options,
                    std::vector<GeneratedFile>* out);

// The model file's stem made into an identifier ("models/resnet-18.onnx" -> "resnet_18").
std::string default_model_name(const std::string& model_path);

const char* weights_mode_name(WeightsMode m);

}  // namespace parallax::codegen
