#include "parallax/testdata/tensor_io.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace parallax::testdata {
namespace {

// Copies `n` typed-field values into `out` as elements of type T.
template <typename T, typename Field>
void copy_field(const Field& field, rt::AlignedBytes* out) {
  out->resize(static_cast<size_t>(field.size()) * sizeof(T));
  T* p = reinterpret_cast<T*>(out->data());
  for (int i = 0; i < field.size(); ++i) p[i] = static_cast<T>(field.Get(i));
}

// The path of an external data file, or an error when `location` could leave `model_dir`.
rt::Status external_path(const std::string& tensor, const std::string& location,
                         const std::string& model_dir, std::string* out) {
  const std::string what =
      "initializer '" + tensor + "': external data location '" + location + "'";
  if (model_dir.empty())
    return rt::Status::invalid(what + " cannot be resolved without a model folder");
  if (location.empty()) return rt::Status::invalid(what + " is empty");
  if (location[0] == '/' || location[0] == '\\' || location.find(':') != std::string::npos) {
    return rt::Status::invalid(
        what + " is an absolute path; only paths inside the model folder are allowed");
  }
  std::stringstream parts(location);
  std::string part;
  while (std::getline(parts, part, '/')) {
    if (part == ".." || part.find("\\") != std::string::npos) {
      return rt::Status::invalid(what + " escapes the model folder");
    }
  }
  *out = model_dir + "/" + location;
  return rt::Status::ok();
}

rt::Status read_external(const onnx::TensorProto& proto, const std::string& model_dir, size_t want,
                         rt::AlignedBytes* out) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    if (kv.key() == "offset") offset = std::strtoll(kv.value().c_str(), nullptr, 10);
    if (kv.key() == "length") length = std::strtoll(kv.value().c_str(), nullptr, 10);
  }
  std::string path;
  PARALLAX_RETURN_IF_ERROR(external_path(proto.name(), location, model_dir, &path));
  const std::string what =
      "initializer '" + proto.name() + "': external data file '" + location + "'";
  std::ifstream f(path, std::ios::binary);
  if (!f) return rt::Status::invalid(what + " cannot be opened");
  f.seekg(0, std::ios::end);
  const int64_t size = static_cast<int64_t>(f.tellg());
  if (length < 0) length = size - offset;
  if (offset < 0 || length < 0 || offset + length > size) {
    return rt::Status::invalid(what + " is shorter than offset + length");
  }
  if (static_cast<size_t>(length) != want) {
    return rt::Status::invalid(what + " holds " + std::to_string(length) + " bytes, expected " +
                               std::to_string(want));
  }
  out->resize(want);
  f.seekg(offset);
  if (want && !f.read(reinterpret_cast<char*>(out->data()), static_cast<std::streamsize>(want))) {
    return rt::Status::invalid(what + " could not be read");
  }
  return rt::Status::ok();
}

rt::Status read_typed_fields(const onnx::TensorProto& p, rt::DType dt, rt::AlignedBytes* out) {
  using rt::DType;
  switch (dt) {
    case DType::kFloat32:
      copy_field<float>(p.float_data(), out);
      break;
    case DType::kFloat64:
      copy_field<double>(p.double_data(), out);
      break;
    case DType::kInt64:
      copy_field<int64_t>(p.int64_data(), out);
      break;
    case DType::kInt32:
      copy_field<int32_t>(p.int32_data(), out);
      break;
    case DType::kInt16:
      copy_field<int16_t>(p.int32_data(), out);
      break;
    case DType::kInt8:
      copy_field<int8_t>(p.int32_data(), out);
      break;
    case DType::kUInt16:
      copy_field<uint16_t>(p.int32_data(), out);
      break;
    case DType::kUInt8:
      copy_field<uint8_t>(p.int32_data(), out);
      break;
    case DType::kBool:
      copy_field<uint8_t>(p.int32_data(), out);
      break;
    case DType::kFloat16:
      copy_field<uint16_t>(p.int32_data(), out);
      break;
    case DType::kBFloat16:
      copy_field<uint16_t>(p.int32_data(), out);
      break;
    case DType::kUInt32:
      copy_field<uint32_t>(p.uint64_data(), out);
      break;
    case DType::kUInt64:
      copy_field<uint64_t>(p.uint64_data(), out);
      break;
    default:
      return rt::Status::unsupported(std::string("tensor element type ") + rt::dtype_name(dt) +
                                     " is not supported");
  }
  return rt::Status::ok();
}

}  // namespace

int64_t HostTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

rt::Status HostTensor::view(rt::Tensor* out) const {
  out->dtype = dtype;
  if (!rt::Shape::from(dims.data(), static_cast<int>(dims.size()), &out->shape)) {
    return rt::Status::unsupported("tensor '" + name + "' has rank " + std::to_string(dims.size()) +
                                   ", more than " + std::to_string(rt::kMaxRank));
  }
  out->data = const_cast<uint8_t*>(bytes.data());
  return rt::Status::ok();
}

rt::Status tensor_from_proto(const onnx::TensorProto& proto, const std::string& model_dir,
                             HostTensor* out) {
  const std::string what = "tensor '" + proto.name() + "'";
  if (!rt::dtype_is_valid(proto.data_type()) || proto.data_type() == 0) {
    return rt::Status::unsupported(what + " has unsupported element type " +
                                   std::to_string(proto.data_type()));
  }
  const rt::DType dt = static_cast<rt::DType>(proto.data_type());
  if (dt == rt::DType::kString) return rt::Status::unsupported(what + " holds strings");
  HostTensor t;
  t.name = proto.name();
  t.dtype = dt;
  int64_t numel = 1;
  for (int64_t d : proto.dims()) {
    if (d < 0 || (d > 0 && numel > std::numeric_limits<int64_t>::max() / d / 16)) {
      return rt::Status::invalid(what + " has an invalid dimension " + std::to_string(d));
    }
    t.dims.push_back(d);
    numel *= d;
  }
  const size_t want = static_cast<size_t>(numel) * rt::dtype_size(dt);
  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    PARALLAX_RETURN_IF_ERROR(read_external(proto, model_dir, want, &t.bytes));
  } else if (proto.has_raw_data()) {
    if (proto.raw_data().size() != want) {
      return rt::Status::invalid(what + " has " + std::to_string(proto.raw_data().size()) +
                                 " bytes of raw data, expected " + std::to_string(want));
    }
    t.bytes.assign(proto.raw_data().begin(), proto.raw_data().end());
  } else {
    PARALLAX_RETURN_IF_ERROR(read_typed_fields(proto, dt, &t.bytes));
    if (t.bytes.size() != want) {
      return rt::Status::invalid(what + " holds " +
                                 std::to_string(t.bytes.size() / rt::dtype_size(dt)) +
                                 " values, its shape needs " + std::to_string(numel));
    }
  }
  *out = std::move(t);
  return rt::Status::ok();
}

void tensor_to_proto(const HostTensor& t, onnx::TensorProto* out) {
  out->Clear();
  out->set_name(t.name);
  out->set_data_type(static_cast<int>(t.dtype));
  for (int64_t d : t.dims) out->add_dims(d);
  out->set_raw_data(std::string(t.bytes.begin(), t.bytes.end()));
}

HostTensor host_from_view(const rt::Tensor& v, const std::string& name) {
  HostTensor t;
  t.name = name;
  t.dtype = v.dtype;
  t.dims.assign(v.shape.dims, v.shape.dims + v.shape.rank);
  const size_t n = v.nbytes();
  t.bytes.resize(n);
  if (n) std::memcpy(t.bytes.data(), v.data, n);
  return t;
}

rt::Status read_tensor_file(const std::string& path, HostTensor* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return rt::Status::invalid("cannot open tensor file '" + path + "'");
  onnx::TensorProto proto;
  if (!proto.ParseFromIstream(&f)) {
    return rt::Status::invalid("'" + path + "' is not a valid TensorProto file");
  }
  return tensor_from_proto(proto, "", out).with_context("'" + path + "'");
}

rt::Status write_tensor_file(const std::string& path, const HostTensor& t) {
  onnx::TensorProto proto;
  tensor_to_proto(t, &proto);
  std::ofstream f(path, std::ios::binary);
  if (!f || !proto.SerializeToOstream(&f)) {
    return rt::Status::invalid("cannot write tensor file '" + path + "'");
  }
  return rt::Status::ok();
}

}  // namespace parallax::testdata
