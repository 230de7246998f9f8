// NonMaxSuppression (opsets 10, 11): per batch and class, greedily keeps the highest-scoring
// boxes whose IoU with every box already kept is at most iou_threshold.
//
// Inputs: boxes [B, N, 4], scores [B, C, N], and optional scalars max_output_boxes_per_class
// (default 0: select nothing), iou_threshold (default 0), score_threshold (boxes must score
// above it; none when absent). center_point_box=0: boxes are [y1, x1, y2, x2] with either pair
// of diagonal corners; 1: [x_center, y_center, width, height]. Output: [num_selected, 3] rows
// of (batch, class, box), grouped by batch then class, each group in selection order. Equal
// scores keep the lower box index first.
#include <algorithm>

#include "read_values.h"

namespace parallax::rt::kernels {
namespace {

struct Box {
  double y0, x0, y1, x1;  // y0 <= y1, x0 <= x1
};

Box read_box(const Tensor& boxes, int64_t at, bool center) {
  const double a = float_at(boxes, at), b = float_at(boxes, at + 1);
  const double c = float_at(boxes, at + 2), d = float_at(boxes, at + 3);
  if (center) return Box{b - d / 2, a - c / 2, b + d / 2, a + c / 2};
  return Box{std::min(a, c), std::min(b, d), std::max(a, c), std::max(b, d)};
}

double iou(const Box& p, const Box& q) {
  const double area_p = (p.y1 - p.y0) * (p.x1 - p.x0);
  const double area_q = (q.y1 - q.y0) * (q.x1 - q.x0);
  if (area_p <= 0 || area_q <= 0) return 0;
  const double h = std::min(p.y1, q.y1) - std::max(p.y0, q.y0);
  const double w = std::min(p.x1, q.x1) - std::max(p.x0, q.x0);
  if (h <= 0 || w <= 0) return 0;
  const double inter = h * w;
  return inter / (area_p + area_q - inter);
}

Status optional_scalar(const KernelContext& ctx, int i, bool integral, double* out) {
  const Tensor* t = ctx.input(i);
  if (t == nullptr || t->numel() == 0) return Status::ok();
  if (t->numel() != 1) return Status::invalid("input " + std::to_string(i) + " must be a scalar");
  if (integral != is_int_tensor(*t) || (!integral && !dtype_is_float(t->dtype))) {
    return Status::invalid(std::string("input ") + std::to_string(i) + " must be " +
                           (integral ? "int64" : "float"));
  }
  *out = integral ? static_cast<double>(int_at(*t, 0)) : float_at(*t, 0);
  return Status::ok();
}

}  // namespace

Status NonMaxSuppression(KernelContext& ctx) {
  const Tensor *boxes = nullptr, *scores = nullptr;
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 0, &boxes));
  PARALLAX_RETURN_IF_ERROR(require_input(ctx, 1, &scores));
  if (!dtype_is_float(boxes->dtype) || !dtype_is_float(scores->dtype)) {
    return Status::invalid("boxes and scores must be float tensors");
  }
  if (boxes->shape.rank != 3 || boxes->shape[2] != 4) {
    return Status::invalid("boxes must have shape [batch, boxes, 4], got " + boxes->shape.to_string());
  }
  const int64_t batches = boxes->shape[0], n = boxes->shape[1];
  if (scores->shape.rank != 3 || scores->shape[0] != batches || scores->shape[2] != n) {
    return Status::invalid("scores shape " + scores->shape.to_string() +
                           " does not match boxes shape " + boxes->shape.to_string());
  }
  const int64_t classes = scores->shape[1];
  double max_out = 0, iou_threshold = 0, score_threshold = 0;
  PARALLAX_RETURN_IF_ERROR(optional_scalar(ctx, 2, true, &max_out));
  PARALLAX_RETURN_IF_ERROR(optional_scalar(ctx, 3, false, &iou_threshold));
  PARALLAX_RETURN_IF_ERROR(optional_scalar(ctx, 4, false, &score_threshold));
  const bool has_score_threshold = ctx.input(4) != nullptr && ctx.input(4)->numel() > 0;
  const bool center = ctx.attr_int("center_point_box", 0) != 0;
  const int64_t per_class = std::max<int64_t>(0, std::min<int64_t>(static_cast<int64_t>(max_out), n));

  // Scratch: candidate order and selected boxes of the current class, then all result rows.
  const size_t n_rows = static_cast<size_t>(batches * classes * per_class);
  int64_t* cand = static_cast<int64_t*>(
      ctx.scratch((2 * static_cast<size_t>(n) + 3 * n_rows) * sizeof(int64_t)));
  int64_t* kept = cand + n;
  int64_t* rows = kept + n;
  int64_t n_selected = 0;
  for (int64_t b = 0; b < batches && per_class > 0; ++b) {
    for (int64_t c = 0; c < classes; ++c) {
      const int64_t score_base = (b * classes + c) * n;
      int64_t n_cand = 0;
      for (int64_t i = 0; i < n; ++i) {
        if (!has_score_threshold || float_at(*scores, score_base + i) > score_threshold) {
          cand[n_cand++] = i;
        }
      }
      std::sort(cand, cand + n_cand, [&](int64_t p, int64_t q) {
        const double sp = float_at(*scores, score_base + p), sq = float_at(*scores, score_base + q);
        return sp != sq ? sp > sq : p < q;
      });
      int64_t n_kept = 0;
      for (int64_t k = 0; k < n_cand && n_kept < per_class; ++k) {
        const Box box = read_box(*boxes, (b * n + cand[k]) * 4, center);
        bool keep = true;
        for (int64_t j = 0; j < n_kept && keep; ++j) {
          keep = iou(box, read_box(*boxes, (b * n + kept[j]) * 4, center)) <= iou_threshold;
        }
        if (!keep) continue;
        kept[n_kept++] = cand[k];
        rows[3 * n_selected] = b;
        rows[3 * n_selected + 1] = c;
        rows[3 * n_selected + 2] = cand[k];
        ++n_selected;
      }
    }
  }
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, DType::kInt64, Shape{n_selected, 3}, &y));
  std::copy(rows, rows + 3 * n_selected, y->data_as<int64_t>());
  return Status::ok();
}

}  // namespace parallax::rt::kernels
