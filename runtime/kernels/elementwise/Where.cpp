// Where (opset 9-17): y = condition ? x : y, all three broadcast together. Types: condition
// bool; x and y any one type (selection only moves elements, so it runs on their size).
#include <string>

#include "broadcast.h"

namespace parallax::rt::kernels {

namespace {

template <typename U> void select(const elementwise::BroadcastPlan<3>& plan, const bool* cond,
                                  const U* a, const U* b, U* out) {
  elementwise::for_each_row(plan, [&](int64_t o, const int64_t* off, int64_t n, const int64_t* st) {
    const bool* c = cond + off[0];
    const U* ra = a + off[1];
    const U* rb = b + off[2];
    U* ry = out + o;
    if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
      for (int64_t i = 0; i < n; ++i) ry[i] = c[i] ? ra[i] : rb[i];
    } else {
      for (int64_t i = 0; i < n; ++i) ry[i] = c[i * st[0]] ? ra[i * st[1]] : rb[i * st[2]];
    }
  });
}

}  // namespace

Status Where(KernelContext& ctx) {
  const Tensor* cond = nullptr;
  const Tensor* x = nullptr;
  const Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &cond));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &x));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 2, &y));
  if (cond->dtype != DType::kBool) {
    return Status::invalid(std::string("condition must be bool, not ") + dtype_name(cond->dtype));
  }
  if (x->dtype != y->dtype) {
    return Status::invalid(std::string("X and Y have different element types (") +
                           dtype_name(x->dtype) + " and " + dtype_name(y->dtype) + ")");
  }
  Shape shape;
  PARALLAX_RETURN_IF_ERROR(broadcast_shapes(cond->shape, x->shape, &shape));
  PARALLAX_RETURN_IF_ERROR(broadcast_shapes(shape, y->shape, &shape));
  Tensor* out = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, shape, &out));
  const Shape* ins[3] = {&cond->shape, &x->shape, &y->shape};
  const elementwise::BroadcastPlan<3> plan = elementwise::plan_broadcast(shape, ins);
  const bool* c = cond->data_as<bool>();
  auto run = [&](auto tag) {
    using U = typename decltype(tag)::type;
    select(plan, c, x->data_as<U>(), y->data_as<U>(), out->data_as<U>());
    return Status::ok();
  };
  switch (dtype_size(x->dtype)) {
    case 1: return run(TypeTag<uint8_t>{});
    case 2: return run(TypeTag<uint16_t>{});
    case 4: return run(TypeTag<uint32_t>{});
    case 8: return run(TypeTag<uint64_t>{});
    default:
      return Status::unsupported(std::string("element type ") + dtype_name(x->dtype) +
                                 " is not supported here");
  }
}

}  // namespace parallax::rt::kernels
