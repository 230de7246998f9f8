#include "passes/place.h"

#include <functional>
#include <numeric>
#include <queue>

#include "passes/backend.h"
#include "passes/cost_model.h"
#include "passes/device_profile.h"
#include "passes/placement_file.h"

namespace parallax::passes {
namespace {

using MinHeap = std::priority_queue<int32_t, std::vector<int32_t>, std::greater<int32_t>>;

int32_t find_root(std::vector<int32_t>& parent, int32_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

// True when the region (nodes listed in `nodes`, ids in `region_of`) is worth offloading under
// the profile's rule. Boundary values are the non-constant values read from outside the region
// or read outside it (graph outputs included); each counts once.
bool worth_offloading(const ir::Graph& g, const MainRegionDeps& deps,
                      const std::vector<ir::NodeId>& nodes, int32_t region,
                      const std::vector<int32_t>& region_of, const OffloadRule& rule,
                      std::vector<int32_t>& value_stamp) {
  double macs = 0;
  double boundary = 0;
  bool sizes_known = true;
  auto cross = [&](ir::ValueId v) {
    if (value_stamp[v] == region) return;
    value_stamp[v] = region;
    const uint64_t bytes = value_bytes(g.values[v]);
    sizes_known = sizes_known && bytes > 0;
    boundary += static_cast<double>(bytes);
  };
  for (ir::NodeId n : nodes) {
    macs += node_cost(g, n).macs;
    for (ir::ValueId v : deps.reads[n]) {
      const ir::NodeId p = g.values[v].producer;
      if (p < 0 || region_of[top_level_node(g, p)] != region) cross(v);
    }
    for (ir::NodeId s : deps.succs[n]) {
      if (region_of[s] == region) continue;
      for (ir::ValueId v : deps.reads[s]) {
        const ir::NodeId p = g.values[v].producer;
        if (p >= 0 && region_of[top_level_node(g, p)] == region) cross(v);
      }
    }
  }
  for (ir::ValueId v : g.regions[0].outputs) {
    const ir::NodeId p = g.values[v].producer;
    if (p >= 0 && g.nodes[p].region == 0 && region_of[p] == region) cross(v);
  }
  return sizes_known && static_cast<int>(nodes.size()) >= rule.min_ops && macs >= rule.min_macs &&
         boundary <= rule.max_bytes_per_mac * macs;
}

// Steps 1-4 of the header: candidates, regions, the offload rule, pruning.
void place_by_cost(const ir::Graph& g, const DeviceProfile& profile,
                   const std::function<bool(ir::NodeId)>& gpu_capable, ir::Plan& plan) {
  const MainRegionDeps deps = main_region_deps(g);
  std::vector<bool> candidate(g.nodes.size(), false);
  for (ir::NodeId n : g.regions[0].nodes) candidate[n] = gpu_capable(n);
  int32_t count = 0;
  const std::vector<int32_t> region_of = gpu_regions(g, deps, candidate, &count);
  std::vector<std::vector<ir::NodeId>> members(count);
  for (ir::NodeId n : g.regions[0].nodes)
    if (region_of[n] >= 0) members[region_of[n]].push_back(n);
  std::vector<int32_t> value_stamp(g.values.size(), -1);
  for (int32_t r = 0; r < count; ++r) {
    if (!worth_offloading(g, deps, members[r], r, region_of, profile.offload, value_stamp))
      continue;
    for (ir::NodeId n : members[r]) plan.device[n] = ir::Device::kGpu;
  }
}

}  // namespace

std::vector<int32_t> gpu_regions(const ir::Graph& g, const MainRegionDeps& deps,
                                 const std::vector<bool>& on_gpu, int32_t* count) {
  const std::vector<ir::NodeId>& main = g.regions[0].nodes;
  std::vector<int32_t> missing(g.nodes.size(), 0);  // unfinished predecessors
  MinHeap ready[2];                                 // positions; [1] = GPU nodes
  for (ir::NodeId n : main) {
    missing[n] = static_cast<int32_t>(deps.preds[n].size());
    if (missing[n] == 0) ready[on_gpu[n]].push(deps.position[n]);
  }
  // Kahn's algorithm that drains one kind before switching to the other; run_of[n] numbers the
  // maximal GPU runs of the resulting order.
  std::vector<int32_t> run_of(g.nodes.size(), -1);
  std::vector<ir::NodeId> order;
  order.reserve(main.size());
  int32_t runs = 0;
  bool gpu_mode = false;
  while (!ready[0].empty() || !ready[1].empty()) {
    if (ready[gpu_mode].empty()) {
      gpu_mode = !gpu_mode;
      if (gpu_mode) ++runs;
      continue;
    }
    const ir::NodeId n = main[ready[gpu_mode].top()];
    ready[gpu_mode].pop();
    order.push_back(n);
    if (gpu_mode) run_of[n] = runs - 1;
    for (ir::NodeId s : deps.succs[n])
      if (--missing[s] == 0) ready[on_gpu[s]].push(deps.position[s]);
  }
  // Connected components of each run: union along edges that stay inside one run.
  std::vector<int32_t> parent(g.nodes.size());
  std::iota(parent.begin(), parent.end(), 0);
  for (ir::NodeId n : order) {
    if (run_of[n] < 0) continue;
    for (ir::NodeId p : deps.preds[n])
      if (run_of[p] == run_of[n]) parent[find_root(parent, p)] = find_root(parent, n);
  }
  std::vector<int32_t> region_of(g.nodes.size(), -1);
  std::vector<int32_t> id_of_root(g.nodes.size(), -1);
  *count = 0;
  for (ir::NodeId n : order) {
    if (run_of[n] < 0) continue;
    int32_t& id = id_of_root[find_root(parent, n)];
    if (id < 0) id = (*count)++;
    region_of[n] = id;
  }
  return region_of;
}

rt::Status place(const ir::Graph& g, ir::Plan& plan, const CompileOptions& options) {
  DeviceProfile profile;
  PARALLAX_RETURN_IF_ERROR(load_device_profile(options.device_profile, &profile));
  plan.device.assign(g.nodes.size(), ir::Device::kCpu);

  const Backend* gpu = nullptr;
  if (options.gpu != "none") {
    gpu = find_backend(options.gpu);
    if (!gpu || gpu->device != ir::Device::kGpu)
      return rt::Status::invalid("unknown --gpu '" + options.gpu + "'; expected none or opencl");
    if (!profile.gpu.present) {
      return rt::Status::invalid("--gpu " + options.gpu + ": device profile '" + profile.name +
                                 "' has no GPU; choose one that has (e.g. --device-profile "
                                 "snapdragon-8-gen-1) or --gpu none");
    }
  }
  // Why node n may not run on the GPU, or "" when it may.
  auto gpu_refusal = [&](ir::NodeId n) -> std::string {
    if (!gpu) return "--gpu none";
    if (is_control_flow(g.nodes[n])) return "control flow runs on the CPU";
    const bool supported = options.gpu_supports ? options.gpu_supports(g, n) : gpu->supports(g, n);
    return supported ? "" : std::string("the ") + gpu->name + " backend has no kernel for it";
  };

  if (!options.placement_in.empty()) {
    PARALLAX_RETURN_IF_ERROR(read_placement(options.placement_in, g, gpu_refusal, &plan.device));
  } else if (gpu) {
    place_by_cost(
        g, profile, [&](ir::NodeId n) { return gpu_refusal(n).empty(); }, plan);
  }
  if (!options.placement_out.empty())
    PARALLAX_RETURN_IF_ERROR(write_placement(options.placement_out, g, plan.device));
  return rt::Status::ok();
}

}  // namespace parallax::passes
