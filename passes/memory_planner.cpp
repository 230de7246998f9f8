#include "passes/memory_planner.h"

#include <algorithm>
#include <numeric>
#include <utility>

namespace parallax::passes {

int32_t MemoryPlanner::add_buffer(uint64_t bytes) {
  sizes_.push_back(bytes);
  conflicts_.emplace_back();
  return static_cast<int32_t>(sizes_.size()) - 1;
}

void MemoryPlanner::add_conflict(int32_t a, int32_t b) {
  if (a == b) return;
  conflicts_[a].push_back(b);
  conflicts_[b].push_back(a);
}

void MemoryPlanner::add_interval_conflicts(const std::vector<int64_t>& first,
                                           const std::vector<int64_t>& last) {
  // Sweep by start: each buffer conflicts with the still-open intervals it meets.
  std::vector<int32_t> by_start(first.size());
  std::iota(by_start.begin(), by_start.end(), 0);
  std::stable_sort(by_start.begin(), by_start.end(),
                   [&](int32_t a, int32_t b) { return first[a] < first[b]; });
  std::vector<int32_t> open;
  for (int32_t b : by_start) {
    std::erase_if(open, [&](int32_t a) { return last[a] < first[b]; });
    for (int32_t a : open) add_conflict(a, b);
    open.push_back(b);
  }
}

MemoryPlanner::Result MemoryPlanner::place(const std::vector<int32_t>& order) const {
  const int32_t count = buffer_count();
  Result r;
  r.offsets.assign(count, 0);
  std::vector<bool> placed(count, false);
  std::vector<std::pair<uint64_t, uint64_t>> taken;  // [begin, end) of placed conflicting buffers
  for (int32_t b : order) {
    taken.clear();
    for (int32_t c : conflicts_[b])
      if (placed[c] && sizes_[c] > 0) taken.emplace_back(r.offsets[c], r.offsets[c] + sizes_[c]);
    std::sort(taken.begin(), taken.end());
    uint64_t at = 0;
    for (const auto& [begin, end] : taken) {
      if (at + sizes_[b] <= begin) break;  // the gap before this range fits
      at = std::max(at, align_up(end, alignment_));
    }
    r.offsets[b] = at;
    placed[b] = true;
    if (sizes_[b] > 0) r.peak = std::max(r.peak, at + sizes_[b]);
  }
  return r;
}

MemoryPlanner::Result MemoryPlanner::plan() const {
  const int32_t count = buffer_count();
  // crowd: the bytes of a buffer and of everything it conflicts with. Buffers in the most
  // crowded neighbourhoods first packs long-lived ones (a residual stream across parallel
  // attention heads) low, before the short-lived ones fragment the space around them.
  std::vector<uint64_t> degree(count, 0), crowd(count, 0);
  for (int32_t b = 0; b < count; ++b) {
    degree[b] = conflicts_[b].size();
    crowd[b] = sizes_[b];
    for (int32_t c : conflicts_[b]) crowd[b] += sizes_[c];
  }
  const auto larger = [&](int32_t a, int32_t b) { return sizes_[a] > sizes_[b]; };
  std::vector<int32_t> ids(count);
  std::iota(ids.begin(), ids.end(), 0);
  const auto sorted = [&](auto before) {
    std::vector<int32_t> order = ids;
    std::stable_sort(order.begin(), order.end(), before);
    return order;
  };
  // Greedy by size with three tie-breaks, and by crowd; the lowest peak wins (ties: the first).
  const std::vector<int32_t> candidates[] = {
      sorted(larger),
      sorted([&](int32_t a, int32_t b) {
        return sizes_[a] != sizes_[b] ? larger(a, b) : degree[a] > degree[b];
      }),
      sorted([&](int32_t a, int32_t b) {
        return sizes_[a] != sizes_[b] ? larger(a, b) : crowd[a] > crowd[b];
      }),
      sorted([&](int32_t a, int32_t b) { return crowd[a] > crowd[b]; }),
  };
  Result best;
  std::vector<int32_t> best_order;
  for (const std::vector<int32_t>& order : candidates) {
    Result r = place(order);
    if (best_order.empty() || r.peak < best.peak) {
      best = std::move(r);
      best_order = order;
    }
  }
  // Refinement: the buffers that end at (or near) the peak are the ones the order placed badly;
  // placing them first, at the bottom, and the rest around them often lowers the peak.
  constexpr int kRounds = 16;
  for (int round = 0; round < kRounds; ++round) {
    bool improved = false;
    for (uint64_t slack : {uint64_t{0}, best.peak / 32, best.peak / 16, best.peak / 8}) {
      std::vector<int32_t> order, rest;
      for (int32_t b : best_order)
        (best.offsets[b] + sizes_[b] + slack > best.peak ? order : rest).push_back(b);
      order.insert(order.end(), rest.begin(), rest.end());
      Result r = place(order);
      if (r.peak < best.peak) {
        best = std::move(r);
        best_order = std::move(order);
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }
  return best;
}

}  // namespace parallax::passes
