// CPU topology: the core clusters of this machine, fastest first, as the executor uses them.
//
// Detection reads Linux sysfs under a root directory (default "/"), so tests can point it at a
// recorded tree (tests/unit/fixtures/topology/<soc>/sys/...):
//   ROOT/sys/devices/system/cpu/cpuN/                  one directory per logical CPU
//   ROOT/sys/devices/system/cpu/online                 "0-3,5" (optional; default: all cpuN)
//   ROOT/sys/devices/system/cpu/cpuN/cpu_capacity      the scheduler's capacity (big.LITTLE)
//   ROOT/sys/devices/system/cpu/cpuN/cpufreq/cpuinfo_max_freq   kHz
// Cores are grouped by cpu_capacity when every CPU reports one and they are not all equal;
// otherwise by cpuinfo_max_freq, where a core joins the cluster above it when its clock is
// within 5% of that cluster's fastest (turbo-boosted x86 cores report maxima a few percent apart
// but are one cluster; the closest phone clusters we know, Kirin 980's 1.92 GHz A76 pair and its
// 1.8 GHz A55s, are 6% apart); otherwise all cores form one flat cluster. Without any cpuN
// directory under "/" (some sandboxes hide sysfs) the machine is one flat cluster of
// std::thread::hardware_concurrency() CPUs. Then only the CPUs the process may run on
// (sched_getaffinity, or an explicit list) are kept, and emptied clusters are dropped.
//
//   Topology t;
//   Status s = detect_topology(TopologyOptions{}, &t);
//   int big_cores = t.clusters[0].size();
//   Topology used = select_clusters(t, AffinityPolicy::kBigOnly);
//
// The pytorch cpuinfo library knows more (core kinds, caches) but cannot read a relocated tree,
// and clusters are all the executor needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "parallax/runtime/status.h"

namespace parallax::rt {

struct CoreCluster {
  std::vector<int> cpus;      // logical CPU ids, ascending
  uint64_t capacity = 0;      // cpu_capacity of its cores (0 = not reported)
  uint64_t max_freq_khz = 0;  // the highest cpuinfo_max_freq among its cores (0 = not reported)
  int size() const { return static_cast<int>(cpus.size()); }
};

struct Topology {
  std::vector<CoreCluster> clusters;  // fastest first
  // What the grouping came from: "cpu_capacity", "cpuinfo_max_freq" or "flat".
  std::string source;
  int core_count() const;
  // "3 clusters (cpu_capacity): [7] [4-6] [0-3]"; for logs and tests.
  std::string to_string() const;
};

struct TopologyOptions {
  std::string root = "/";           // the directory holding sys/devices/system/cpu
  bool honour_process_mask = true;  // keep only CPUs in sched_getaffinity (when allowed is empty)
  std::vector<int> allowed_cpus;    // if non-empty: keep exactly these CPUs instead
};

// Fails (kInvalidArgument) when `root` is not "/" and holds no CPU, or when no detected CPU is
// allowed.
Status detect_topology(const TopologyOptions& options, Topology* out);

// Which clusters the executor may use. With one cluster every policy selects it.
enum class AffinityPolicy : uint8_t {
  kAll,         // every cluster
  kBigOnly,     // every cluster but the slowest (prime + big on a 1+3+4 phone)
  kLittleOnly,  // the slowest cluster only
};
const char* affinity_policy_name(AffinityPolicy p);  // "all", "big", "little"
bool parse_affinity_policy(std::string_view name, AffinityPolicy* out);

Topology select_clusters(const Topology& t, AffinityPolicy policy);

// Parses a sysfs CPU list ("0-3,6,8-9"); false on malformed text.
bool parse_cpu_list(std::string_view text, std::vector<int>* out);
// Writes ascending CPU ids as such a list.
std::string format_cpu_list(const std::vector<int>& cpus);

}  // namespace parallax::rt
