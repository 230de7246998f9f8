// Loop (opset 1-17): runs `body` while the iteration count is below the optional trip count M
// and the optional condition holds. Body inputs: (iteration number int64, condition bool,
// N loop-carried values); body outputs: (condition, N carried values, K scan values). Node
// inputs: (M, cond, N initial values); node outputs: the N final carried values, then the K
// scan values of every iteration stacked along a new axis 0. Tensor values only.
#include <cstdint>
#include <limits>
#include <vector>

#include "control_flow.h"

namespace parallax::rt::kernels {

namespace {

// One scan output being stacked: the first iteration fixes its element type and slice shape.
struct ScanStack {
  DType dtype = DType::kUndefined;
  Shape slice;
  AlignedBytes bytes;
};

}  // namespace

Status Loop(KernelContext& ctx) {
  const int body = ctx.attr_graph("body");
  if (body < 0) return Status::invalid("attribute 'body' is missing");
  const int n_carried = ctx.input_count() - 2;
  if (n_carried < 0) return Status::invalid("Loop needs inputs M and cond (either may be empty)");
  if (n_carried + 2 > misc::kMaxBodyValues)
    return Status::unsupported("too many loop-carried values");
  const int n_scan = ctx.output_count() - n_carried;
  if (ctx.graph_input_count(body) != n_carried + 2 || n_scan < 0 ||
      ctx.graph_output_count(body) != 1 + n_carried + n_scan) {
    return Status::invalid("body must take 2 + " + std::to_string(n_carried) +
                           " inputs and produce 1 + " + std::to_string(ctx.output_count()) +
                           " outputs");
  }
  int64_t trip_limit = std::numeric_limits<int64_t>::max();
  if (const Tensor* m = ctx.input(0)) {
    if (!is_int_tensor(*m) || m->numel() != 1)
      return Status::invalid("M must be an integer scalar");
    trip_limit = int_at(*m, 0);
  }
  bool cond = true;
  if (const Tensor* c = ctx.input(1))
    PARALLAX_RETURN_IF_ERROR(misc::read_condition(*c, "cond", &cond));
  for (int k = 0; k < n_carried; ++k) {
    if (ctx.input(2 + k) == nullptr)
      return Status::invalid("loop-carried input " + std::to_string(k) + " is missing");
  }

  int64_t iter = 0;
  bool iter_cond = cond;
  const Tensor iter_view = misc::scalar_view(&iter, DType::kInt64);
  const Tensor cond_view = misc::scalar_view(&iter_cond, DType::kBool);
  const Tensor* args[misc::kMaxBodyValues] = {&iter_view, &cond_view};
  for (int k = 0; k < n_carried; ++k) args[2 + k] = ctx.input(2 + k);
  const Tensor* results[misc::kMaxBodyValues] = {};
  // The trip count is unknown until the condition turns false, so scan values are stacked in
  // growable buffers and copied out once at the end.
  std::vector<ScanStack> stacks(static_cast<size_t>(n_scan));
  for (; iter < trip_limit && cond; ++iter) {
    iter_cond = cond;
    // Each iteration's carried results feed the next; run_graph copies its inputs before it
    // overwrites the body's outputs, so passing them straight back is safe.
    PARALLAX_RETURN_IF_ERROR(ctx.run_graph(body, args, n_carried + 2, results));
    PARALLAX_RETURN_IF_ERROR(
        misc::read_condition(*results[0], "the body's condition output", &cond));
    for (int k = 0; k < n_carried; ++k) args[2 + k] = results[1 + k];
    for (int j = 0; j < n_scan; ++j) {
      const Tensor& v = *results[1 + n_carried + j];
      ScanStack& st = stacks[j];
      if (iter == 0) {
        st.dtype = v.dtype;
        st.slice = v.shape;
      } else if (v.dtype != st.dtype || v.shape != st.slice) {
        return Status::invalid("scan output " + std::to_string(j) + " changes from " +
                               st.slice.to_string() + " to " + v.shape.to_string() +
                               " between iterations");
      }
      const size_t at = st.bytes.size();
      st.bytes.resize(at + v.nbytes());
      if (v.nbytes()) std::memcpy(st.bytes.data() + at, v.data, v.nbytes());
    }
  }
  for (int k = 0; k < n_carried; ++k)
    PARALLAX_RETURN_IF_ERROR(misc::copy_to_output(ctx, k, *args[2 + k]));
  for (int j = 0; j < n_scan; ++j) {
    const ScanStack& st = stacks[j];
    // Without a single iteration the slice type is unknown; an empty float tensor stands in.
    Shape shape{0};
    if (iter > 0) PARALLAX_RETURN_IF_ERROR(misc::insert_axis(st.slice, 0, iter, &shape));
    Tensor* out = nullptr;
    const DType dtype = iter > 0 ? st.dtype : DType::kFloat32;
    PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(n_carried + j, dtype, shape, &out));
    if (!st.bytes.empty()) std::memcpy(out->data, st.bytes.data(), st.bytes.size());
  }
  return Status::ok();
}

}  // namespace parallax::rt::kernels
