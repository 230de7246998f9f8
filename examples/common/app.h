// What the example apps share around the model: the command line (IMAGE, --labels, --runs,
// --threads and each app's own flags), the labels file, and creating and timing the model.
//
//   examples::AppArgs args;
//   std::string error = examples::parse_args(argc, argv, &args, [&](const std::string& flag,
//                                                                     const char* value) {
//     if (flag != "--top") return false;
//     top = std::atoi(value);
//     return true;
//   });
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "image.h"

namespace examples {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0);

struct AppArgs {
  std::string image_path;
  std::string labels_path;
  int runs = 10;
  int threads = 0;
};

// Called with an app's own flag and the argument after it; returns whether it took both.
using FlagHandler = std::function<bool(const std::string& flag, const char* value)>;

// Fills `args` from the command line; returns "" or what is wrong with it ("no image given").
// The value checks are the app's.
std::string parse_args(int argc, char** argv, AppArgs* args, const FlagHandler& own_flag);

// One label per line (none when `path` is empty); false with `error` set when the file cannot
// be opened.
bool read_labels(const std::string& path, std::vector<std::string>* labels, std::string* error);

// read_image (image.h) that also says how long it took.
bool read_image_timed(const std::string& path, Image* img, double* load_ms, std::string* error);

// labels[c], or "class c" past the end of the labels.
std::string label_of(const std::vector<std::string>& labels, int c);

// Creates a generated Model class with `threads` executor threads (0 = its default), then runs
// it runs + 1 times on one input and one output buffer; the first run is an untimed warm-up.
// `run_ms` comes back sorted. Returns the first failing Status.
template <class Model>
auto create_and_time(int threads, int runs, const float* input, float* output,
                     std::unique_ptr<Model>* model, double* create_ms,
                     std::vector<double>* run_ms) {
  auto t0 = Clock::now();
  typename Model::Options options;
  options.executor.threads = threads;
  auto s = Model::create(options, model);
  if (!s.is_ok()) return s;
  *create_ms = ms_since(t0);
  for (int r = 0; r <= runs; ++r) {
    t0 = Clock::now();
    s = (*model)->run(input, output);
    if (!s.is_ok()) return s;
    if (r > 0) run_ms->push_back(ms_since(t0));
  }
  std::sort(run_ms->begin(), run_ms->end());
  return s;
}

}  // namespace examples
