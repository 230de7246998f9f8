// Scan (opset 8-17): runs `body` once per position of the scan inputs, threading N state
// values through the iterations. Body inputs: (N states, M scan-input slices); body outputs:
// (N states, K scan-output slices). Node outputs: N final states, then the K scan outputs
// stacked along a new axis.
//   opset 9+: inputs (N initial states, M scan inputs); num_scan_inputs = M; per-input
//     scan_input_axes / scan_input_directions, per-output scan_output_axes /
//     scan_output_directions (1 = reverse).
//   opset 8: a leading batch axis on every input and output, an optional sequence_lens input
//     first (per batch entry, positions past it leave zeros), and 'directions' for the inputs.
#include <cstring>

#include "control_flow.h"

namespace parallax::rt::kernels {

namespace {

struct ScanPlan {
  int body = -1;
  int n_state = 0;
  int n_in = 0;   // M
  int n_out = 0;  // K
};

Status plan_scan(const KernelContext& ctx, int first_input, ScanPlan* p) {
  p->body = ctx.attr_graph("body");
  if (p->body < 0) return Status::invalid("attribute 'body' is missing");
  p->n_in = static_cast<int>(ctx.attr_int("num_scan_inputs", -1));
  p->n_state = ctx.input_count() - first_input - p->n_in;
  p->n_out = ctx.output_count() - p->n_state;
  if (p->n_in <= 0 || p->n_state < 0 || p->n_out < 0) {
    return Status::invalid("num_scan_inputs does not fit the node's inputs and outputs");
  }
  if (p->n_state + p->n_in > misc::kMaxBodyValues || p->n_state + p->n_out > misc::kMaxBodyValues) {
    return Status::unsupported("too many scan values");
  }
  if (ctx.graph_input_count(p->body) != p->n_state + p->n_in ||
      ctx.graph_output_count(p->body) != p->n_state + p->n_out) {
    return Status::invalid("body must take " + std::to_string(p->n_state + p->n_in) +
                           " inputs and produce " + std::to_string(p->n_state + p->n_out) +
                           " outputs");
  }
  for (int i = first_input; i < ctx.input_count(); ++i) {
    if (ctx.input(i) == nullptr)
      return Status::invalid("input " + std::to_string(i) + " is missing");
  }
  return Status::ok();
}

// Entry i of an optional per-value ints attribute (axes, directions), or `def`.
int64_t attr_entry(const KernelContext& ctx, const char* name, int i, int64_t def) {
  const std::vector<int64_t>* v = ctx.attr_ints(name);
  return v && i < static_cast<int>(v->size()) ? (*v)[i] : def;
}

Status scan9(KernelContext& ctx) {
  ScanPlan p;
  PARALLAX_RETURN_IF_ERROR(plan_scan(ctx, 0, &p));
  int in_axis[misc::kMaxBodyValues] = {};
  int64_t seq = -1;
  size_t slice_bytes = 0;
  for (int j = 0; j < p.n_in; ++j) {
    const Tensor& x = *ctx.input(p.n_state + j);
    PARALLAX_RETURN_IF_ERROR(
        normalize_axis(attr_entry(ctx, "scan_input_axes", j, 0), x.shape.rank, &in_axis[j]));
    const int64_t len = x.shape[in_axis[j]];
    if (seq >= 0 && len != seq)
      return Status::invalid("scan inputs have different lengths along their axes");
    seq = len;
    slice_bytes += (x.nbytes() / static_cast<size_t>(len > 0 ? len : 1) + 63) & ~size_t{63};
  }
  auto* slices = static_cast<uint8_t*>(ctx.scratch(slice_bytes ? slice_bytes : 64));
  Tensor slice_views[misc::kMaxBodyValues];
  const Tensor* args[misc::kMaxBodyValues] = {};
  for (int k = 0; k < p.n_state; ++k) args[k] = ctx.input(k);
  size_t at = 0;
  for (int j = 0; j < p.n_in; ++j) {
    const Tensor& x = *ctx.input(p.n_state + j);
    slice_views[j].dtype = x.dtype;
    slice_views[j].shape = misc::remove_axis(x.shape, in_axis[j]);
    slice_views[j].data = slices + at;
    at += (slice_views[j].nbytes() + 63) & ~size_t{63};
    args[p.n_state + j] = &slice_views[j];
  }
  const Tensor* results[misc::kMaxBodyValues] = {};
  Tensor* outs[misc::kMaxBodyValues] = {};
  int out_axis[misc::kMaxBodyValues] = {};
  for (int64_t t = 0; t < seq; ++t) {
    for (int j = 0; j < p.n_in; ++j) {
      const int64_t pos = attr_entry(ctx, "scan_input_directions", j, 0) ? seq - 1 - t : t;
      misc::gather_slice(*ctx.input(p.n_state + j), in_axis[j], pos, slice_views[j].data);
    }
    PARALLAX_RETURN_IF_ERROR(ctx.run_graph(p.body, args, p.n_state + p.n_in, results));
    for (int k = 0; k < p.n_state; ++k) args[k] = results[k];
    for (int j = 0; j < p.n_out; ++j) {
      const Tensor& v = *results[p.n_state + j];
      if (t == 0) {
        PARALLAX_RETURN_IF_ERROR(normalize_axis(attr_entry(ctx, "scan_output_axes", j, 0),
                                                v.shape.rank + 1, &out_axis[j]));
        Shape shape;
        PARALLAX_RETURN_IF_ERROR(misc::insert_axis(v.shape, out_axis[j], seq, &shape));
        PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(p.n_state + j, v.dtype, shape, &outs[j]));
      } else if (v.dtype != outs[j]->dtype ||
                 v.shape != misc::remove_axis(outs[j]->shape, out_axis[j])) {
        return Status::invalid("scan output " + std::to_string(j) +
                               " changes shape between iterations");
      }
      const int64_t pos = attr_entry(ctx, "scan_output_directions", j, 0) ? seq - 1 - t : t;
      misc::scatter_slice(v, outs[j], out_axis[j], pos);
    }
  }
  for (int k = 0; k < p.n_state; ++k)
    PARALLAX_RETURN_IF_ERROR(misc::copy_to_output(ctx, k, *args[k]));
  if (seq == 0) {
    // No iteration ran, so the slice shapes are unknown; empty float tensors stand in.
    for (int j = 0; j < p.n_out; ++j) {
      PARALLAX_RETURN_IF_ERROR(
          ctx.allocate_output(p.n_state + j, DType::kFloat32, Shape{0}, &outs[j]));
    }
  }
  return Status::ok();
}

// A view of entry `index` along axis 0 of `t` (contiguous, so no copy is needed).
Tensor row_view(const Tensor& t, int64_t index) {
  Tensor r;
  r.dtype = t.dtype;
  r.shape = misc::remove_axis(t.shape, 0);
  r.data = static_cast<uint8_t*>(t.data) + static_cast<size_t>(index) * r.nbytes();
  return r;
}

Status scan8(KernelContext& ctx) {
  ScanPlan p;
  PARALLAX_RETURN_IF_ERROR(plan_scan(ctx, 1, &p));
  const Tensor* seq_lens = ctx.input(0);
  const Tensor& first = *ctx.input(1 + p.n_state);
  if (first.shape.rank < 2) return Status::invalid("scan inputs must be [batch, sequence, ...]");
  const int64_t batch = first.shape[0];
  const int64_t seq = first.shape[1];
  for (int i = 1; i < ctx.input_count(); ++i) {
    const Tensor& x = *ctx.input(i);
    const bool scanned = i > p.n_state;
    if (x.shape.rank < (scanned ? 2 : 1) || x.shape[0] != batch || (scanned && x.shape[1] != seq)) {
      return Status::invalid("input " + std::to_string(i) + " of shape " + x.shape.to_string() +
                             " does not match batch " + std::to_string(batch) + " and sequence " +
                             std::to_string(seq));
    }
  }
  if (seq_lens && (!is_int_tensor(*seq_lens) || seq_lens->numel() != batch)) {
    return Status::invalid("sequence_lens must hold one integer per batch entry");
  }
  Tensor views[misc::kMaxBodyValues];
  const Tensor* args[misc::kMaxBodyValues] = {};
  const Tensor* results[misc::kMaxBodyValues] = {};
  Tensor* outs[misc::kMaxBodyValues] = {};
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = seq_lens ? int_at(*seq_lens, b) : seq;
    if (len < 0 || len > seq)
      return Status::invalid("sequence_lens entry " + std::to_string(len) + " is out of range");
    for (int k = 0; k < p.n_state; ++k) {
      views[k] = row_view(*ctx.input(1 + k), b);
      args[k] = &views[k];
    }
    for (int64_t t = 0; t < len; ++t) {
      for (int j = 0; j < p.n_in; ++j) {
        const int64_t pos = attr_entry(ctx, "directions", j, 0) ? len - 1 - t : t;
        views[p.n_state + j] = row_view(row_view(*ctx.input(1 + p.n_state + j), b), pos);
        args[p.n_state + j] = &views[p.n_state + j];
      }
      PARALLAX_RETURN_IF_ERROR(ctx.run_graph(p.body, args, p.n_state + p.n_in, results));
      for (int k = 0; k < p.n_state; ++k) args[k] = results[k];
      for (int j = 0; j < p.n_out; ++j) {
        const Tensor& v = *results[p.n_state + j];
        Tensor*& out = outs[p.n_state + j];
        if (out == nullptr) {
          Shape shape;
          PARALLAX_RETURN_IF_ERROR(misc::insert_axis(v.shape, 0, seq, &shape));
          PARALLAX_RETURN_IF_ERROR(misc::insert_axis(Shape(shape), 0, batch, &shape));
          PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(p.n_state + j, v.dtype, shape, &out));
          std::memset(out->data, 0, out->nbytes());  // positions past sequence_lens stay zero
        }
        Tensor dst = row_view(row_view(*out, b), t);
        if (v.dtype != dst.dtype || v.shape != dst.shape) {
          return Status::invalid("scan output " + std::to_string(j) +
                                 " changes shape between iterations");
        }
        std::memcpy(dst.data, v.data, v.nbytes());
      }
    }
    for (int k = 0; k < p.n_state; ++k) {
      const Tensor& v = *args[k];
      if (outs[k] == nullptr) {
        Shape shape;
        PARALLAX_RETURN_IF_ERROR(misc::insert_axis(v.shape, 0, batch, &shape));
        PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(k, v.dtype, shape, &outs[k]));
      }
      Tensor dst = row_view(*outs[k], b);
      if (v.dtype != dst.dtype || v.shape != dst.shape) {
        return Status::invalid("state " + std::to_string(k) + " changes shape across the batch");
      }
      std::memcpy(dst.data, v.data, v.nbytes());
    }
  }
  for (int i = 0; i < ctx.output_count(); ++i) {
    // Nothing ran (empty batch or all sequences empty): empty float tensors stand in.
    if (outs[i] == nullptr)
      PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(i, DType::kFloat32, Shape{0}, &outs[i]));
  }
  return Status::ok();
}

}  // namespace

Status Scan(KernelContext& ctx) { return ctx.opset() >= 9 ? scan9(ctx) : scan8(ctx); }

}  // namespace parallax::rt::kernels
