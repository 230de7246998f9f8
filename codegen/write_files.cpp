#include "codegen/write_files.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace parallax::codegen {
namespace fs = std::filesystem;

rt::Status write_files(const std::string& dir, const std::vector<GeneratedFile>& files) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    return rt::Status::invalid("cannot create output folder '" + dir + "'" +
                               (ec ? ": " + ec.message() : ""));
  }
  // Temporary names are unique to this process, so two compilers writing one folder do not
  // clobber each other's halves.
  const std::string suffix = ".tmp" + std::to_string(::getpid());
  std::vector<fs::path> temps;
  auto discard = [&] {
    for (const fs::path& t : temps) fs::remove(t, ec);
  };
  for (const GeneratedFile& f : files) {
    const fs::path tmp = fs::path(dir) / ("." + f.name + suffix);
    temps.push_back(tmp);
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(f.contents.data(), static_cast<std::streamsize>(f.contents.size()));
    out.close();
    if (!out) {
      discard();
      return rt::Status::invalid("cannot write '" + (fs::path(dir) / f.name).string() + "'");
    }
  }
  for (size_t k = 0; k < files.size(); ++k) {
    fs::rename(temps[k], fs::path(dir) / files[k].name, ec);
    if (ec) {
      discard();
      return rt::Status::invalid("cannot rename '" + temps[k].string() + "' to '" + files[k].name +
                                 "': " + ec.message());
    }
  }
  return rt::Status::ok();
}

}  // namespace parallax::codegen
