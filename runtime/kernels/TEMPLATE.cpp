// TEMPLATE: copy this file to <family>/<OpType>.cpp to add an operator.
//
// 1. Name the function after the ONNX op (parallax::rt::kernels::<OpType>).
// 2. List it in <family>/kernels.def: PARALLAX_KERNEL(<OpType>, min_opset, max_opset),
//    and add the file to <family>/CMakeLists.txt (sorted).
// 3. Structure: read inputs and attributes -> check types and shapes (return an error that says
//    what is wrong; the executor prefixes the node name and op) -> allocate outputs -> compute.
//    Use ctx.opset() where the op's versions differ (inputs that used to be attributes, ...).
// 4. Be generic over every dtype the op's schema allows with PARALLAX_DISPATCH; compute in
//    compute_t<T> so float16/bfloat16 work.
// 5. Test it: tests/unit/kernels_test.cpp and the ONNX node tests (docs/conformance.md).
// 6. Optional, for work worth doing once (packing weights, creating an XNNPACK operator): list
//    the kernel as PARALLAX_KERNEL_PREPARED(<OpType>, min, max) and also define
//      Status <OpType>_prepare(KernelContext&)   once per step when the executor is created.
//                                                Only constant inputs are visible (input(i)
//                                                is nullptr for the others); input_info(i) /
//                                                output_info(i) give static dtypes and shapes.
//                                                Store what you build in ctx.state().
//      void <OpType>_release(void* state)        frees a non-null state at executor teardown.
//    run then finds its state in ctx.state(); when it is null (prepare declined: a dynamic
//    shape, an unsupported attribute), run takes the general path. For intra-op parallelism
//    hand ctx.threadpool() (nullptr = single-threaded) to the library; the outputs must be
//    bit-identical whatever ctx.threads() is (see kernel.h).
//
// This example is ThresholdedRelu: y = x > alpha ? x : 0 (opset 10+), float types only.
#if 0
#include "../common.h"

namespace parallax::rt::kernels {

Status ThresholdedRelu(KernelContext& ctx) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  const float alpha = ctx.attr_float("alpha", 1.0f);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, x->shape, &y));
  return PARALLAX_DISPATCH(x->dtype, kFloatTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const T* in = x->data_as<T>();
    T* out = y->data_as<T>();
    const int64_t n = x->numel();
    for (int64_t i = 0; i < n; ++i) {
      const C v = static_cast<C>(in[i]);
      out[i] = static_cast<T>(v > static_cast<C>(alpha) ? v : C(0));
    }
    return Status::ok();
  });
}

// A prepared kernel's shape, for step 6 (ExpensiveOp stands for the op):
//
//   struct ExpensiveOpState { std::vector<float> packed; };
//
//   Status ExpensiveOp_prepare(KernelContext& ctx) {
//     const Tensor* w = ctx.input(1);          // nullptr unless the weights are constant
//     const TensorInfo* x = ctx.input_info(0);
//     if (w == nullptr || !x->rank_known) return Status::ok();  // no fast path; run copes
//     auto* st = new ExpensiveOpState;
//     ...pack w into st->packed...
//     ctx.state() = st;
//     return Status::ok();
//   }
//   void ExpensiveOp_release(void* state) { delete static_cast<ExpensiveOpState*>(state); }
//
//   Status ExpensiveOp(KernelContext& ctx) {
//     if (auto* st = static_cast<ExpensiveOpState*>(ctx.state())) { ...fast path... }
//     ...general path...
//   }

}  // namespace parallax::rt::kernels
#endif
