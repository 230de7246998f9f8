// Core-cluster detection on recorded sysfs trees (tests/unit/fixtures/topology) and on trees
// written here for the corner cases: CPU masks, offline CPUs, missing files.
#include "parallax/runtime/topology.h"

#include <sched.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using parallax::rt::AffinityPolicy;
using parallax::rt::Topology;
using parallax::rt::TopologyOptions;
using Cpus = std::vector<int>;
namespace fs = std::filesystem;

Topology detect(const std::string& fixture, Cpus allowed = {}) {
  TopologyOptions o;
  o.root = std::string(PARALLAX_TEST_FIXTURES) + "/topology/" + fixture;
  o.honour_process_mask = false;  // the fixture's CPU ids are not this machine's
  o.allowed_cpus = std::move(allowed);
  Topology t;
  parallax::rt::Status s = detect_topology(o, &t);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return t;
}

std::vector<Cpus> cpus_of(const Topology& t) {
  std::vector<Cpus> out;
  for (const auto& c : t.clusters) out.push_back(c.cpus);
  return out;
}

// A throwaway sysfs tree: per CPU an optional capacity and max frequency (0 = no file).
struct FakeTree {
  fs::path root;
  explicit FakeTree(const std::string& name) {
    root = fs::temp_directory_path() / ("parallax_topo_" + name + "_" + std::to_string(getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "sys/devices/system/cpu");
  }
  ~FakeTree() { fs::remove_all(root); }
  void cpu(int id, int capacity, int freq_khz) {
    const fs::path d = root / "sys/devices/system/cpu" / ("cpu" + std::to_string(id));
    fs::create_directories(d / "cpufreq");
    if (capacity) std::ofstream(d / "cpu_capacity") << capacity << "\n";
    if (freq_khz) std::ofstream(d / "cpufreq/cpuinfo_max_freq") << freq_khz << "\n";
  }
  void online(const std::string& list) {
    std::ofstream(root / "sys/devices/system/cpu/online") << list << "\n";
  }
  Topology detect(Cpus allowed = {}) const {
    TopologyOptions o;
    o.root = root.string();
    o.honour_process_mask = false;
    o.allowed_cpus = std::move(allowed);
    Topology t;
    REQUIRE(detect_topology(o, &t).is_ok());
    return t;
  }
};

}  // namespace

TEST_CASE("topology: Snapdragon 8 Gen 1 is 1+3+4, prime first", "[topology]") {
  const Topology t = detect("snapdragon_8_gen_1");
  CHECK(t.source == "cpu_capacity");
  CHECK(cpus_of(t) == std::vector<Cpus>{{7}, {4, 5, 6}, {0, 1, 2, 3}});
  CHECK(t.clusters[0].capacity == 1024);
  CHECK(t.clusters[0].max_freq_khz == 2995200);
  CHECK(t.core_count() == 8);
  CHECK(t.to_string() == "3 clusters (cpu_capacity): [7] [4-6] [0-3]");
}

TEST_CASE("topology: Google Tensor is 2+2+4", "[topology]") {
  const Topology t = detect("google_tensor");
  CHECK(t.source == "cpu_capacity");
  CHECK(cpus_of(t) == std::vector<Cpus>{{6, 7}, {4, 5}, {0, 1, 2, 3}});
}

TEST_CASE("topology: Kirin 980 is 2+2+4 from clock rates alone", "[topology]") {
  // No cpu_capacity files: the two A76 pairs differ only in their maximum clock.
  const Topology t = detect("kirin_980");
  CHECK(t.source == "cpuinfo_max_freq");
  CHECK(cpus_of(t) == std::vector<Cpus>{{6, 7}, {4, 5}, {0, 1, 2, 3}});
  CHECK(t.clusters[1].capacity == 0);
  CHECK(t.clusters[1].max_freq_khz == 1920000);
}

TEST_CASE("topology: Dimensity 8100 is 4+4", "[topology]") {
  const Topology t = detect("dimensity_8100");
  CHECK(cpus_of(t) == std::vector<Cpus>{{4, 5, 6, 7}, {0, 1, 2, 3}});
}

TEST_CASE("topology: x86 cores with slightly different turbo maxima are one cluster",
          "[topology]") {
  const Topology t = detect("x86_flat");
  CHECK(t.source == "flat");
  CHECK(cpus_of(t) == std::vector<Cpus>{{0, 1, 2, 3}});
}

TEST_CASE("topology: the CPU mask removes cores and empty clusters", "[topology]") {
  // A process restricted to the little cores and one big core of a Snapdragon 8 Gen 1.
  const Topology t = detect("snapdragon_8_gen_1", {0, 1, 2, 3, 5});
  CHECK(cpus_of(t) == std::vector<Cpus>{{5}, {0, 1, 2, 3}});

  TopologyOptions o;
  o.root = std::string(PARALLAX_TEST_FIXTURES) + "/topology/dimensity_8100";
  o.allowed_cpus = {12, 13};
  Topology none;
  const parallax::rt::Status s = detect_topology(o, &none);
  CHECK(!s.is_ok());
  CHECK_THAT(s.message(), Catch::Contains("allowed set (12-13)"));
}

TEST_CASE("topology: the process mask is honoured on this machine", "[topology]") {
  Topology t;
  REQUIRE(detect_topology(TopologyOptions{}, &t).is_ok());
  cpu_set_t set;
  CPU_ZERO(&set);
  REQUIRE(sched_getaffinity(0, sizeof set, &set) == 0);
  CHECK(t.core_count() <= CPU_COUNT(&set));
  for (const auto& c : t.clusters)
    for (int cpu : c.cpus) CHECK(CPU_ISSET(cpu, &set));
}

TEST_CASE("topology: offline CPUs, equal capacities and missing files", "[topology]") {
  SECTION("offline CPUs are skipped") {
    FakeTree tree("offline");
    for (int c = 0; c < 4; ++c) tree.cpu(c, c < 2 ? 400 : 1024, 0);
    tree.online("0,2-3");
    CHECK(cpus_of(tree.detect()) == std::vector<Cpus>{{2, 3}, {0}});
  }
  SECTION("equal capacities fall back to the clock rates") {
    FakeTree tree("equal");
    for (int c = 0; c < 4; ++c) tree.cpu(c, 1024, c < 2 ? 1800000 : 2800000);
    const Topology t = tree.detect();
    CHECK(t.source == "cpuinfo_max_freq");
    CHECK(cpus_of(t) == std::vector<Cpus>{{2, 3}, {0, 1}});
  }
  SECTION("no capacity and no cpufreq is flat") {
    FakeTree tree("bare");
    for (int c = 0; c < 3; ++c) tree.cpu(c, 0, 0);
    const Topology t = tree.detect();
    CHECK(t.source == "flat");
    CHECK(cpus_of(t) == std::vector<Cpus>{{0, 1, 2}});
  }
  SECTION("a root without CPUs is an error") {
    FakeTree tree("empty");
    TopologyOptions o;
    o.root = tree.root.string();
    Topology t;
    const parallax::rt::Status s = detect_topology(o, &t);
    CHECK(!s.is_ok());
    CHECK_THAT(s.message(), Catch::Contains("no CPUs found under"));
  }
}

TEST_CASE("topology: affinity policies", "[topology]") {
  const Topology sd = detect("snapdragon_8_gen_1");
  CHECK(cpus_of(select_clusters(sd, AffinityPolicy::kAll)) == cpus_of(sd));
  CHECK(cpus_of(select_clusters(sd, AffinityPolicy::kBigOnly)) ==
        std::vector<Cpus>{{7}, {4, 5, 6}});
  CHECK(cpus_of(select_clusters(sd, AffinityPolicy::kLittleOnly)) ==
        std::vector<Cpus>{{0, 1, 2, 3}});
  const Topology flat = detect("x86_flat");
  CHECK(cpus_of(select_clusters(flat, AffinityPolicy::kLittleOnly)) == cpus_of(flat));
  AffinityPolicy p = AffinityPolicy::kAll;
  CHECK(parse_affinity_policy("little", &p));
  CHECK(p == AffinityPolicy::kLittleOnly);
  CHECK(!parse_affinity_policy("medium", &p));
}

TEST_CASE("topology: CPU list parsing", "[topology]") {
  Cpus cpus;
  CHECK(parallax::rt::parse_cpu_list("0-3,6,8-9", &cpus));
  CHECK(cpus == Cpus{0, 1, 2, 3, 6, 8, 9});
  CHECK(parallax::rt::parse_cpu_list("", &cpus));
  CHECK(cpus.empty());
  CHECK(!parallax::rt::parse_cpu_list("3-1", &cpus));
  CHECK(!parallax::rt::parse_cpu_list("1,,2", &cpus));
  CHECK(!parallax::rt::parse_cpu_list("a", &cpus));
}
