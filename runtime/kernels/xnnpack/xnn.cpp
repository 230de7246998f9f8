#include "xnn.h"

#include "../nn/vector_math.h"

namespace parallax::rt::kernels::xnn {

bool available() {
  // xnn_initialize is idempotent but not thread-safe; a function-local static is.
  static const bool ok = xnn_initialize(nullptr) == xnn_status_success;
  return ok;
}

Status check(xnn_status s, const char* what) {
  switch (s) {
    case xnn_status_success:
      return Status::ok();
    case xnn_status_out_of_memory:
      return Status::internal(std::string("XNNPACK ") + what + ": out of memory");
    case xnn_status_unsupported_hardware:
      return Status::unsupported(std::string("XNNPACK ") + what + ": unsupported CPU");
    case xnn_status_invalid_parameter:
    case xnn_status_unsupported_parameter:
      return Status::unsupported(std::string("XNNPACK ") + what + ": parameters not supported");
    default:
      return Status::internal(std::string("XNNPACK ") + what + " failed with status " +
                              std::to_string(static_cast<int>(s)));
  }
}

Status Epilogue::init(const KernelContext& ctx) {
  using Kind = nn::Activation::Kind;
  PARALLAX_RETURN_IF_ERROR(nn::Activation::parse(ctx, &act_));
  switch (act_.kind) {
    case Kind::kNone:
      return Status::ok();
    case Kind::kRelu:
      min_ = 0.0f;
      return Status::ok();
    case Kind::kClip:
      // XNNPACK wants a non-empty range; a degenerate Clip keeps the reference's exact order.
      if (act_.p0 < act_.p1) {
        min_ = act_.p0;
        max_ = act_.p1;
      } else {
        loop_ = true;
      }
      return Status::ok();
    case Kind::kSigmoid:
      return check(xnn_create_sigmoid_nc_f32(1, 1, 1, 0, unary_.out()), "create sigmoid");
    case Kind::kHardSwish:
      return check(xnn_create_hardswish_nc_f32(1, 1, 1, 0, unary_.out()), "create hardswish");
    case Kind::kLeakyRelu:
      return check(xnn_create_leaky_relu_nc_f32(1, 1, 1, act_.p0, 0, unary_.out()),
                   "create leaky relu");
    case Kind::kSiLU:
      // One pass over y (nn/vector_math.h); XNNPACK's sigmoid then multiply took three.
      silu_ = true;
      return Status::ok();
    case Kind::kGelu:
      gelu_ = true;  // vectorised erf (nn/vector_math.h), within 5e-7 of libm's
      return Status::ok();
    default:
      loop_ = true;
      return Status::ok();
  }
}

Status Epilogue::apply(KernelContext& ctx, float* y, size_t n) const {
  using Kind = nn::Activation::Kind;
  if (gelu_) {
    nn::gelu_erf_f32(y, n, ctx.threadpool());
    return Status::ok();
  }
  if (silu_) {
    nn::silu_f32(y, n, ctx.threadpool());
    return Status::ok();
  }
  if (loop_) {
    act_.apply<float>(y, static_cast<int64_t>(n));
    return Status::ok();
  }
  if (!unary_ || n == 0) return Status::ok();
  pthreadpool_t pool = ctx.threadpool();
  xnn_status s = xnn_status_success;
  switch (act_.kind) {
    case Kind::kSigmoid:
      s = xnn_setup_sigmoid_nc_f32(unary_.get(), n, y, y, pool);
      break;
    case Kind::kHardSwish:
      s = xnn_setup_hardswish_nc_f32(unary_.get(), n, y, y, pool);
      break;
    case Kind::kLeakyRelu:
      s = xnn_setup_leaky_relu_nc_f32(unary_.get(), n, y, y, pool);
      break;
    default:
      return Status::internal("epilogue operator for an activation without one");
  }
  PARALLAX_RETURN_IF_ERROR(check(s, "setup activation"));
  return unary_.run(ctx);
}

}  // namespace parallax::rt::kernels::xnn
