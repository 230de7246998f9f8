#include "app.h"

#include <cstdlib>
#include <fstream>

namespace examples {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string parse_args(int argc, char** argv, AppArgs* args, const FlagHandler& own_flag) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--labels" && has_value) {
      args->labels_path = argv[++i];
    } else if (a == "--runs" && has_value) {
      args->runs = std::atoi(argv[++i]);
    } else if (a == "--threads" && has_value) {
      args->threads = std::atoi(argv[++i]);
    } else if (has_value && own_flag(a, argv[i + 1])) {
      ++i;
    } else if (a[0] != '-' && args->image_path.empty()) {
      args->image_path = a;
    } else {
      return "unexpected argument '" + a + "'";
    }
  }
  if (args->image_path.empty()) return "no image given";
  return "";
}

bool read_labels(const std::string& path, std::vector<std::string>* labels, std::string* error) {
  if (path.empty()) return true;
  std::ifstream in(path);
  if (!in) {
    *error = "cannot open labels file '" + path + "'";
    return false;
  }
  for (std::string line; std::getline(in, line);) labels->push_back(line);
  return true;
}

bool read_image_timed(const std::string& path, Image* img, double* load_ms, std::string* error) {
  const Clock::time_point t0 = Clock::now();
  if (!read_image(path, img, error)) return false;
  *load_ms = ms_since(t0);
  return true;
}

std::string label_of(const std::vector<std::string>& labels, int c) {
  return c < static_cast<int>(labels.size()) ? labels[c] : "class " + std::to_string(c);
}

}  // namespace examples
