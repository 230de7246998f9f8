// Cast (opset 1-17): y = x converted to the element type named by the attribute `to` (a
// TensorProto.DataType number; before opset 6 a type name such as "FLOAT"). Types: every
// numeric type, bool, float16, bfloat16; string is unsupported. See cast.h for the rules.
#include "cast.h"

#include <string>

namespace parallax::rt::kernels {

namespace {

// The opset 1-5 spelling of `to`.
Status dtype_from_name(const std::string& name, DType* out) {
  static const struct {
    const char* name;
    DType type;
  } kNames[] = {
      {"FLOAT", DType::kFloat32},   {"UINT8", DType::kUInt8},       {"INT8", DType::kInt8},
      {"UINT16", DType::kUInt16},   {"INT16", DType::kInt16},       {"INT32", DType::kInt32},
      {"INT64", DType::kInt64},     {"STRING", DType::kString},     {"BOOL", DType::kBool},
      {"FLOAT16", DType::kFloat16}, {"DOUBLE", DType::kFloat64},    {"UINT32", DType::kUInt32},
      {"UINT64", DType::kUInt64},   {"BFLOAT16", DType::kBFloat16},
  };
  for (const auto& n : kNames) {
    if (name == n.name) {
      *out = n.type;
      return Status::ok();
    }
  }
  return Status::unsupported("cast to type \"" + name + "\" is not supported");
}

Status target_dtype(const KernelContext& ctx, DType* out) {
  const Attribute* to = ctx.attr("to");
  if (to == nullptr) return Status::invalid("attribute 'to' is required");
  if (to->kind == Attribute::Kind::kString) return dtype_from_name(to->s, out);
  if (!dtype_is_valid(static_cast<int>(to->i))) {
    return Status::unsupported("cast to element type " + std::to_string(to->i) +
                               " is not supported");
  }
  *out = static_cast<DType>(to->i);
  return Status::ok();
}

}  // namespace

Status Cast(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  DType to = DType::kUndefined;
  PARALLAX_RETURN_IF_ERROR(target_dtype(ctx, &to));
  PARALLAX_RETURN_IF_ERROR(elementwise::check_castable(x->dtype, to));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, to, x->shape, &y));
  return elementwise::cast_tensor(*x, y);
}

}  // namespace parallax::rt::kernels
