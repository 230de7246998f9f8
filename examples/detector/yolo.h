// YOLOv8 output decoding: the model's 1 x (4 + C) x N tensor -> boxes in image pixels.
//
// Row-major layout as exported: rows 0-3 are the box centre x, centre y, width and height in
// model-input pixels for each of the N anchors; rows 4 .. 4+C-1 are the per-class scores, already
// through a sigmoid. Each anchor keeps its best class; anchors under the score threshold are
// dropped; then greedy non-maximum suppression per class.
//
//   std::vector<Detection> d = decode_yolov8(out, 80, 8400, lb, img.width, img.height, {});
#pragma once

#include <vector>

#include "image.h"

namespace examples {

struct Detection {
  float x1, y1, x2, y2;  // image pixels, clipped to the image
  float score;
  int cls;
};

struct DecodeOptions {
  float score_threshold = 0.25f;
  float iou_threshold = 0.45f;  // NMS: drop a box overlapping a better one of its class more
  int max_detections = 300;
};

// Intersection over union of two boxes (0 when either is empty).
float iou(const Detection& a, const Detection& b);

// Detections sorted by descending score; `lb` maps model pixels back to the image.
std::vector<Detection> decode_yolov8(const float* out, int classes, int anchors,
                                     const Letterbox& lb, int image_width, int image_height,
                                     const DecodeOptions& options);

}  // namespace examples
