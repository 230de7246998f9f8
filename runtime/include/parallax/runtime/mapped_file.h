// MappedFile: a read-only memory mapping of a whole file (POSIX mmap), for weights files that
// generated code uses in place instead of reading them into memory.
//
//   MappedFile f;
//   Status s = MappedFile::open("model.weights.bin", &f);
//   const uint8_t* bytes = f.data();  // page-aligned, valid while f lives
//
// Also the checksum the compiler records for a weights blob, so a mapped file that does not
// belong to the generated code is rejected instead of silently producing wrong results.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "parallax/runtime/status.h"

namespace parallax::rt {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  // Maps `path` read-only. An empty file maps to a non-null pointer with size 0.
  static Status open(const std::string& path, MappedFile* out);
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void reset();
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  void* map_ = nullptr;  // what munmap gets (null for an empty file)
};

// A 64-bit checksum of `n` bytes (FNV-1a over 8-byte words; the tail byte-wise). Not
// cryptographic: it tells a stale or foreign weights file from the right one.
uint64_t weights_checksum(const uint8_t* data, size_t n);

}  // namespace parallax::rt
