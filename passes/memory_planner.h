// MemoryPlanner: byte offsets in one arena for buffers that must not overlap while both may be
// live, by greedy-by-size.
//
// The tiny interface behind plan-memory (STYLE #8), usable by anything that packs buffers. A
// buffer is a size; its lifetime is expressed as the set of buffers it may be live together
// with (`add_conflict`). That is what a parallel schedule gives: under concurrency, live ranges
// are not intervals of one order. For one sequential order
// `add_interval_conflicts` derives the relation from [first, last] step intervals.
//
//   MemoryPlanner p;                        // 64-byte aligned offsets
//   int32_t a = p.add_buffer(4096), b = p.add_buffer(1024), c = p.add_buffer(1024);
//   p.add_conflict(a, b);                   // b may share bytes with c, not with a
//   MemoryPlanner::Result r = p.plan();     // a at 0, b at 4096, c at 0, peak 5120
//
// Algorithm: greedy by size. Buffers are placed one at a time, each at the lowest aligned offset
// where it overlaps no already placed buffer it conflicts with. Four placement orders are tried
// (decreasing size with ties by id, by conflict count, or by "crowd", the bytes of the buffer and
// its conflicts; and decreasing crowd), then up to 16 refinement rounds move the buffers that end
// near the peak to the front of the best order. The lowest peak wins; every step is
// deterministic. Cost: O(sum over buffers of conflicts log conflicts) per placement.
#pragma once

#include <cstdint>
#include <vector>

namespace parallax::passes {

class MemoryPlanner {
 public:
  struct Result {
    std::vector<uint64_t> offsets;  // per buffer id, a multiple of the alignment
    uint64_t peak = 0;              // max over buffers of offset + size (0 when there are none)
  };

  explicit MemoryPlanner(uint64_t alignment = 64) : alignment_(alignment) {}

  // Returns the new buffer's id (0, 1, 2, ... in call order).
  int32_t add_buffer(uint64_t bytes);
  // a and b may be live at the same time: their byte ranges must be disjoint. Symmetric;
  // repeated pairs are harmless.
  void add_conflict(int32_t a, int32_t b);
  // Conflicts for buffers live over the closed step intervals [first[i], last[i]] of one order
  // (buffer i = id i): two conflict exactly when their intervals intersect.
  void add_interval_conflicts(const std::vector<int64_t>& first, const std::vector<int64_t>& last);

  int32_t buffer_count() const { return static_cast<int32_t>(sizes_.size()); }
  Result plan() const;

  static uint64_t align_up(uint64_t x, uint64_t alignment) {
    return (x + alignment - 1) / alignment * alignment;
  }

 private:
  Result place(const std::vector<int32_t>& order) const;

  uint64_t alignment_;
  std::vector<uint64_t> sizes_;
  std::vector<std::vector<int32_t>> conflicts_;
};

}  // namespace parallax::passes
