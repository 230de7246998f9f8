#include "passes/device_profile.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

namespace parallax::passes {

// Defined in the builtin_profiles.cpp that CMake generates from passes/profiles/*.json.
struct BuiltinProfileText {
  const char* name;
  const char* json;
};
extern const BuiltinProfileText kBuiltinProfiles[];
extern const int kBuiltinProfileCount;

namespace {

using Json = nlohmann::json;

// Reads typed fields out of one JSON object; errors name the origin and the field's full path.
class FieldReader {
 public:
  FieldReader(const std::string& origin, std::string path, const Json& object)
      : origin_(origin), path_(std::move(path)), object_(object) {}

  rt::Status error(const std::string& field, const std::string& what) const {
    return rt::Status::invalid(origin_ + ": field '" + full(field) + "': " + what);
  }

  // Every key must be one of `known`: a misspelt field would otherwise be silently ignored.
  rt::Status only(std::initializer_list<const char*> known) const {
    for (const auto& item : object_.items()) {
      bool ok = false;
      for (const char* k : known) ok = ok || item.key() == k;
      if (!ok) return error(item.key(), "unknown field");
    }
    return rt::Status::ok();
  }

  bool has(const char* field) const { return object_.contains(field) && !object_[field].is_null(); }

  rt::Status string(const char* field, bool required, std::string* out) const {
    if (!has(field)) return required ? error(field, "missing") : rt::Status::ok();
    if (!object_[field].is_string()) return error(field, "expected a string");
    *out = object_[field].get<std::string>();
    return rt::Status::ok();
  }

  // A number in [lo, +inf) (or (lo, +inf) when `exclusive`).
  rt::Status number(const char* field, bool required, double lo, bool exclusive,
                    double* out) const {
    if (!has(field)) return required ? error(field, "missing") : rt::Status::ok();
    const Json& v = object_[field];
    if (!v.is_number()) return error(field, "expected a number");
    const double x = v.get<double>();
    if (exclusive ? !(x > lo) : !(x >= lo)) {
      std::ostringstream s;
      s << "expected a number " << (exclusive ? "> " : ">= ") << lo << ", got " << x;
      return error(field, s.str());
    }
    *out = x;
    return rt::Status::ok();
  }

  rt::Status integer(const char* field, bool required, int lo, int* out) const {
    if (!has(field)) return required ? error(field, "missing") : rt::Status::ok();
    const Json& v = object_[field];
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > 1 << 20)
      return error(field, "expected an integer >= " + std::to_string(lo));
    *out = v.get<int>();
    return rt::Status::ok();
  }

  std::string full(const std::string& field) const {
    return path_.empty() ? field : path_ + "." + field;
  }

 private:
  const std::string& origin_;
  std::string path_;
  const Json& object_;
};

rt::Status parse_cluster(const std::string& origin, const std::string& path, const Json& j,
                         ClusterProfile* c) {
  if (!j.is_object())
    return rt::Status::invalid(origin + ": field '" + path + "': expected an object");
  FieldReader r(origin, path, j);
  PARALLAX_RETURN_IF_ERROR(r.only({"name", "cores", "speed", "freq_ghz"}));
  PARALLAX_RETURN_IF_ERROR(r.string("name", true, &c->name));
  PARALLAX_RETURN_IF_ERROR(r.integer("cores", true, 0, &c->cores));
  PARALLAX_RETURN_IF_ERROR(r.number("speed", true, 0, true, &c->speed));
  PARALLAX_RETURN_IF_ERROR(r.number("freq_ghz", false, 0, false, &c->freq_ghz));
  if (c->cores == 0) c->cores = std::max(1u, std::thread::hardware_concurrency());
  return rt::Status::ok();
}

rt::Status parse_gpu(const std::string& origin, const Json& j, GpuProfile* gpu) {
  if (!j.is_object())
    return rt::Status::invalid(origin + ": field 'gpu': expected an object or null");
  FieldReader r(origin, "gpu", j);
  PARALLAX_RETURN_IF_ERROR(r.only({"name", "gmacs", "dispatch_latency_us", "bandwidth_gbps"}));
  gpu->present = true;
  PARALLAX_RETURN_IF_ERROR(r.string("name", false, &gpu->name));
  PARALLAX_RETURN_IF_ERROR(r.number("gmacs", true, 0, true, &gpu->gmacs));
  PARALLAX_RETURN_IF_ERROR(
      r.number("dispatch_latency_us", true, 0, false, &gpu->dispatch_latency_us));
  PARALLAX_RETURN_IF_ERROR(r.number("bandwidth_gbps", true, 0, true, &gpu->bandwidth_gbps));
  return rt::Status::ok();
}

rt::Status parse_offload(const std::string& origin, const Json& j, OffloadRule* rule) {
  if (!j.is_object()) return rt::Status::invalid(origin + ": field 'offload': expected an object");
  FieldReader r(origin, "offload", j);
  PARALLAX_RETURN_IF_ERROR(r.only({"min_ops", "min_macs", "max_bytes_per_mac"}));
  PARALLAX_RETURN_IF_ERROR(r.integer("min_ops", false, 1, &rule->min_ops));
  PARALLAX_RETURN_IF_ERROR(r.number("min_macs", false, 0, false, &rule->min_macs));
  PARALLAX_RETURN_IF_ERROR(r.number("max_bytes_per_mac", false, 0, true, &rule->max_bytes_per_mac));
  return rt::Status::ok();
}

std::string builtin_list() {
  std::string s;
  for (const std::string& n : builtin_profile_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace

int DeviceProfile::total_cores() const {
  int n = 0;
  for (const ClusterProfile& c : clusters) n += c.cores;
  return n;
}

const std::vector<std::string>& builtin_profile_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (int i = 0; i < kBuiltinProfileCount; ++i) v.push_back(kBuiltinProfiles[i].name);
    return v;
  }();
  return names;
}

rt::Status parse_device_profile(const std::string& json_text, const std::string& origin,
                                DeviceProfile* out) {
  Json j;
  try {
    j = Json::parse(json_text);
  } catch (const Json::parse_error& e) {
    return rt::Status::invalid(origin + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) return rt::Status::invalid(origin + ": expected a JSON object");
  DeviceProfile p;
  p.source = origin;
  FieldReader r(origin, "", j);
  PARALLAX_RETURN_IF_ERROR(
      r.only({"name", "description", "clusters", "fastest_core_gmacs", "memory_bandwidth_gbps",
              "step_overhead_us", "sync_overhead_us", "intra_op_efficiency", "gpu", "offload"}));
  PARALLAX_RETURN_IF_ERROR(r.string("name", true, &p.name));
  PARALLAX_RETURN_IF_ERROR(r.string("description", false, &p.description));
  if (!r.has("clusters")) return r.error("clusters", "missing");
  if (!j["clusters"].is_array() || j["clusters"].empty())
    return r.error("clusters", "expected a non-empty array of clusters");
  for (size_t i = 0; i < j["clusters"].size(); ++i) {
    ClusterProfile c;
    PARALLAX_RETURN_IF_ERROR(
        parse_cluster(origin, "clusters[" + std::to_string(i) + "]", j["clusters"][i], &c));
    p.clusters.push_back(std::move(c));
  }
  double fastest_gmacs = 0;
  PARALLAX_RETURN_IF_ERROR(r.number("fastest_core_gmacs", true, 0, true, &fastest_gmacs));
  PARALLAX_RETURN_IF_ERROR(
      r.number("memory_bandwidth_gbps", true, 0, true, &p.memory_bandwidth_gbps));
  PARALLAX_RETURN_IF_ERROR(r.number("step_overhead_us", false, 0, false, &p.step_overhead_us));
  PARALLAX_RETURN_IF_ERROR(r.number("sync_overhead_us", false, 0, false, &p.sync_overhead_us));
  PARALLAX_RETURN_IF_ERROR(r.number("intra_op_efficiency", false, 0, true, &p.intra_op_efficiency));
  if (p.intra_op_efficiency > 1) return r.error("intra_op_efficiency", "expected a number <= 1");
  if (r.has("gpu")) PARALLAX_RETURN_IF_ERROR(parse_gpu(origin, j["gpu"], &p.gpu));
  if (r.has("offload")) PARALLAX_RETURN_IF_ERROR(parse_offload(origin, j["offload"], &p.offload));

  // Speeds are relative: normalise so the fastest cluster is 1.0 and comes first.
  std::stable_sort(
      p.clusters.begin(), p.clusters.end(),
      [](const ClusterProfile& a, const ClusterProfile& b) { return a.speed > b.speed; });
  const double top = p.clusters.front().speed;
  for (ClusterProfile& c : p.clusters) {
    c.speed /= top;
    c.gmacs_per_core = c.speed * fastest_gmacs;
  }
  *out = std::move(p);
  return rt::Status::ok();
}

rt::Status load_device_profile(const std::string& name_or_path, DeviceProfile* out) {
  const std::string name = name_or_path.empty() ? "host" : name_or_path;
  for (int i = 0; i < kBuiltinProfileCount; ++i) {
    if (name == kBuiltinProfiles[i].name)
      return parse_device_profile(kBuiltinProfiles[i].json, "built-in profile '" + name + "'", out);
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(name, ec)) {
    return rt::Status::invalid("unknown device profile '" + name + "': not a built-in profile (" +
                               builtin_list() + ") and no such file");
  }
  std::ifstream in(name, std::ios::binary);
  if (!in.is_open())
    return rt::Status::invalid("device profile '" + name + "': cannot open the file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_device_profile(text.str(), "device profile '" + name + "'", out);
}

}  // namespace parallax::passes
