// Add, Sub, Mul, Div, Min, Max on XNNPACK's N-d operators: float32, numpy broadcasting, up to
// XNN_MAX_TENSOR_DIMS dimensions, two inputs (Min / Max are variadic in ONNX). The operator is
// created once in prepare; shapes and pointers are given at each run. Anything else (other
// dtypes, legacy broadcast attributes before opset 7, higher ranks) runs the reference kernel.
#include "xnn.h"

namespace parallax::rt::kernels {

Status Add(KernelContext&);
Status Sub(KernelContext&);
Status Mul(KernelContext&);
Status Div(KernelContext&);
Status Min(KernelContext&);
Status Max(KernelContext&);

namespace {

using Setup = xnn_status (*)(xnn_operator_t, size_t, const size_t*, size_t, const size_t*,
                             const float*, const float*, float*, pthreadpool_t);

Status prepare_binary(KernelContext& ctx, xnn_status (*create)(xnn_operator_t*)) {
  if (!xnn::available() || ctx.opset() < 7 || ctx.input_count() != 2 ||
      !xnn::is_f32_input(ctx, 0) || !xnn::is_f32_input(ctx, 1) || !xnn::is_f32_output(ctx, 0)) {
    return Status::ok();
  }
  auto* op = new xnn::Operator;
  if (create(op->out()) != xnn_status_success) {
    delete op;  // the reference kernel takes over
    return Status::ok();
  }
  ctx.state() = op;
  return Status::ok();
}

Status run_binary(KernelContext& ctx, KernelFn reference, Setup setup) {
  auto* op = static_cast<xnn::Operator*>(ctx.state());
  const Tensor* a = ctx.input(0);
  const Tensor* b = ctx.input(1);
  if (op == nullptr || a == nullptr || b == nullptr || a->dtype != DType::kFloat32 ||
      b->dtype != DType::kFloat32 || a->shape.rank > XNN_MAX_TENSOR_DIMS ||
      b->shape.rank > XNN_MAX_TENSOR_DIMS) {
    return reference(ctx);
  }
  Shape out;
  PARALLAX_RETURN_IF_ERROR(broadcast_shapes(a->shape, b->shape, &out));
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kFloat32, out, &y));
  if (out.numel() == 0) return Status::ok();
  size_t da[XNN_MAX_TENSOR_DIMS], db[XNN_MAX_TENSOR_DIMS];
  for (int i = 0; i < a->shape.rank; ++i) da[i] = static_cast<size_t>(a->shape[i]);
  for (int i = 0; i < b->shape.rank; ++i) db[i] = static_cast<size_t>(b->shape[i]);
  PARALLAX_RETURN_IF_ERROR(
      xnn::check(setup(op->get(), a->shape.rank, da, b->shape.rank, db, a->data_as<float>(),
                       b->data_as<float>(), y->data_as<float>(), ctx.threadpool()),
                 "setup"));
  return op->run(ctx);
}

xnn_status create_add(xnn_operator_t* op) {
  return xnn_create_add_nd_f32(-xnn::kInf, xnn::kInf, 0, op);
}
xnn_status create_sub(xnn_operator_t* op) {
  return xnn_create_subtract_nd_f32(-xnn::kInf, xnn::kInf, 0, op);
}
xnn_status create_mul(xnn_operator_t* op) {
  return xnn_create_multiply_nd_f32(-xnn::kInf, xnn::kInf, 0, op);
}
xnn_status create_div(xnn_operator_t* op) {
  return xnn_create_divide_nd_f32(-xnn::kInf, xnn::kInf, 0, op);
}
xnn_status create_min(xnn_operator_t* op) { return xnn_create_minimum_nd_f32(0, op); }
xnn_status create_max(xnn_operator_t* op) { return xnn_create_maximum_nd_f32(0, op); }

}  // namespace

#define PARALLAX_XNN_BINARY(OP, CREATE, SETUP)                                         \
  Status Xnn##OP##_prepare(KernelContext& ctx) { return prepare_binary(ctx, CREATE); } \
  void Xnn##OP##_release(void* state) { xnn::release_operator(state); }                \
  Status Xnn##OP(KernelContext& ctx) { return run_binary(ctx, &OP, SETUP); }

PARALLAX_XNN_BINARY(Add, create_add, xnn_setup_add_nd_f32)
PARALLAX_XNN_BINARY(Sub, create_sub, xnn_setup_subtract_nd_f32)
PARALLAX_XNN_BINARY(Mul, create_mul, xnn_setup_multiply_nd_f32)
PARALLAX_XNN_BINARY(Div, create_div, xnn_setup_divide_nd_f32)
PARALLAX_XNN_BINARY(Min, create_min, xnn_setup_minimum_nd_f32)
PARALLAX_XNN_BINARY(Max, create_max, xnn_setup_maximum_nd_f32)

#undef PARALLAX_XNN_BINARY

}  // namespace parallax::rt::kernels
