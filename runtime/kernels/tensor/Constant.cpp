// Constant: outputs the tensor held in its attribute: `value` (all opsets), or from opset 12
// value_float / value_floats / value_int / value_ints. Strings and sparse tensors are not
// supported.
#include "copy.h"

namespace parallax::rt::kernels {

namespace {

template <typename T>
Status output_values(KernelContext& ctx, const T* values, int64_t n, bool scalar) {
  Shape s;
  if (!scalar) s = Shape{n};
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, dtype_of<T>(), s, &y));
  if (n != 0) std::memcpy(y->data, values, static_cast<size_t>(n) * sizeof(T));
  return Status::ok();
}

}  // namespace

Status Constant(KernelContext& ctx) {
  if (const Tensor* v = ctx.attr_tensor("value")) {
    if (dtype_size(v->dtype) == 0) {
      return Status::unsupported(std::string("constant of type ") + dtype_name(v->dtype));
    }
    Tensor* y = nullptr;
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, v->dtype, v->shape, &y));
    if (v->nbytes() != 0) std::memcpy(y->data, v->data, v->nbytes());
    return Status::ok();
  }
  if (const Attribute* a = ctx.attr("value_float")) return output_values(ctx, &a->f, 1, true);
  if (const Attribute* a = ctx.attr("value_int")) return output_values(ctx, &a->i, 1, true);
  if (const Attribute* a = ctx.attr("value_floats")) {
    return output_values(ctx, a->floats.data(), static_cast<int64_t>(a->floats.size()), false);
  }
  if (const Attribute* a = ctx.attr("value_ints")) {
    return output_values(ctx, a->ints.data(), static_cast<int64_t>(a->ints.size()), false);
  }
  if (ctx.has_attr("value_string") || ctx.has_attr("value_strings")) {
    return Status::unsupported("string constants are not supported");
  }
  if (ctx.has_attr("sparse_value"))
    return Status::unsupported("sparse constants are not supported");
  return Status::invalid("Constant has no value attribute");
}

}  // namespace parallax::rt::kernels
