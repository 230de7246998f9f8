// tensor_io: TensorProto <-> HostTensor in every storage form.
#include <catch2/catch.hpp>

#include <cstring>

#include "compiler/import/tensor_io.h"
#include "test_util.h"

namespace parallax::test {
namespace {

using import::HostTensor;
using rt::DType;

template <typename T> std::vector<T> values_of(const HostTensor& t) {
  std::vector<T> v(static_cast<size_t>(t.numel()));
  if (!v.empty()) std::memcpy(v.data(), t.bytes.data(), v.size() * sizeof(T));
  return v;
}

TEST_CASE("tensor_io: raw_data round trip through a file", "[tensor_io]") {
  HostTensor t;
  t.name = "t";
  t.dtype = DType::kInt64;
  t.dims = {2, 2};
  const std::vector<int64_t> vals{1, -2, 3, 1LL << 40};
  t.bytes.resize(32);
  std::memcpy(t.bytes.data(), vals.data(), 32);
  const std::string path = (temp_dir() / "t.pb").string();
  REQUIRE(import::write_tensor_file(path, t).is_ok());
  HostTensor back;
  REQUIRE(import::read_tensor_file(path, &back).is_ok());
  CHECK(back.name == "t");
  CHECK(back.dtype == DType::kInt64);
  CHECK(back.dims == t.dims);
  CHECK(values_of<int64_t>(back) == vals);
}

TEST_CASE("tensor_io: typed fields, float16 bit patterns in int32_data", "[tensor_io]") {
  onnx::TensorProto p;
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(3);
  for (float f : {1.5f, -2.0f, 0.25f}) p.add_float_data(f);
  HostTensor t;
  REQUIRE(import::tensor_from_proto(p, "", &t).is_ok());
  CHECK(values_of<float>(t) == std::vector<float>{1.5f, -2.0f, 0.25f});

  onnx::TensorProto h;
  h.set_data_type(onnx::TensorProto::FLOAT16);
  h.add_dims(2);
  h.add_int32_data(0x3c00);  // 1.0
  h.add_int32_data(0xc000);  // -2.0
  REQUIRE(import::tensor_from_proto(h, "", &t).is_ok());
  CHECK(values_of<uint16_t>(t) == std::vector<uint16_t>{0x3c00, 0xc000});

  onnx::TensorProto b;
  b.set_data_type(onnx::TensorProto::BOOL);
  b.add_dims(2);
  b.add_int32_data(1);
  b.add_int32_data(0);
  REQUIRE(import::tensor_from_proto(b, "", &t).is_ok());
  CHECK(values_of<uint8_t>(t) == std::vector<uint8_t>{1, 0});
}

TEST_CASE("tensor_io: size mismatches are errors", "[tensor_io]") {
  onnx::TensorProto p;
  p.set_name("w");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(4);
  p.set_raw_data(std::string(8, '\0'));
  HostTensor t;
  rt::Status s = import::tensor_from_proto(p, "", &t);
  CHECK(s.message() == "tensor 'w' has 8 bytes of raw data, expected 16");
  CHECK_FALSE(import::read_tensor_file("/nonexistent/x.pb", &t).is_ok());
}

TEST_CASE("tensor_io: external data honours offset and length, stays in the folder", "[tensor_io]") {
  const auto dir = temp_dir();
  const float vals[2] = {7.0f, 8.0f};
  std::string blob(4, 'x');
  blob.append(reinterpret_cast<const char*>(vals), 8);
  write_file(dir, "weights.bin", blob);
  onnx::TensorProto p;
  p.set_name("w");
  p.set_data_type(onnx::TensorProto::FLOAT);
  p.add_dims(2);
  p.set_data_location(onnx::TensorProto::EXTERNAL);
  auto add = [&](const char* k, const std::string& v) {
    auto* e = p.add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  add("location", "weights.bin");
  add("offset", "4");
  add("length", "8");
  HostTensor t;
  REQUIRE(import::tensor_from_proto(p, dir.string(), &t).is_ok());
  CHECK(values_of<float>(t) == std::vector<float>{7.0f, 8.0f});

  p.mutable_external_data(0)->set_value("../weights.bin");
  CHECK(import::tensor_from_proto(p, dir.string(), &t).message().find("escapes the model folder") != std::string::npos);
  p.mutable_external_data(0)->set_value("/etc/passwd");
  CHECK(import::tensor_from_proto(p, dir.string(), &t).message().find("is an absolute path") != std::string::npos);
}

}  // namespace
}  // namespace parallax::test
