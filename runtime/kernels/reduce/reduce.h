// The reduction engine behind every Reduce* kernel: which axes to reduce, the output shape, and
// one accumulate loop parameterised by a small policy type.
//
// A Reduce* kernel is one line:
//   Status ReduceL2(KernelContext& ctx) { return run_reduce<L2Op>(ctx, ctx.opset() >= 18); }
// where the policy says how to start, step and finish one accumulator:
//   struct L2Op {
//     template <typename A> static A init() { return A(0); }
//     template <typename A> static A step(A acc, A x) { return acc + x * x; }
//     template <typename A> static A finish(A acc, int64_t n) { return sqrt(acc); }
//   };
// Accumulators are compute_t<T> (float for float16/bfloat16, T otherwise) and live in the
// step's scratch buffer, so a run allocates nothing.
#pragma once

#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "../common.h"

namespace parallax::rt::kernels {

// What one reduction does, decided from the node's attributes/inputs and the input shape.
struct ReducePlan {
  Shape in;
  Shape out;                   // the output shape (keepdims applied)
  bool reduced[kMaxRank] = {};  // per input axis
  int64_t count = 1;           // elements folded into each output element
  bool identity = false;       // noop_with_empty_axes with no axes: the output is the input
};

// Axes come from the `axes` attribute, or from input 1 when `axes_from_input` (ReduceSum
// from opset 13, every other Reduce* from opset 18). No axes means all axes, unless
// noop_with_empty_axes is set.
inline Status plan_reduction(const KernelContext& ctx, bool axes_from_input, ReducePlan* plan) {
  const Tensor* x = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &x));
  plan->in = x->shape;
  const int rank = x->shape.rank;
  bool any_axis = false;
  auto add_axis = [&](int64_t axis) {
    int a = 0;
    PARALLAX_RETURN_IF_ERROR(normalize_axis(axis, rank, &a));
    plan->reduced[a] = true;
    any_axis = true;
    return Status::ok();
  };
  if (axes_from_input) {
    const Tensor* axes = ctx.input(1);
    if (axes != nullptr) {
      if (axes->dtype != DType::kInt64) return Status::invalid("axes input must be int64");
      for (int64_t i = 0; i < axes->numel(); ++i) PARALLAX_RETURN_IF_ERROR(add_axis(int_at(*axes, i)));
    }
  } else if (const std::vector<int64_t>* axes = ctx.attr_ints("axes")) {
    for (int64_t a : *axes) PARALLAX_RETURN_IF_ERROR(add_axis(a));
  }
  if (!any_axis) {
    if (axes_from_input && ctx.attr_int("noop_with_empty_axes", 0) != 0) {
      plan->identity = true;
      plan->out = x->shape;
      return Status::ok();
    }
    for (int d = 0; d < rank; ++d) plan->reduced[d] = true;
  }
  const bool keepdims = ctx.attr_int("keepdims", 1) != 0;
  plan->out.rank = 0;
  plan->count = 1;
  for (int d = 0; d < rank; ++d) {
    if (plan->reduced[d]) {
      plan->count *= x->shape[d];
      if (keepdims) plan->out.dims[plan->out.rank++] = 1;
    } else {
      plan->out.dims[plan->out.rank++] = x->shape[d];
    }
  }
  return Status::ok();
}

// Calls f(in_offset, out_offset) for every input element in row-major order, where out_offset
// is the accumulator it folds into. Adjacent axes that are both reduced or both kept are merged
// first so the inner loop is as long as possible.
template <typename F> void for_each_reduced(const ReducePlan& plan, F&& f) {
  int64_t dims[kMaxRank];
  bool red[kMaxRank];
  int rank = 0;
  for (int d = 0; d < plan.in.rank; ++d) {
    if (plan.in[d] == 1) continue;  // size-1 axes change nothing
    if (rank > 0 && red[rank - 1] == plan.reduced[d]) {
      dims[rank - 1] *= plan.in[d];
    } else {
      dims[rank] = plan.in[d];
      red[rank] = plan.reduced[d];
      ++rank;
    }
  }
  if (plan.in.numel() == 0) return;
  if (rank == 0) {
    f(int64_t{0}, int64_t{0});
    return;
  }
  int64_t out_stride[kMaxRank];
  int64_t acc = 1;
  for (int d = rank - 1; d >= 0; --d) {
    out_stride[d] = red[d] ? 0 : acc;
    if (!red[d]) acc *= dims[d];
  }
  const int64_t inner = dims[rank - 1];
  const int64_t inner_stride = out_stride[rank - 1];
  int64_t idx[kMaxRank] = {};
  int64_t in_off = 0;
  int64_t out_off = 0;
  const int64_t total = plan.in.numel();
  while (in_off < total) {
    for (int64_t i = 0; i < inner; ++i) f(in_off + i, out_off + i * inner_stride);
    in_off += inner;
    int d = rank - 2;
    for (; d >= 0; --d) {
      if (++idx[d] < dims[d]) {
        out_off += out_stride[d];
        break;
      }
      out_off -= out_stride[d] * (dims[d] - 1);
      idx[d] = 0;
    }
    if (d < 0) break;
  }
}

template <typename A> A lowest_value() {
  if constexpr (std::numeric_limits<A>::has_infinity) return -std::numeric_limits<A>::infinity();
  return std::numeric_limits<A>::lowest();
}
template <typename A> A highest_value() {
  if constexpr (std::numeric_limits<A>::has_infinity) return std::numeric_limits<A>::infinity();
  return std::numeric_limits<A>::max();
}
template <typename A> bool is_nan(A x) {
  if constexpr (std::is_floating_point_v<A>) return std::isnan(x);
  return false;
}
template <typename A> A abs_value(A x) {
  if constexpr (std::is_unsigned_v<A>) return x;
  return x < A(0) ? static_cast<A>(-x) : x;
}
// sqrt/log/exp in double for integer accumulators, natively for floating ones.
template <typename A, typename F> A apply_real(A x, F&& f) {
  if constexpr (std::is_floating_point_v<A>) return f(x);
  return static_cast<A>(f(static_cast<double>(x)));
}

// Runs a Reduce* node with policy Op over every numeric dtype.
template <typename Op> Status run_reduce(KernelContext& ctx, bool axes_from_input) {
  ReducePlan plan;
  PARALLAX_RETURN_IF_ERROR(plan_reduction(ctx, axes_from_input, &plan));
  const Tensor* x = ctx.input(0);
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, x->dtype, plan.out, &y));
  if (plan.identity) {
    if (x->nbytes()) std::memcpy(y->data, x->data, x->nbytes());
    return Status::ok();
  }
  return PARALLAX_DISPATCH(x->dtype, kNumericTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = compute_t<T>;
    const int64_t n_out = plan.out.numel();
    A* acc = static_cast<A*>(ctx.scratch(static_cast<size_t>(n_out) * sizeof(A)));
    for (int64_t o = 0; o < n_out; ++o) acc[o] = Op::template init<A>();
    const T* in = x->data_as<T>();
    T* out = y->data_as<T>();
    // The reduced axes trail the kept ones (a norm or mean over the last dims): each output
    // folds one contiguous run, so a local accumulator replaces the scratch one. Same elements
    // in the same order as the general loop, so the same result.
    bool trailing = n_out > 0 && plan.in.numel() > 0;
    for (int d = 0, seen = 0; trailing && d < plan.in.rank; ++d) {
      if (plan.in[d] == 1) continue;
      if (plan.reduced[d]) {
        seen = 1;
      } else if (seen) {
        trailing = false;
      }
    }
    if (trailing) {
      const int64_t run = plan.in.numel() / n_out;
      for (int64_t o = 0; o < n_out; ++o) {
        A a = Op::template init<A>();
        const T* row = in + o * run;
        for (int64_t i = 0; i < run; ++i) a = Op::template step<A>(a, static_cast<A>(row[i]));
        out[o] = static_cast<T>(Op::template finish<A>(a, plan.count));
      }
      return Status::ok();
    }
    for_each_reduced(plan, [&](int64_t i, int64_t o) {
      acc[o] = Op::template step<A>(acc[o], static_cast<A>(in[i]));
    });
    for (int64_t o = 0; o < n_out; ++o) out[o] = static_cast<T>(Op::template finish<A>(acc[o], plan.count));
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
