// Image classifier app: a zoo CNN compiled by parallax_add_model (class
// parallax::models::image_classifier), run on a PNG or PPM photo; prints the top-k classes and
// where the time went.
//
//   classifier IMAGE [--labels FILE] [--top K] [--runs N] [--threads T]
//
// The zoo models carry random weights (nothing can be downloaded where they are built), so the
// classes it prints say nothing about the photo; the app shows the integration and the timings.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "app.h"
#include "image_classifier.h"

namespace {

using Model = parallax::models::image_classifier;
using examples::Clock;
using examples::ms_since;

int usage(const char* error) {
  std::fprintf(stderr,
               "classifier: %s\nusage: classifier IMAGE [--labels FILE] [--top K] [--runs N] "
               "[--threads T]\n",
               error);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  static_assert(Model::kInputCount == 1 && Model::kOutputCount == 1, "one image in, scores out");
  static_assert(Model::kInput0Shape.size() == 4 && Model::kInput0Shape[1] == 3, "NCHW RGB input");
  static_assert(Model::kInput0Shape[2] == Model::kInput0Shape[3], "a square input");
  examples::AppArgs args;
  int top = 5;
  const std::string arg_error =
      examples::parse_args(argc, argv, &args, [&](const std::string& flag, const char* value) {
        if (flag != "--top") return false;
        top = std::atoi(value);
        return true;
      });
  if (!arg_error.empty()) return usage(arg_error.c_str());
  const int runs = args.runs, threads = args.threads;
  const std::string& image_path = args.image_path;
  if (top < 1 || runs < 1 || threads < 0)
    return usage("--top and --runs need a value >= 1, --threads >= 0");

  constexpr int kSize = static_cast<int>(Model::kInput0Shape[2]);
  constexpr int64_t kClasses = Model::kOutputNumel[0];
  std::vector<std::string> labels;
  std::string error;
  if (!examples::read_labels(args.labels_path, &labels, &error)) return usage(error.c_str());

  examples::Image img;
  double load_ms = 0.0;
  if (!examples::read_image_timed(image_path, &img, &load_ms, &error)) {
    std::fprintf(stderr, "classifier: %s\n", error.c_str());
    return 2;
  }
  auto t0 = Clock::now();
  const std::vector<float> input = examples::imagenet_tensor(img, kSize);
  const double pre_ms = ms_since(t0);

  std::vector<float> scores(static_cast<size_t>(kClasses));
  std::unique_ptr<Model> model;
  double create_ms = 0.0;
  std::vector<double> times;
  const parallax::rt::Status s = examples::create_and_time<Model>(
      threads, runs, input.data(), scores.data(), &model, &create_ms, &times);
  if (!s.is_ok()) {
    std::fprintf(stderr, "classifier: %s\n", s.message().c_str());
    return 1;
  }

  // Softmax over the logits, then the k best.
  const float max_logit = *std::max_element(scores.begin(), scores.end());
  std::vector<double> prob(scores.size());
  double sum = 0.0;
  for (size_t i = 0; i < scores.size(); ++i) sum += prob[i] = std::exp(scores[i] - max_logit);
  for (double& p : prob) p /= sum;
  std::vector<int> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  top = std::min<int>(top, static_cast<int>(order.size()));
  std::partial_sort(order.begin(), order.begin() + top, order.end(),
                    [&](int a, int b) { return prob[a] > prob[b]; });

  std::printf(
      "model: %s, input %dx%d, %lld classes, weights %.1f MB (random: untrained, so the\n"
      "       classes below are arbitrary; they show the pipeline, not a prediction)\n",
      Model::kName, kSize, kSize, static_cast<long long>(kClasses), Model::weights_bytes() / 1e6);
  std::printf("image: %s (%dx%d)\n", image_path.c_str(), img.width, img.height);
  std::printf("top-%d:\n", top);
  for (int k = 0; k < top; ++k) {
    const int c = order[k];
    const std::string name = examples::label_of(labels, c);
    std::printf("  %2d. %-28s p=%.4f  logit=%.3f\n", k + 1, name.c_str(), prob[c], scores[c]);
  }
  std::printf(
      "time: load %.1f ms, preprocess %.1f ms, create %.1f ms, run median %.2f ms "
      "(min %.2f, max %.2f, %d runs, %d threads)\n",
      load_ms, pre_ms, create_ms, times[times.size() / 2], times.front(), times.back(), runs,
      model->executor().thread_count());
  return 0;
}
