#include "yolo.h"

#include <algorithm>

namespace examples {

float iou(const Detection& a, const Detection& b) {
  const float iw = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const float ih = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const float inter = iw * ih;
  const float uni = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return uni > 0.0f ? inter / uni : 0.0f;
}

std::vector<Detection> decode_yolov8(const float* out, int classes, int anchors,
                                     const Letterbox& lb, int image_width, int image_height,
                                     const DecodeOptions& options) {
  auto at = [&](int row, int anchor) { return out[static_cast<size_t>(row) * anchors + anchor]; };
  std::vector<Detection> candidates;
  for (int a = 0; a < anchors; ++a) {
    int best = 0;
    for (int c = 1; c < classes; ++c) {
      if (at(4 + c, a) > at(4 + best, a)) best = c;
    }
    const float score = at(4 + best, a);
    if (!(score >= options.score_threshold)) continue;
    const float cx = (at(0, a) - lb.pad_x) / lb.scale;
    const float cy = (at(1, a) - lb.pad_y) / lb.scale;
    const float w = at(2, a) / lb.scale;
    const float h = at(3, a) / lb.scale;
    Detection d;
    d.x1 = std::clamp(cx - w / 2, 0.0f, static_cast<float>(image_width));
    d.y1 = std::clamp(cy - h / 2, 0.0f, static_cast<float>(image_height));
    d.x2 = std::clamp(cx + w / 2, 0.0f, static_cast<float>(image_width));
    d.y2 = std::clamp(cy + h / 2, 0.0f, static_cast<float>(image_height));
    d.score = score;
    d.cls = best;
    if (d.x2 > d.x1 && d.y2 > d.y1) candidates.push_back(d);
  }
  // Stable order for equal scores, so the printed list does not depend on the sort.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Detection& x, const Detection& y) { return x.score > y.score; });
  std::vector<Detection> kept;
  for (const Detection& d : candidates) {
    if (static_cast<int>(kept.size()) >= options.max_detections) break;
    bool suppressed = false;
    for (const Detection& k : kept) {
      if (k.cls == d.cls && iou(k, d) > options.iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(d);
  }
  return kept;
}

}  // namespace examples
