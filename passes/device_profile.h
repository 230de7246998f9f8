// Device profiles: what the cost model knows about a target SoC.
//
// A profile is a JSON file (shipped ones live in passes/profiles/ and are built into the
// compiler, so the installed tool needs no data files): CPU core clusters with relative speeds,
// the GPU's throughput, dispatch latency and bandwidth, and the constants of the offload rule.
// `--device-profile NAME|FILE.json` selects one; the default is "host" (this machine: one
// cluster of every core, no GPU). docs/design.md ("Device profiles and cost model") gives the
// format and where each shipped number comes from.
//
//   DeviceProfile p;
//   PARALLAX_RETURN_IF_ERROR(load_device_profile("snapdragon-8-gen-1", &p));
//   double us = cpu_time_us(node_cost(g, n), p.clusters[0], 2, p);
#pragma once

#include <string>
#include <vector>

#include "parallax/runtime/status.h"

namespace parallax::passes {

namespace rt = ::parallax::rt;

struct ClusterProfile {
  std::string name;  // "prime", "big", "little", or "cpu" for a flat host
  int cores = 1;
  double gmacs_per_core = 10;  // sustained multiply-accumulates per second per core, in 1e9
  double speed = 1.0;          // relative to the profile's fastest cluster (1.0)
  double freq_ghz = 0;         // nominal clock, for the record (0 = not given)
};

struct GpuProfile {
  bool present = false;
  std::string name;                // "Adreno 730", ...
  double gmacs = 0;                // sustained throughput, 1e9 MAC/s
  double dispatch_latency_us = 0;  // per kernel launch
  double bandwidth_gbps = 0;       // host<->device transfer, GB/s
};

// The paper's rule for offloading a region to the GPU.
struct OffloadRule {
  int min_ops = 3;                 // a region needs at least this many operators
  double min_macs = 1e9;           // ... and at least this much work
  double max_bytes_per_mac = 0.1;  // ... and at most this many boundary bytes per MAC
};

struct DeviceProfile {
  std::string name;
  std::string description;
  std::string source;                    // as errors name it: "built-in profile 'host'", ...
  std::vector<ClusterProfile> clusters;  // fastest first
  GpuProfile gpu;
  double memory_bandwidth_gbps = 10;  // CPU DRAM bandwidth, for memory-bound operators
  double step_overhead_us = 1;        // fixed cost of one CPU step
  double sync_overhead_us = 5;        // cost of a cross-processor dependency (wake-up)
  double intra_op_efficiency = 0.8;   // each extra intra-op thread adds this much of a core
  OffloadRule offload;

  int total_cores() const;
};

// Names of the profiles built into the compiler ("host", "snapdragon-8-gen-1", ...).
const std::vector<std::string>& builtin_profile_names();

// Loads a built-in profile by name, or a JSON file by path ("" = "host"). Errors name the file
// and the offending field. A cluster with "cores": 0 gets this machine's hardware thread count
// (how the host profile adapts to the machine that compiles).
rt::Status load_device_profile(const std::string& name_or_path, DeviceProfile* out);

// Parses profile JSON text; `origin` names it in errors ("built-in profile 'host'", a path).
rt::Status parse_device_profile(const std::string& json_text, const std::string& origin,
                                DeviceProfile* out);

}  // namespace parallax::passes
