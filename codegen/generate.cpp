#include "codegen/generate.h"

#include <utility>
#include <vector>

#include "codegen/program_builder.h"
#include "codegen/write_files.h"

namespace parallax::codegen {

rt::Status generate_cpp(ir::Graph&& graph, const ir::Plan& plan, const EmitOptions& options,
                        const std::string& dir) {
  rt::Program program;
  PARALLAX_RETURN_IF_ERROR(build_program(std::move(graph), plan, &program));
  std::vector<GeneratedFile> files;
  PARALLAX_RETURN_IF_ERROR(emit_cpp(program, options, &files));
  return write_files(dir, files);
}

}  // namespace parallax::codegen
