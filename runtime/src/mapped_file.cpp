#include "parallax/runtime/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace parallax::rt {

MappedFile::~MappedFile() { reset(); }

MappedFile::MappedFile(MappedFile&& other) noexcept { *this = std::move(other); }

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    reset();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    map_ = std::exchange(other.map_, nullptr);
  }
  return *this;
}

void MappedFile::reset() {
  if (map_ != nullptr) munmap(map_, size_);
  data_ = nullptr;
  size_ = 0;
  map_ = nullptr;
}

Status MappedFile::open(const std::string& path, MappedFile* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::invalid("cannot open weights file '" + path + "': " + std::strerror(errno));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::invalid("weights file '" + path + "' is not a regular file");
  }
  MappedFile f;
  f.size_ = static_cast<size_t>(st.st_size);
  if (f.size_ > 0) {
    void* p = mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      f.size_ = 0;
      return Status::invalid("cannot map weights file '" + path + "': " + std::strerror(err));
    }
    f.map_ = p;
    f.data_ = static_cast<const uint8_t*>(p);
  } else {
    static const uint8_t kEmpty[64] = {};
    f.data_ = kEmpty;
  }
  ::close(fd);  // the mapping stays valid without the descriptor
  *out = std::move(f);
  return Status::ok();
}

uint64_t weights_checksum(const uint8_t* data, size_t n) {
  constexpr uint64_t kPrime = 0x100000001b3ULL;
  uint64_t h = 0xcbf29ce484222325ULL;
  size_t i = 0;
  // Words are assembled little-endian so the value does not depend on the host's byte order.
  for (; i + 8 <= n; i += 8) {
    uint64_t w = 0;
    for (int b = 7; b >= 0; --b) w = (w << 8) | data[i + static_cast<size_t>(b)];
    h = (h ^ w) * kPrime;
    h ^= h >> 32;  // the multiply only moves bits up; fold the high half back down
  }
  for (; i < n; ++i) h = (h ^ data[i]) * kPrime;
  return h ^ static_cast<uint64_t>(n);
}

}  // namespace parallax::rt
