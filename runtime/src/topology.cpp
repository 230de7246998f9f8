// Core-cluster detection from sysfs (see topology.h for the rules).
#include "parallax/runtime/topology.h"

#include <dirent.h>
#include <sched.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace parallax::rt {
namespace {

struct CpuFacts {
  int id = 0;
  uint64_t capacity = 0;
  uint64_t max_freq_khz = 0;
};

// The first line of a small sysfs file; false when it cannot be read.
bool read_line(const std::string& path, std::string* out) {
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) return false;
  char buf[256];
  const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  if (!ok) return false;
  *out = buf;
  while (!out->empty() && std::isspace(static_cast<unsigned char>(out->back()))) out->pop_back();
  return true;
}

uint64_t read_number(const std::string& path) {
  std::string line;
  if (!read_line(path, &line) || line.empty()) return 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(line.c_str(), &end, 10);
  return *end == '\0' ? v : 0;
}

// The ids of the cpuN directories under `dir`, ascending.
std::vector<int> list_cpu_dirs(const std::string& dir) {
  std::vector<int> ids;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return ids;
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() < 4 || name.compare(0, 3, "cpu") != 0) continue;
    if (!std::all_of(name.begin() + 3, name.end(), [](char c) { return std::isdigit(c); })) {
      continue;
    }
    ids.push_back(std::atoi(name.c_str() + 3));
  }
  closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::vector<int> process_mask() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

// Groups `cpus` into clusters by `key` (larger = faster), fastest first. A CPU joins the
// current cluster when key * 100 >= cluster's first key * tolerance_pct.
std::vector<CoreCluster> group_by(std::vector<CpuFacts> cpus, uint64_t CpuFacts::*key,
                                  uint64_t tolerance_pct) {
  std::stable_sort(cpus.begin(), cpus.end(),
                   [&](const CpuFacts& a, const CpuFacts& b) { return a.*key > b.*key; });
  std::vector<CoreCluster> clusters;
  uint64_t first = 0;
  for (const CpuFacts& c : cpus) {
    if (clusters.empty() || c.*key * 100 < first * tolerance_pct) {
      clusters.emplace_back();
      first = c.*key;
    }
    CoreCluster& cl = clusters.back();
    cl.cpus.push_back(c.id);
    cl.capacity = std::max(cl.capacity, c.capacity);
    cl.max_freq_khz = std::max(cl.max_freq_khz, c.max_freq_khz);
  }
  for (CoreCluster& cl : clusters) std::sort(cl.cpus.begin(), cl.cpus.end());
  return clusters;
}

}  // namespace

std::string format_cpu_list(const std::vector<int>& cpus) {
  std::string s;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    s += (s.empty() ? "" : ",") + std::to_string(cpus[i]);
    if (j > i) s += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return s;
}


bool parse_cpu_list(std::string_view text, std::vector<int>* out) {
  std::vector<int> cpus;
  size_t i = 0;
  auto number = [&](int* v) {
    if (i >= text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    *v = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      *v = *v * 10 + (text[i++] - '0');
      if (*v > 1 << 20) return false;
    }
    return true;
  };
  while (i < text.size()) {
    int lo = 0, hi = 0;
    if (!number(&lo)) return false;
    hi = lo;
    if (i < text.size() && text[i] == '-') {
      ++i;
      if (!number(&hi) || hi < lo) return false;
    }
    for (int c = lo; c <= hi; ++c) cpus.push_back(c);
    if (i < text.size() && text[i] != ',') return false;
    if (i < text.size()) ++i;
  }
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  *out = std::move(cpus);
  return true;
}

int Topology::core_count() const {
  int n = 0;
  for (const CoreCluster& c : clusters) n += c.size();
  return n;
}

std::string Topology::to_string() const {
  std::string s = std::to_string(clusters.size()) +
                  (clusters.size() == 1 ? " cluster" : " clusters") + " (" + source + "):";
  for (const CoreCluster& c : clusters) s += " [" + format_cpu_list(c.cpus) + "]";
  return s;
}

Status detect_topology(const TopologyOptions& options, Topology* out) {
  std::string root = options.root.empty() ? "/" : options.root;
  if (root.back() != '/') root += '/';
  const std::string cpu_dir = root + "sys/devices/system/cpu/";
  std::vector<int> ids = list_cpu_dirs(cpu_dir);
  std::string online;
  std::vector<int> online_ids;
  if (read_line(cpu_dir + "online", &online) && parse_cpu_list(online, &online_ids)) {
    std::vector<int> kept;
    std::set_intersection(ids.begin(), ids.end(), online_ids.begin(), online_ids.end(),
                          std::back_inserter(kept));
    ids = std::move(kept);
  }
  if (ids.empty()) {
    if (root != "/") return Status::invalid("no CPUs found under " + cpu_dir);
    const unsigned n = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned c = 0; c < n; ++c) ids.push_back(static_cast<int>(c));
  }

  std::vector<int> allowed = options.allowed_cpus;
  if (allowed.empty() && options.honour_process_mask) allowed = process_mask();
  std::sort(allowed.begin(), allowed.end());
  std::vector<CpuFacts> cpus;
  bool all_capacity = true, all_freq = true, capacities_differ = false;
  for (int id : ids) {
    if (!allowed.empty() && !std::binary_search(allowed.begin(), allowed.end(), id)) continue;
    const std::string dir = cpu_dir + "cpu" + std::to_string(id) + "/";
    CpuFacts c;
    c.id = id;
    c.capacity = read_number(dir + "cpu_capacity");
    c.max_freq_khz = read_number(dir + "cpufreq/cpuinfo_max_freq");
    all_capacity = all_capacity && c.capacity != 0;
    all_freq = all_freq && c.max_freq_khz != 0;
    if (!cpus.empty() && c.capacity != cpus.front().capacity) capacities_differ = true;
    cpus.push_back(c);
  }
  if (cpus.empty()) {
    return Status::invalid("none of the CPUs under " + cpu_dir + " (" + format_cpu_list(ids) +
                           ") is in the allowed set (" + format_cpu_list(allowed) + ")");
  }
  Topology t;
  if (all_capacity && capacities_differ) {
    t.source = "cpu_capacity";
    t.clusters = group_by(cpus, &CpuFacts::capacity, 100);
  } else if (all_freq) {
    t.source = "cpuinfo_max_freq";
    t.clusters = group_by(cpus, &CpuFacts::max_freq_khz, 95);
    if (t.clusters.size() == 1) t.source = "flat";
  } else {
    t.source = "flat";
    t.clusters = group_by(cpus, &CpuFacts::capacity, 0);
  }
  *out = std::move(t);
  return Status::ok();
}

const char* affinity_policy_name(AffinityPolicy p) {
  switch (p) {
    case AffinityPolicy::kAll:
      return "all";
    case AffinityPolicy::kBigOnly:
      return "big";
    case AffinityPolicy::kLittleOnly:
      return "little";
  }
  return "?";
}

bool parse_affinity_policy(std::string_view name, AffinityPolicy* out) {
  for (AffinityPolicy p :
       {AffinityPolicy::kAll, AffinityPolicy::kBigOnly, AffinityPolicy::kLittleOnly}) {
    if (name == affinity_policy_name(p)) {
      *out = p;
      return true;
    }
  }
  return false;
}

Topology select_clusters(const Topology& t, AffinityPolicy policy) {
  if (t.clusters.size() <= 1 || policy == AffinityPolicy::kAll) return t;
  Topology s;
  s.source = t.source;
  if (policy == AffinityPolicy::kBigOnly) {
    s.clusters.assign(t.clusters.begin(), t.clusters.end() - 1);
  } else {
    s.clusters.push_back(t.clusters.back());
  }
  return s;
}

}  // namespace parallax::rt
