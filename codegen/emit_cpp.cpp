#include "codegen/emit_cpp.h"

#include <set>
#include <string>
#include <vector>

#include "codegen/cpp_text.h"
#include "codegen/emit_parts.h"
#include "parallax/runtime/executor.h"
#include "parallax/runtime/mapped_file.h"

namespace parallax::codegen {
namespace {

// One row per dtype generated code can name: the rt::DType enumerator and the C++ element type
// of the typed API ("" where there is none: strings cross the API only as tensors).
struct DTypeSpelling {
  rt::DType dtype;
  const char* enumerator;
  const char* ctype;
};

constexpr DTypeSpelling kDTypeSpellings[] = {
    {rt::DType::kFloat32, "kFloat32", "float"},
    {rt::DType::kUInt8, "kUInt8", "uint8_t"},
    {rt::DType::kInt8, "kInt8", "int8_t"},
    {rt::DType::kUInt16, "kUInt16", "uint16_t"},
    {rt::DType::kInt16, "kInt16", "int16_t"},
    {rt::DType::kInt32, "kInt32", "int32_t"},
    {rt::DType::kInt64, "kInt64", "int64_t"},
    {rt::DType::kString, "kString", ""},
    {rt::DType::kBool, "kBool", "bool"},
    {rt::DType::kFloat16, "kFloat16", "::parallax::rt::float16"},
    {rt::DType::kFloat64, "kFloat64", "double"},
    {rt::DType::kUInt32, "kUInt32", "uint32_t"},
    {rt::DType::kUInt64, "kUInt64", "uint64_t"},
    {rt::DType::kBFloat16, "kBFloat16", "::parallax::rt::bfloat16"},
};

const DTypeSpelling* spelling_of(rt::DType t) {
  for (const DTypeSpelling& s : kDTypeSpellings)
    if (s.dtype == t) return &s;
  return nullptr;
}

}  // namespace

const char* dtype_enum(rt::DType t) {
  const DTypeSpelling* s = spelling_of(t);
  return s ? s->enumerator : "kUndefined";
}

const char* dtype_ctype(rt::DType t) {
  const DTypeSpelling* s = spelling_of(t);
  return s ? s->ctype : "";
}

namespace {

rt::Status describe_io(const rt::Program& p, const std::vector<int32_t>& ids, const char* what,
                       std::set<std::string>* taken, std::vector<ModelIo>* out) {
  for (int32_t id : ids) {
    const rt::TensorInfo& t = p.tensors[id];
    ModelIo io;
    io.tensor = id;
    io.ctype = dtype_ctype(t.dtype);
    if (io.ctype.empty()) {
      return rt::Status::unsupported(std::string(what) + " '" + t.name + "' has dtype " +
                                     rt::dtype_name(t.dtype) +
                                     ", which generated code cannot pass (tensor dtypes only)");
    }
    io.ident = make_identifier(t.name, taken);
    io.static_shape = t.rank_known;
    int64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0) io.static_shape = false;
      numel *= d < 0 ? 1 : d;
    }
    io.numel = io.static_shape ? numel : -1;
    out->push_back(std::move(io));
  }
  return rt::Status::ok();
}

}  // namespace

const char* weights_mode_name(WeightsMode m) {
  switch (m) {
    case WeightsMode::kFile:
      return "file";
    case WeightsMode::kCArray:
      return "c-array";
    default:
      return "embed";
  }
}

std::string shape_text(const rt::TensorInfo& t) {
  if (!t.rank_known) return "[unknown rank]";
  std::string s;
  for (int64_t d : t.shape) s += (s.empty() ? "" : ", ") + (d < 0 ? "?" : std::to_string(d));
  return "[" + s + "]";
}

std::string default_model_name(const std::string& model_path) {
  std::string stem = model_path.substr(model_path.find_last_of('/') + 1);
  const size_t dot = stem.find('.');
  if (dot != std::string::npos && dot > 0) stem.resize(dot);
  std::set<std::string> taken;
  return make_identifier(stem, &taken);
}

rt::Status emit_cpp(const rt::Program& p, const EmitOptions& options,
                    std::vector<GeneratedFile>* out) {
  if (!is_cpp_identifier(options.name)) {
    return rt::Status::invalid("model name '" + options.name +
                               "' is not a C++ identifier (letters, digits, '_'; no keyword)");
  }
  if (p.graphs.empty()) return rt::Status::internal("program without a main graph");
  ModelFacts f;
  f.program = &p;
  f.options = options;
  std::set<std::string> taken;
  PARALLAX_RETURN_IF_ERROR(describe_io(p, p.main().inputs, "input", &taken, &f.inputs));
  PARALLAX_RETURN_IF_ERROR(describe_io(p, p.main().outputs, "output", &taken, &f.outputs));
  f.typed_run = true;
  for (const ModelIo& io : f.inputs) f.typed_run = f.typed_run && io.static_shape;
  for (const ModelIo& io : f.outputs) f.typed_run = f.typed_run && io.static_shape;
  f.weights_symbol = "parallax_model_" + options.name + "_weights";

  // The blob padded to 64 bytes with room for kernels that read a little past a tensor's end
  // (never empty, so .incbin and the array always have something to point at).
  const uint64_t bytes = p.weight_bytes();
  std::string padded(reinterpret_cast<const char*>(p.weight_data()), bytes);
  padded.resize((bytes + rt::kArenaSlackBytes + 63) / 64 * 64, '\0');
  f.weights_checksum = rt::weights_checksum(p.weight_data(), bytes);
  f.weights_file_bytes = padded.size();

  const std::string& n = options.name;
  std::vector<GeneratedFile> files;
  files.push_back({n + ".h", emit_header(f)});
  files.push_back({n + ".cpp", emit_source(f)});
  if (options.weights == WeightsMode::kCArray) {
    files.push_back({n + "_weights.cpp", emit_weights_array(f, padded)});
  } else {
    files.push_back({n + ".weights.bin", std::move(padded)});
  }
  if (options.runner) {
    files.push_back({n + "_runner.cpp", emit_runner(f)});
    files.push_back({"CMakeLists.txt", emit_runner_cmake(f)});
  }
  *out = std::move(files);
  return rt::Status::ok();
}

}  // namespace parallax::codegen
