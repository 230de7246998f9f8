// ConstantOfShape: a tensor of the shape given by input 0 (1-D int64), every element equal to
// the one-element `value` attribute (float 0 by default), in value's type.
#include "copy.h"
#include "fill.h"

namespace parallax::rt::kernels {

Status ConstantOfShape(KernelContext& ctx) {
  const Tensor* shape_t = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &shape_t));
  if (shape_t->shape.rank > 1) return Status::invalid("shape must be 1-D");
  Shape out;
  PARALLAX_RETURN_IF_ERROR(shape_from_tensor(*shape_t, &out));
  const float zero = 0.0f;
  const void* value = &zero;
  DType dtype = DType::kFloat32;
  if (const Tensor* v = ctx.attr_tensor("value")) {
    if (v->numel() != 1) return Status::invalid("value must hold exactly one element");
    value = v->data;
    dtype = v->dtype;
  }
  if (dtype_size(dtype) == 0) {
    return Status::unsupported(std::string("element type ") + dtype_name(dtype) +
                               " is not supported");
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, dtype, out, &y));
  fill_bytes(y->data, out.numel(), value, dtype_size(dtype));
  return Status::ok();
}

}  // namespace parallax::rt::kernels
