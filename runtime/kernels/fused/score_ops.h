// The score epilogue of com.parallax.FusedAttention (FusedAttention.cpp): the elementwise steps
// an exporter puts between attention's scores and its Softmax (a scale, a position bias, a
// padding or causal mask), listed by the node's `score_ops` attribute and applied to each
// block of score rows while it is in cache.
//
//   ScoreOps ops;
//   PARALLAX_RETURN_IF_ERROR(parse_score_ops(ctx, &ops));          // attribute -> steps
//   PARALLAX_RETURN_IF_ERROR(bind_score_operands(ctx, 3, s1, offsets, &ops));  // inputs
//   apply_score_ops(ops, si, i0, rows, n, scores);                   // per block, any thread
//
// Each step does the float operation of the ONNX node it replaces, in the graph's order, so
// the epilogue changes no bit of the scores the unfused nodes would compute from the same input.
#pragma once

#include <cstdint>

#include "../nn/matmul.h"

namespace parallax::rt::kernels::fused {

enum class ScoreOp : uint8_t {
  kAdd,       // s + x
  kSub,       // s - x
  kMul,       // s * x
  kDiv,       // s / x
  kWhere,     // c ? s : x
  kWhereNot,  // c ? x : s
};
inline constexpr int kMaxScoreOps = 8;

// An input read as if broadcast to the scores [..., M, N].
struct ScoreOperand {
  const void* data = nullptr;
  const int64_t* batch_off = nullptr;      // per score matrix: the offset of its [M, N] view
  int64_t row_stride = 0, col_stride = 0;  // 0 along a broadcast axis; col_stride 0 or 1
};

struct ScoreStep {
  ScoreOp op = ScoreOp::kAdd;
  ScoreOperand cond;  // kWhere / kWhereNot: bool
  ScoreOperand x;     // float
};

struct ScoreOps {
  int count = 0;
  int operands = 0;  // inputs the steps read
  ScoreStep step[kMaxScoreOps];
};

// Reads the `score_ops` attribute (absent: no steps); operand bindings are left empty.
Status parse_score_ops(const KernelContext& ctx, ScoreOps* ops);

// Binds the steps' operands to inputs first_input... and checks them: float (bool for a
// condition), broadcasting to the scores s1.out without enlarging them (dimensions beyond the
// scores' rank must be 1). offsets: ops->operands x (score matrices) int64 that must outlive
// every apply_score_ops call.
Status bind_score_operands(const KernelContext& ctx, int first_input, const nn::MatMulShape& s1,
                           int64_t* offsets, ScoreOps* ops);

// Applies the steps to rows [i0, i0 + rows) of score matrix si, stored at s with n floats per
// row (n = the scores' N).
void apply_score_ops(const ScoreOps& ops, int64_t si, int64_t i0, int64_t rows, int64_t n,
                     float* s);

}  // namespace parallax::rt::kernels::fused
