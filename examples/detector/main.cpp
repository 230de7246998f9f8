// Object detector app: the zoo's YOLOv8n compiled by parallax_add_model (class
// parallax::models::yolov8n), run on a PNG or PPM photo; prints the boxes after decoding and
// non-maximum suppression (yolo.h) and where the time went.
//
//   detector IMAGE [--labels FILE] [--score S] [--iou I] [--show K] [--runs N] [--threads T]
//
// The zoo model carries random weights (nothing can be downloaded where it is built), so the
// boxes it prints say nothing about the photo; the app shows the integration, the decoding and
// the timings.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "app.h"
#include "yolo.h"
#include "yolov8n.h"

namespace {

using Model = parallax::models::yolov8n;
using examples::Clock;
using examples::ms_since;

int usage(const char* error) {
  std::fprintf(stderr,
               "detector: %s\nusage: detector IMAGE [--labels FILE] [--score S] [--iou I] "
               "[--show K] [--runs N] [--threads T]\n",
               error);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  static_assert(Model::kInputCount == 1 && Model::kOutputCount == 1,
                "one image in, one tensor out");
  static_assert(Model::kInput0Shape.size() == 4 && Model::kInput0Shape[2] == Model::kInput0Shape[3],
                "a square NCHW input");
  static_assert(Model::kOutput0Shape.size() == 3 && Model::kOutput0Shape[1] > 4,
                "YOLOv8 output: 1 x (4 + classes) x anchors");
  examples::AppArgs args;
  examples::DecodeOptions decode;
  int show = 10;
  const std::string arg_error =
      examples::parse_args(argc, argv, &args, [&](const std::string& flag, const char* value) {
        if (flag == "--score") {
          decode.score_threshold = std::strtof(value, nullptr);
        } else if (flag == "--iou") {
          decode.iou_threshold = std::strtof(value, nullptr);
        } else if (flag == "--show") {
          show = std::atoi(value);
        } else {
          return false;
        }
        return true;
      });
  if (!arg_error.empty()) return usage(arg_error.c_str());
  const int runs = args.runs, threads = args.threads;
  const std::string& image_path = args.image_path;
  if (show < 0 || runs < 1 || threads < 0)
    return usage("--runs needs a value >= 1, --show and --threads >= 0");

  constexpr int kSize = static_cast<int>(Model::kInput0Shape[2]);
  constexpr int kClasses = static_cast<int>(Model::kOutput0Shape[1]) - 4;
  constexpr int kAnchors = static_cast<int>(Model::kOutput0Shape[2]);
  std::vector<std::string> labels;
  std::string error;
  if (!examples::read_labels(args.labels_path, &labels, &error)) return usage(error.c_str());

  examples::Image img;
  double load_ms = 0.0;
  if (!examples::read_image_timed(image_path, &img, &load_ms, &error)) {
    std::fprintf(stderr, "detector: %s\n", error.c_str());
    return 2;
  }
  auto t0 = Clock::now();
  examples::Letterbox lb;
  const std::vector<float> input = examples::letterbox_tensor(img, kSize, &lb);
  const double pre_ms = ms_since(t0);

  std::vector<float> out(static_cast<size_t>(Model::kOutputNumel[0]));
  std::unique_ptr<Model> model;
  double create_ms = 0.0;
  std::vector<double> times;
  const parallax::rt::Status s = examples::create_and_time<Model>(
      threads, runs, input.data(), out.data(), &model, &create_ms, &times);
  if (!s.is_ok()) {
    std::fprintf(stderr, "detector: %s\n", s.message().c_str());
    return 1;
  }

  t0 = Clock::now();
  const std::vector<examples::Detection> boxes =
      examples::decode_yolov8(out.data(), kClasses, kAnchors, lb, img.width, img.height, decode);
  const double post_ms = ms_since(t0);

  std::printf(
      "model: %s, input %dx%d, %d classes x %d anchors, weights %.1f MB (random:\n"
      "       untrained, so the boxes below are arbitrary; they show the pipeline, not a\n"
      "       detection)\n",
      Model::kName, kSize, kSize, kClasses, kAnchors, Model::weights_bytes() / 1e6);
  std::printf("image: %s (%dx%d)\n", image_path.c_str(), img.width, img.height);
  std::printf("boxes: %zu kept (score >= %.2f, NMS at IoU %.2f, at most %d); the %d best:\n",
              boxes.size(), decode.score_threshold, decode.iou_threshold, decode.max_detections,
              std::min(show, static_cast<int>(boxes.size())));
  for (int k = 0; k < show && k < static_cast<int>(boxes.size()); ++k) {
    const examples::Detection& d = boxes[k];
    const std::string name = examples::label_of(labels, d.cls);
    std::printf("  %-14s score=%.3f  box=(%.0f, %.0f)-(%.0f, %.0f)\n", name.c_str(), d.score, d.x1,
                d.y1, d.x2, d.y2);
  }
  std::printf(
      "time: load %.1f ms, preprocess %.1f ms, create %.1f ms, run median %.2f ms "
      "(min %.2f, max %.2f, %d runs, %d threads), decode+NMS %.2f ms\n",
      load_ms, pre_ms, create_ms, times[times.size() / 2], times.front(), times.back(), runs,
      model->executor().thread_count(), post_ms);
  return 0;
}
