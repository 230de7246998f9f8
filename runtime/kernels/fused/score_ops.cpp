#include "score_ops.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../common.h"
#include "../nn/simd_level.h"

namespace parallax::rt::kernels::fused {

namespace {

// W floats in one vector (U: the same at any float alignment) and W bools widened to int32
// lanes. Explicit vectors because GCC at -O2 leaves loops of unknown length scalar, and the
// scores' rows (64-128 floats in the zoo's models) make a scalar epilogue cost as much as an
// unfused node.
template <int W>
struct Lanes {
  typedef float F __attribute__((vector_size(W * sizeof(float))));
  typedef float U __attribute__((vector_size(W * sizeof(float)), aligned(4)));
  typedef int32_t I __attribute__((vector_size(W * sizeof(int32_t))));
  typedef uint8_t B __attribute__((vector_size(W), aligned(1)));
};

// s[j] = s[j] OP x[j] over one row, x a row (x_row) or one value for the whole row.
template <ScoreOp OP, int W>
__attribute__((always_inline)) inline void combine_row(float* s, const float* x, bool x_row,
                                                       int64_t n) {
  using F = typename Lanes<W>::F;
  using U = typename Lanes<W>::U;
  auto apply = [](auto& a, const auto& b) __attribute__((always_inline)) {
    if constexpr (OP == ScoreOp::kAdd) a = a + b;
    if constexpr (OP == ScoreOp::kSub) a = a - b;
    if constexpr (OP == ScoreOp::kMul) a = a * b;
    if constexpr (OP == ScoreOp::kDiv) a = a / b;
  };
  int64_t j = 0;
  if (x_row) {
    for (; j + W <= n; j += W) {
      F a = *reinterpret_cast<const U*>(s + j);
      const F b = *reinterpret_cast<const U*>(x + j);
      apply(a, b);
      *reinterpret_cast<U*>(s + j) = a;
    }
    for (; j < n; ++j) apply(s[j], x[j]);
  } else {
    const float c = x[0];
    const F b = F{} + c;
    for (; j + W <= n; j += W) {
      F a = *reinterpret_cast<const U*>(s + j);
      apply(a, b);
      *reinterpret_cast<U*>(s + j) = a;
    }
    for (; j < n; ++j) apply(s[j], c);
  }
}

// s[j] = x[j] (x a row, or one value) where c[j] == replace_when, c a row of bools.
template <int W>
__attribute__((always_inline)) inline void select_row(float* s, const bool* c, const float* x,
                                                      bool x_row, bool replace_when, int64_t n) {
  using F = typename Lanes<W>::F;
  using U = typename Lanes<W>::U;
  using I = typename Lanes<W>::I;
  using B = typename Lanes<W>::B;
  const I want = I{} + (replace_when ? 1 : 0);
  const F fill = F{} + x[0];
  int64_t j = 0;
  for (; j + W <= n; j += W) {
    B cb;
    std::memcpy(&cb, c + j, W);
    const I ci = __builtin_convertvector(cb, I);
    const F a = *reinterpret_cast<const U*>(s + j);
    const F b = x_row ? F(*reinterpret_cast<const U*>(x + j)) : fill;
    *reinterpret_cast<U*>(s + j) = ci == want ? b : a;
  }
  for (; j < n; ++j) {
    if (c[j] == replace_when) s[j] = x_row ? x[j] : x[0];
  }
}

template <typename T>
const T* row_of(const ScoreOperand& o, int64_t si, int64_t i) {
  return static_cast<const T*>(o.data) + o.batch_off[si] + i * o.row_stride;
}

template <int W>
__attribute__((always_inline)) inline void apply_loop(const ScoreOps& ops, int64_t si, int64_t i0,
                                                      int64_t rows, int64_t n, float* s) {
  for (int64_t r = 0; r < rows; ++r) {
    float* sr = s + r * n;
    for (int t = 0; t < ops.count; ++t) {
      const ScoreStep& st = ops.step[t];
      const float* x = row_of<float>(st.x, si, i0 + r);
      const bool x_row = st.x.col_stride != 0;
      switch (st.op) {
        case ScoreOp::kAdd:
          combine_row<ScoreOp::kAdd, W>(sr, x, x_row, n);
          break;
        case ScoreOp::kSub:
          combine_row<ScoreOp::kSub, W>(sr, x, x_row, n);
          break;
        case ScoreOp::kMul:
          combine_row<ScoreOp::kMul, W>(sr, x, x_row, n);
          break;
        case ScoreOp::kDiv:
          combine_row<ScoreOp::kDiv, W>(sr, x, x_row, n);
          break;
        case ScoreOp::kWhere:
        case ScoreOp::kWhereNot: {
          const bool replace_when = st.op == ScoreOp::kWhereNot;
          const bool* c = row_of<bool>(st.cond, si, i0 + r);
          if (st.cond.col_stride != 0) {
            select_row<W>(sr, c, x, x_row, replace_when, n);
          } else if (c[0] == replace_when) {  // one condition for the whole row
            if (x_row) {
              std::memcpy(sr, x, static_cast<size_t>(n) * sizeof(float));
            } else {
              std::fill(sr, sr + n, x[0]);
            }
          }
          break;
        }
      }
    }
  }
}

using ApplyFn = void (*)(const ScoreOps&, int64_t, int64_t, int64_t, int64_t, float*);

void apply_portable(const ScoreOps& ops, int64_t si, int64_t i0, int64_t rows, int64_t n,
                    float* s) {
  apply_loop<4>(ops, si, i0, rows, n, s);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PARALLAX_SCORE_OPS_X86 1
// No fma in the target: each step must round as the unfused node does.
__attribute__((target("avx2"))) void apply_avx2(const ScoreOps& ops, int64_t si, int64_t i0,
                                                int64_t rows, int64_t n, float* s) {
  apply_loop<8>(ops, si, i0, rows, n, s);
}
#endif

ApplyFn apply_fn() {
  static const ApplyFn fn = [] {
#ifdef PARALLAX_SCORE_OPS_X86
    if (nn::simd_level() >= nn::SimdLevel::kAvx2) return &apply_avx2;
#endif
    return &apply_portable;
  }();
  return fn;
}

// Binds input i as operand o (type `want`) of scores shaped s1.out.
Status bind(const KernelContext& ctx, int i, DType want, const nn::MatMulShape& s1,
            int64_t* batch_off, ScoreOperand* o) {
  const Tensor* t = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, i, &t));
  if (t->dtype != want) {
    return Status::invalid("FusedAttention input " + std::to_string(i) + " must be " +
                           dtype_name(want) + ", got " + dtype_name(t->dtype));
  }
  const Shape& out = s1.out;
  const int extra = std::max(0, t->shape.rank - out.rank);
  Shape in;
  Shape::from(t->shape.dims + extra, t->shape.rank - extra, &in);
  bool fits = true;
  for (int a = 0; a < extra; ++a) fits = fits && t->shape.dims[a] == 1;
  for (int a = 0; a < in.rank; ++a) {
    const int64_t dim = in.dims[a];
    fits = fits && (dim == 1 || dim == out.dims[out.rank - in.rank + a]);
  }
  if (!fits) {
    return Status::invalid("FusedAttention input " + std::to_string(i) + " of shape " +
                           t->shape.to_string() + " does not broadcast to the scores " +
                           out.to_string());
  }
  const int64_t om = in.rank >= 2 ? in.dims[in.rank - 2] : 1;
  const int64_t on = in.rank >= 1 ? in.dims[in.rank - 1] : 1;
  Shape batch;
  if (in.rank > 2) Shape::from(in.dims, in.rank - 2, &batch);
  const Shape* ins[1] = {&batch};
  for_each_broadcast<1>(s1.batch, ins,
                        [&](int64_t b, const int64_t* off) { batch_off[b] = off[0] * om * on; });
  o->data = t->data;
  o->batch_off = batch_off;
  o->row_stride = om == 1 ? 0 : on;
  o->col_stride = on == 1 ? 0 : 1;
  return Status::ok();
}

}  // namespace

Status parse_score_ops(const KernelContext& ctx, ScoreOps* ops) {
  ops->count = 0;
  ops->operands = 0;
  const std::vector<std::string>* names = ctx.attr_strings("score_ops");
  if (names == nullptr) return Status::ok();
  if (names->size() > static_cast<size_t>(kMaxScoreOps)) {
    return Status::unsupported("FusedAttention takes at most " + std::to_string(kMaxScoreOps) +
                               " score_ops, got " + std::to_string(names->size()));
  }
  static const struct {
    const char* name;
    ScoreOp op;
  } kNames[] = {{"Add", ScoreOp::kAdd},     {"Sub", ScoreOp::kSub},
                {"Mul", ScoreOp::kMul},     {"Div", ScoreOp::kDiv},
                {"Where", ScoreOp::kWhere}, {"WhereNot", ScoreOp::kWhereNot}};
  for (const std::string& name : *names) {
    const auto* it = std::find_if(std::begin(kNames), std::end(kNames),
                                  [&](const auto& k) { return name == k.name; });
    if (it == std::end(kNames)) {
      return Status::invalid("FusedAttention: unknown score_ops entry '" + name + "'");
    }
    ops->step[ops->count++].op = it->op;
    ops->operands += it->op == ScoreOp::kWhere || it->op == ScoreOp::kWhereNot ? 2 : 1;
  }
  return Status::ok();
}

Status bind_score_operands(const KernelContext& ctx, int first_input, const nn::MatMulShape& s1,
                           int64_t* offsets, ScoreOps* ops) {
  const int64_t count1 = s1.batch.numel();
  int input = first_input;
  for (int t = 0; t < ops->count; ++t) {
    ScoreStep& st = ops->step[t];
    if (st.op == ScoreOp::kWhere || st.op == ScoreOp::kWhereNot) {
      PARALLAX_RETURN_IF_ERROR(
          bind(ctx, input, DType::kBool, s1, offsets + (input - first_input) * count1, &st.cond));
      ++input;
    }
    PARALLAX_RETURN_IF_ERROR(
        bind(ctx, input, DType::kFloat32, s1, offsets + (input - first_input) * count1, &st.x));
    ++input;
  }
  return Status::ok();
}

void apply_score_ops(const ScoreOps& ops, int64_t si, int64_t i0, int64_t rows, int64_t n,
                     float* s) {
  if (ops.count > 0) apply_fn()(ops, si, i0, rows, n, s);
}

}  // namespace parallax::rt::kernels::fused
