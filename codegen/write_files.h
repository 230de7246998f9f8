// Writes generated files into a folder, all or nothing: every file goes to a temporary name
// in the folder first and is renamed over its final name only once all of them are written,
// so an error (disk full, a bad folder) never leaves a half-written set behind.
//
//   std::vector<GeneratedFile> files;
//   rt::Status s = emit_cpp(program, options, &files);
//   if (s.is_ok()) s = write_files("out/resnet18", files);
#pragma once

#include <string>
#include <vector>

#include "codegen/emit_cpp.h"

namespace parallax::codegen {

// Creates `dir` (and its parents) when missing.
rt::Status write_files(const std::string& dir, const std::vector<GeneratedFile>& files);

}  // namespace parallax::codegen
