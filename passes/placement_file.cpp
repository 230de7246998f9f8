#include "passes/placement_file.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

namespace parallax::passes {
namespace {

using Json = nlohmann::ordered_json;

std::string label(const ir::Graph& g, ir::NodeId n) {
  return "node '" + g.nodes[n].name + "' (" + g.nodes[n].op_type + ")";
}

// Main-region node ids by name; a repeated name makes the file ambiguous, so it is an error.
rt::Status index_names(const std::string& what, const ir::Graph& g,
                       std::unordered_map<std::string, ir::NodeId>* by_name) {
  std::string repeated;
  for (ir::NodeId n : g.regions[0].nodes) {
    if (!by_name->emplace(g.nodes[n].name, n).second)
      repeated += (repeated.empty() ? "'" : ", '") + g.nodes[n].name + "'";
  }
  if (!repeated.empty())
    return rt::Status::invalid(
        what + ": node names must be unique in the main graph; repeated: " + repeated);
  return rt::Status::ok();
}

// "a, b, c" of at most 10 items, then how many more.
std::string listed(const std::vector<std::string>& items) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < 10; ++i) s += (i ? ", " : "") + items[i];
  if (items.size() > 10) s += " and " + std::to_string(items.size() - 10) + " more";
  return s;
}

}  // namespace

rt::Status write_placement(const std::string& path, const ir::Graph& g,
                           const std::vector<ir::Device>& device) {
  const std::string what = "placement file '" + path + "'";
  std::unordered_map<std::string, ir::NodeId> by_name;
  PARALLAX_RETURN_IF_ERROR(index_names(what, g, &by_name));
  Json j = Json::object();
  for (ir::NodeId n : g.regions[0].nodes) j[g.nodes[n].name] = ir::device_name(device[n]);
  std::ofstream out(path, std::ios::binary);
  out << j.dump(2) << "\n";
  out.close();
  if (!out) return rt::Status::invalid(what + ": cannot write the file");
  return rt::Status::ok();
}

rt::Status read_placement(const std::string& path, const ir::Graph& g,
                          const std::function<std::string(ir::NodeId)>& gpu_refusal,
                          std::vector<ir::Device>* device) {
  const std::string what = "placement file '" + path + "'";
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) return rt::Status::invalid(what + ": cannot open the file");
  std::stringstream text;
  text << in.rdbuf();
  Json j;
  try {
    j = Json::parse(text.str());
  } catch (const Json::parse_error& e) {
    return rt::Status::invalid(what + ": not valid JSON: " + e.what());
  }
  if (!j.is_object())
    return rt::Status::invalid(what + ": expected a JSON object {node name: \"cpu\" | \"gpu\"}");
  std::unordered_map<std::string, ir::NodeId> by_name;
  PARALLAX_RETURN_IF_ERROR(index_names(what, g, &by_name));

  std::vector<bool> seen(g.nodes.size(), false);
  std::vector<std::string> unknown, bad_value, refused, missing;
  for (const auto& item : j.items()) {
    const auto it = by_name.find(item.key());
    if (it == by_name.end()) {
      unknown.push_back("'" + item.key() + "'");
      continue;
    }
    const ir::NodeId n = it->second;
    seen[n] = true;
    const std::string value = item.value().is_string() ? item.value().get<std::string>() : "";
    if (value == "cpu") {
      (*device)[n] = ir::Device::kCpu;
    } else if (value == "gpu") {
      const std::string why = gpu_refusal(n);
      if (!why.empty()) refused.push_back(label(g, n) + ": " + why);
      (*device)[n] = ir::Device::kGpu;
    } else {
      bad_value.push_back(label(g, n) + ": " + item.value().dump());
    }
  }
  for (ir::NodeId n : g.regions[0].nodes)
    if (!seen[n]) missing.push_back(label(g, n));
  // Every kind of mistake is reported at once, each naming all the nodes it affects.
  std::string errors;
  auto add = [&](const std::string& title, const std::vector<std::string>& items) {
    if (!items.empty()) errors += (errors.empty() ? "" : "; ") + title + listed(items);
  };
  add("not nodes of the main graph: ", unknown);
  add("expected \"cpu\" or \"gpu\": ", bad_value);
  add("cannot run on the gpu: ", refused);
  add("no device given for: ", missing);
  if (!errors.empty()) return rt::Status::invalid(what + ": " + errors);
  return rt::Status::ok();
}

}  // namespace parallax::passes
