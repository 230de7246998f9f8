// Internal to codegen/emit_*.cpp: the facts every generated file needs, computed once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "codegen/emit_cpp.h"

namespace parallax::codegen {

// A main-graph input or output as the typed API sees it.
struct ModelIo {
  int32_t tensor = -1;
  std::string ident;  // its parameter / accessor name
  std::string ctype;  // the C++ element type ("float", "int64_t", "::parallax::rt::float16")
  bool static_shape = false;
  int64_t numel = -1;  // -1 when not static
};

struct ModelFacts {
  const rt::Program* program = nullptr;
  EmitOptions options;
  std::vector<ModelIo> inputs, outputs;
  bool typed_run = false;      // every input and output has a static shape
  std::string weights_symbol;  // assembler name of the linked-in blob
  uint64_t weights_checksum = 0;
  uint64_t weights_file_bytes = 0;  // the .bin's size (the blob padded; never 0)
};

std::string emit_header(const ModelFacts& f);
std::string emit_source(const ModelFacts& f);
std::string emit_weights_array(const ModelFacts& f, const std::string& padded_bytes);
std::string emit_runner(const ModelFacts& f);
std::string emit_runner_cmake(const ModelFacts& f);

// The rt::DType enumerator's name ("kFloat32"; "kUndefined" for a dtype without one).
const char* dtype_enum(rt::DType t);
// The C++ element type of a dtype in the typed API ("float"); "" when there is none.
const char* dtype_ctype(rt::DType t);

// "[1, 3, 224, 224]", "[?, 10]", "[unknown rank]".
std::string shape_text(const rt::TensorInfo& t);

}  // namespace parallax::codegen
