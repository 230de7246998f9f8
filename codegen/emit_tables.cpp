// NAME.cpp: the Program as constant tables, the weights hookup and the class's out-of-line methods.
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/cpp_text.h"
#include "codegen/emit_parts.h"

namespace parallax::codegen {
namespace {

const char* kind_name(rt::TensorKind k) {
  switch (k) {
    case rt::TensorKind::kInput:
      return "Kind::kInput";
    case rt::TensorKind::kConstant:
      return "Kind::kConstant";
    default:
      return "Kind::kIntermediate";
  }
}

// A pool of list elements shared by the tables: each list is one line with a comment saying
// whose it is, and is referred to by its offset.
class Pool {
 public:
  template <typename T, typename Fmt>
  int32_t add(const std::vector<T>& items, const std::string& what, Fmt fmt) {
    const int32_t at = size_;
    if (items.empty()) return 0;
    text_ += "   ";
    for (const T& v : items) text_ += " " + fmt(v) + ",";
    text_ += "  // " + std::to_string(at) + ": " + what + "\n";
    size_ += static_cast<int32_t>(items.size());
    return at;
  }
  // "constexpr T kName[] = {...};", or nothing when empty (the model then passes nullptr).
  std::string define(const char* type, const char* name) const {
    if (size_ == 0) return "";
    return std::string("constexpr ") + type + " " + name + "[] = {\n" + text_ + "};\n\n";
  }
  bool empty() const { return size_ == 0; }

 private:
  std::string text_;
  int32_t size_ = 0;
};

std::string id_text(int32_t id) { return std::to_string(id); }

// "1 graph", "3 graphs", "2 branches".
std::string count(size_t n, const std::string& noun) {
  const bool es = noun.back() == 'h';
  return std::to_string(n) + " " + noun + (n == 1 ? "" : es ? "es" : "s");
}

struct Tables {
  Pool ids, ints, floats, strings, attrs;
  std::string out;
};

std::string attr_row(const rt::Attribute& a, const std::string& owner, Tables* t) {
  const std::string n = cpp_string(a.name);
  const std::string what = owner + "." + a.name;
  switch (a.kind) {
    case rt::Attribute::Kind::kFloat:
      return "rt::attr_f(" + n + ", " + cpp_float(a.f) + ")";
    case rt::Attribute::Kind::kInt:
      return "rt::attr_i(" + n + ", " + cpp_int(a.i) + ")";
    case rt::Attribute::Kind::kString:
      return "rt::attr_s(" + n + ", " + cpp_string(a.s) + ", " + std::to_string(a.s.size()) + ")";
    case rt::Attribute::Kind::kTensor:
      return "rt::attr_tensor(" + n + ", " + std::to_string(a.tensor) + ")";
    case rt::Attribute::Kind::kGraph:
      return "rt::attr_graph(" + n + ", " + std::to_string(a.graph) + ")";
    case rt::Attribute::Kind::kFloats: {
      const int32_t at = t->floats.add(a.floats, what, cpp_float);
      return "rt::attr_floats(" + n + ", " + std::to_string(a.floats.size()) + ", " +
             std::to_string(at) + ")";
    }
    case rt::Attribute::Kind::kInts: {
      const int32_t at = t->ints.add(a.ints, what, cpp_int);
      return "rt::attr_ints(" + n + ", " + std::to_string(a.ints.size()) + ", " +
             std::to_string(at) + ")";
    }
    case rt::Attribute::Kind::kStrings: {
      const int32_t at = t->strings.add(a.strings, what, [](const std::string& s) {
        return "{" + cpp_string(s) + ", " + std::to_string(s.size()) + "}";
      });
      return "rt::attr_strings(" + n + ", " + std::to_string(a.strings.size()) + ", " +
             std::to_string(at) + ")";
    }
  }
  return "";
}

std::string tensor_table(const rt::Program& p, Tables* t) {
  std::string s =
      "// Tensors: name, dtype, kind, rank (-1 = unknown), shape (offset in kInts; -1 = a "
      "run-time\n"
      "// dim), weight offset, max bytes, arena offset (-1 = not in the arena).\n"
      "constexpr rt::StaticTensor kTensors[] = {\n";
  for (size_t id = 0; id < p.tensors.size(); ++id) {
    const rt::TensorInfo& info = p.tensors[id];
    const std::string tid = "t" + std::to_string(id);
    const int32_t at = t->ints.add(info.shape, tid + " shape", cpp_int);
    s += "    {" + cpp_string(info.name) + ", DType::" + dtype_enum(info.dtype) + ", " +
         kind_name(info.kind) + ", " +
         std::to_string(info.rank_known ? static_cast<int64_t>(info.shape.size()) : -1) + ", " +
         std::to_string(at) + ", " + std::to_string(info.weight_offset) + ", " +
         std::to_string(info.max_bytes) + ", " + std::to_string(info.arena_offset) + "},  // " +
         tid + " " + shape_text(info) + "\n";
  }
  return s + "};\n\n";
}

// Who runs graph g (g > 0): "body 'body' of step 'Loop_0' (Loop) in graph 0".
std::string graph_owner(const rt::Program& p, size_t g) {
  for (size_t og = 0; og < p.graphs.size(); ++og) {
    for (const rt::Step& st : p.graphs[og].steps) {
      for (const rt::Attribute& a : st.attributes) {
        if (a.kind == rt::Attribute::Kind::kGraph && a.graph == static_cast<int32_t>(g)) {
          return "attribute '" + a.name + "' of step '" + st.name + "' (" + st.op_type +
                 ") in graph " + std::to_string(og);
        }
      }
    }
  }
  return "no step";
}

std::string list_text(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += (s.empty() ? "t" : ", t") + std::to_string(id);
  return "(" + s + ")";
}

std::string step_tables(const rt::Program& p, Tables* t, std::string* graph_rows) {
  std::string s =
      "// Steps per graph, in execution order: node name, op, domain, opset, inputs and outputs\n"
      "// (count, offset in kIds; input -1 = omitted, output ~id = unnamed), attributes (count,\n"
      "// offset in kAttrs), processor, branch.\n";
  std::string attr_rows;
  int32_t attr_count = 0;
  for (size_t g = 0; g < p.graphs.size(); ++g) {
    const rt::GraphProgram& gp = p.graphs[g];
    const std::string gname = "graph " + std::to_string(g);
    const int32_t in_at = t->ids.add(gp.inputs, gname + " inputs", id_text);
    const int32_t out_at = t->ids.add(gp.outputs, gname + " outputs", id_text);
    const std::string arr = "kSteps" + std::to_string(g);
    *graph_rows += "    {" + cpp_string(gp.name) + ", " + std::to_string(gp.inputs.size()) + ", " +
                   std::to_string(in_at) + ", " + std::to_string(gp.outputs.size()) + ", " +
                   std::to_string(out_at) + ", " + std::to_string(gp.steps.size()) + ", " +
                   (gp.steps.empty() ? "nullptr" : arr) + "},\n";
    if (gp.steps.empty()) continue;
    s += "// " + gname + " '" + gp.name + "'" +
         (g == 0 ? std::string(": the main graph") : ": " + graph_owner(p, g)) + "\n";
    s += "constexpr rt::StaticStep " + arr + "[] = {\n";
    for (size_t k = 0; k < gp.steps.size(); ++k) {
      const rt::Step& st = gp.steps[k];
      const std::string who = "'" + st.name + "'";
      std::vector<int32_t> outs;
      for (size_t o = 0; o < st.outputs.size(); ++o) {
        outs.push_back(o < st.output_wanted.size() && !st.output_wanted[o] ? ~st.outputs[o]
                                                                           : st.outputs[o]);
      }
      const int32_t i_at = t->ids.add(st.inputs, who + " inputs", id_text);
      const int32_t o_at = t->ids.add(outs, who + " outputs", id_text);
      const int32_t a_at = attr_count;
      if (!st.attributes.empty()) attr_rows += "    // " + std::to_string(a_at) + ": " + who + "\n";
      for (const rt::Attribute& a : st.attributes) {
        attr_rows += "    " + attr_row(a, who, t) + ",\n";
        ++attr_count;
      }
      s += "    // " + std::to_string(k) + ": " + (st.domain.empty() ? "" : st.domain + ".") +
           st.op_type + " " + list_text(st.inputs) + " -> " + list_text(st.outputs) + "\n";
      s += "    {" + cpp_string(st.name) + ", " + cpp_string(st.op_type) + ", " +
           cpp_string(st.domain) + ", " + std::to_string(st.opset) + ", " +
           std::to_string(st.inputs.size()) + ", " + std::to_string(i_at) + ", " +
           std::to_string(outs.size()) + ", " + std::to_string(o_at) + ", " +
           std::to_string(st.attributes.size()) + ", " + std::to_string(a_at) + ", " +
           std::to_string(st.processor) + ", " + std::to_string(st.branch) + "},\n";
    }
    s += "};\n\n";
  }
  if (attr_count > 0) {
    t->out +=
        "// Attributes of the steps (rt::attr_* in parallax/runtime/static_model.h).\n"
        "constexpr rt::StaticAttr kAttrs[] = {\n" +
        attr_rows + "};\n\n";
  }
  return s;
}

std::string branch_table(const rt::Program& p, Tables* t) {
  if (p.branches.empty()) return "";
  std::string s =
      "// Branches of the main graph: steps (count, offset in kIds), successors (count, offset),\n"
      "// predecessor count, processor, intra-op threads (0 = the whole cluster).\n"
      "constexpr rt::StaticBranch kBranches[] = {\n";
  for (size_t b = 0; b < p.branches.size(); ++b) {
    const rt::BranchProgram& br = p.branches[b];
    const std::string who = "branch " + std::to_string(b);
    const int32_t st_at = t->ids.add(br.steps, who + " steps", id_text);
    const int32_t su_at = t->ids.add(br.succs, who + " successors", id_text);
    s += "    {" + std::to_string(br.steps.size()) + ", " + std::to_string(st_at) + ", " +
         std::to_string(br.succs.size()) + ", " + std::to_string(su_at) + ", " +
         std::to_string(br.pred_count) + ", " + std::to_string(br.processor) + ", " +
         std::to_string(br.threads) + "},  // " + std::to_string(b) + "\n";
  }
  return s + "};\n\n";
}

std::string processor_table(const rt::Program& p) {
  if (p.processors.empty()) return "";
  std::string s =
      "// Processors: name, gpu, cores, relative speed.\n"
      "constexpr rt::StaticProcessor kProcessors[] = {\n";
  for (const rt::ProcessorInfo& proc : p.processors) {
    s += "    {" + cpp_string(proc.name) + ", " + (proc.gpu ? "true" : "false") + ", " +
         std::to_string(proc.cores) + ", " + cpp_double(proc.speed) + "},\n";
  }
  return s + "};\n\n";
}

std::string weights_hookup(const ModelFacts& f) {
  const std::string& sym = f.weights_symbol;
  const std::string bin = f.options.name + ".weights.bin";
  const std::string decl = "extern const unsigned char " + sym + "[] __asm__(\"" + sym + "\");\n\n";
  switch (f.options.weights) {
    case WeightsMode::kFile:
      return "// Weights: mapped at create() from ModelOptions::weights_path (" + bin + ").\n\n";
    case WeightsMode::kCArray:
      return "// Weights: the array in " + f.options.name + "_weights.cpp.\n" + decl;
    case WeightsMode::kEmbed:
      break;
  }
  auto block = [&](const std::string& section, const std::string& visibility) {
    return "__asm__(\".pushsection " + section + "\\n\"\n        \".balign 64\\n\"\n        \"" +
           visibility + " " + sym + "\\n\"\n        \".globl " + sym + "\\n\"\n        \"" + sym +
           ":\\n\"\n        \".incbin \\\"" + bin + "\\\"\\n\"\n        \".popsection\\n\");\n";
  };
  return "// Weights: " + bin +
         ", assembled into this object by .incbin. Whoever compiles this\n"
         "// file passes the folder holding it to the assembler (-Wa,-I<dir>) and re-assembles\n"
         "// when it changes (docs/codegen.md).\n"
         "#if defined(__APPLE__)\n" +
         block("__TEXT,__const", ".private_extern") + "#else\n" +
         block(".rodata." + sym + ",\\\"a\\\"", ".hidden") + "#endif\n" + decl;
}

std::string methods(const ModelFacts& f) {
  const std::string& n = f.options.name;
  const std::string weights = f.options.weights == WeightsMode::kFile
                                  ? "nullptr"
                                  : "reinterpret_cast<const uint8_t*>(" + f.weights_symbol + ")";
  std::string s = "namespace parallax::models {\n\n";
  s += "::parallax::rt::Status " + n + "::create(const Options& options, std::unique_ptr<" + n +
       ">* out) {\n"
       "  std::unique_ptr<" +
       n + "> px_model(new " + n +
       "());\n"
       "  PARALLAX_RETURN_IF_ERROR(::parallax::rt::ModelInstance::create(\n"
       "      kModel, " +
       weights +
       ", options, &px_model->impl_));\n"
       "  *out = std::move(px_model);\n"
       "  return ::parallax::rt::Status::ok();\n"
       "}\n\n";
  s += "::parallax::rt::Status " + n +
       "::run(const ::parallax::rt::Tensor* inputs) {\n"
       "  return impl_->run(inputs);\n}\n";
  if (f.typed_run) {
    std::string params, ins, outs;
    for (const ModelIo& io : f.inputs) {
      params += (params.empty() ? "" : ", ") + ("const " + io.ctype + "* " + io.ident);
      ins += (ins.empty() ? "" : ", ") + io.ident;
    }
    for (const ModelIo& io : f.outputs) {
      params += (params.empty() ? "" : ", ") + (io.ctype + "* " + io.ident);
      outs += (outs.empty() ? "" : ", ") + io.ident;
    }
    s += "\n::parallax::rt::Status " + n + "::run(" + params + ") {\n";
    s += f.inputs.empty() ? "  const void* const* px_inputs = nullptr;\n"
                          : "  const void* const px_inputs[] = {" + ins + "};\n";
    s += f.outputs.empty() ? "  void* const* px_outputs = nullptr;\n"
                           : "  void* const px_outputs[] = {" + outs + "};\n";
    s += "  return impl_->run(px_inputs, px_outputs);\n}\n";
  }
  return s + "\n}  // namespace parallax::models\n";
}

}  // namespace

std::string emit_source(const ModelFacts& f) {
  const rt::Program& p = *f.program;
  const std::string& n = f.options.name;
  size_t steps = 0;
  for (const rt::GraphProgram& g : p.graphs) steps += g.steps.size();
  Tables t;
  std::string body = tensor_table(p, &t);
  std::string graph_rows;
  body += step_tables(p, &t, &graph_rows);
  body +=
      "// Graphs: name, inputs and outputs (count, offset in kIds), steps.\n"
      "constexpr rt::StaticGraph kGraphs[] = {\n" +
      graph_rows + "};\n\n";
  body += branch_table(p, &t) + processor_table(p);

  std::string s = "// " + n + ".cpp: generated by parallax-compile from '" + f.options.source +
                  "'. Do not edit.\n//\n";
  s += "// The static schedule of " + n + ": " + std::to_string(p.tensors.size()) + " tensors, " +
       std::to_string(steps) + " steps in " + count(p.graphs.size(), "graph") + ",\n// " +
       count(p.branches.size(), "branch") + " on " + count(p.processors.size(), "processor") +
       ", a " + std::to_string(p.arena_bytes) + "-byte arena and " +
       std::to_string(p.weight_bytes()) + " bytes of weights (" +
       weights_mode_name(f.options.weights) + ").\n";
  s += "// parallax/runtime/static_model.h rebuilds the runtime Program from these tables.\n";
  s += "#include \"" + n +
       ".h\"\n\n#include <cstdint>\n#include <limits>\n#include <memory>\n"
       "#include <utility>\n\n#include \"parallax/runtime/static_model.h\"\n\n";
  s += weights_hookup(f);
  s += "namespace {\n\nnamespace rt = ::parallax::rt;\nusing DType = rt::DType;\n"
       "using Kind = rt::TensorKind;\n\n";
  // The pools are filled while the tables are printed, and printed first.
  s += t.ids.define("int32_t", "kIds") + t.ints.define("int64_t", "kInts") +
       t.floats.define("float", "kFloats") + t.strings.define("rt::StaticString", "kStrings");
  s += t.out + body;
  auto ptr = [](bool empty, const char* name) { return std::string(empty ? "nullptr" : name); };
  s += "constexpr rt::StaticModel kModel = {\n    " + cpp_string(n) + ",\n";
  s += "    kTensors, " + std::to_string(p.tensors.size()) + ",\n";
  s += "    kGraphs, " + std::to_string(p.graphs.size()) + ",\n";
  s += "    " + ptr(p.branches.empty(), "kBranches") + ", " + std::to_string(p.branches.size()) +
       ",\n";
  s += "    " + ptr(p.processors.empty(), "kProcessors") + ", " +
       std::to_string(p.processors.size()) + ",\n";
  s += "    " + ptr(t.out.empty(), "kAttrs") + ", " + ptr(t.ids.empty(), "kIds") + ", " +
       ptr(t.ints.empty(), "kInts") + ", " + ptr(t.floats.empty(), "kFloats") + ", " +
       ptr(t.strings.empty(), "kStrings") + ",\n";
  s += "    " + std::to_string(p.arena_bytes) + ",  // arena bytes\n";
  s += "    " + std::to_string(p.weight_bytes()) + ",  // weight bytes\n";
  s += "    " + std::to_string(f.weights_checksum) + "u,  // weights checksum\n};\n\n";
  s += "}  // namespace\n\n";
  return s + methods(f);
}

std::string emit_weights_array(const ModelFacts& f, const std::string& padded) {
  std::string s = "// " + f.options.name + "_weights.cpp: generated by parallax-compile from '" +
                  f.options.source + "'. Do not edit.\n// The weights of " + f.options.name +
                  " as an array (--weights c-array; --weights embed compiles much faster).\n\n";
  // A string literal compiles far faster than a brace list; it needs one byte for the '\0'.
  s += "alignas(64) extern const unsigned char " + f.weights_symbol + "[" +
       std::to_string(padded.size() + 1) + "] __asm__(\"" + f.weights_symbol + "\") =\n";
  for (size_t at = 0; at < padded.size(); at += 64) {
    s += "    " + cpp_string(std::string_view(padded).substr(at, 64)) + "\n";
  }
  return s + ";\n";
}

}  // namespace parallax::codegen
