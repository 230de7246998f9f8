// Einsum (opset 12): sums of products over labelled axes, e.g. "bij,bjk->bik".
//
// Labels are letters; "..." stands for the leading/middle axes not named by letters and
// broadcasts across inputs (right-aligned, size 1 stretches). Without "->" the output is the
// ellipsis axes followed by the letters used exactly once, in alphabetical (ASCII) order. A
// label repeated within one input reads its diagonal. Every (output, summed) index is visited
// once, which is plenty for the small contractions models use Einsum for.
#include <string>

#include "../common.h"

namespace parallax::rt::kernels {
namespace {

constexpr int kLetters = 52;
constexpr int kMaxLabels = kLetters + kMaxRank;  // letters, then ellipsis axes
constexpr int kMaxInputs = 8;

int letter_id(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= 'A' && c <= 'Z') return c - 'A';
  return -1;
}

// One term of the equation: a label per axis (ellipsis axes get kLetters + position, where
// position counts within the widest ellipsis, right-aligned).
struct Term {
  int labels[kMaxRank];
  int rank = 0;
};

// Parses `text` for a tensor of rank `rank` (-1 for the output, whose ellipsis has width
// `ell_width`). Returns the term's own ellipsis width in *ell (-1 when it has none).
Status parse_term(const std::string& text, int rank, int ell_width, Term* t, int* ell) {
  int letters = 0;
  for (char ch : text) letters += letter_id(ch) >= 0;
  const size_t dots = text.find("...");
  const int width = dots == std::string::npos ? -1 : (rank >= 0 ? rank - letters : ell_width);
  if (dots != std::string::npos && text.find("...", dots + 3) != std::string::npos) {
    return Status::invalid("term '" + text + "' has more than one ellipsis");
  }
  if (rank >= 0 && (width < -1 || (width == -1 && letters != rank))) {
    return Status::invalid("term '" + text + "' does not match an input of rank " + std::to_string(rank));
  }
  if (letters + (width > 0 ? width : 0) > kMaxRank) return Status::unsupported("term '" + text + "' has too many axes");
  t->rank = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == dots) {
      for (int k = 0; k < width; ++k) t->labels[t->rank++] = kLetters + (ell_width - width) + k;
      i += 2;
      continue;
    }
    const int id = letter_id(text[i]);
    if (id < 0) return Status::invalid(std::string("unexpected character '") + text[i] + "' in equation");
    t->labels[t->rank++] = id;
  }
  *ell = width;
  return Status::ok();
}

}  // namespace

Status Einsum(KernelContext& ctx) {
  std::string eq;
  for (char ch : ctx.attr_string("equation", "")) {
    if (ch != ' ') eq += ch;
  }
  const int n_in = ctx.input_count();
  if (n_in < 1 || n_in > kMaxInputs) return Status::unsupported("Einsum takes 1 to 8 inputs here");
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  const Tensor* in[kMaxInputs];
  std::string texts[kMaxInputs];
  int n_terms = 0;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    if (n_terms == kMaxInputs) return Status::invalid("equation has more terms than inputs");
    texts[n_terms++] = lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (n_terms != n_in) {
    return Status::invalid("equation '" + eq + "' has " + std::to_string(n_terms) + " terms for " +
                           std::to_string(n_in) + " inputs");
  }
  // Ellipsis width: the widest over the inputs (they broadcast right-aligned).
  int ell_width = 0;
  for (int k = 0; k < n_in; ++k) {
    PARALLAX_RETURN_IF_ERROR(require_input(ctx, k, &in[k]));
    if (in[k]->dtype != in[0]->dtype) return Status::invalid("inputs must share one element type");
    int letters = 0;
    for (char ch : texts[k]) letters += letter_id(ch) >= 0;
    if (texts[k].find("...") != std::string::npos && in[k]->shape.rank - letters > ell_width) {
      ell_width = in[k]->shape.rank - letters;
    }
  }
  Term terms[kMaxInputs];
  int64_t size[kMaxLabels];
  int uses[kMaxLabels] = {};
  for (int l = 0; l < kMaxLabels; ++l) size[l] = -1;
  for (int k = 0; k < n_in; ++k) {
    int ell = 0;
    PARALLAX_RETURN_IF_ERROR(parse_term(texts[k], in[k]->shape.rank, ell_width, &terms[k], &ell));
    for (int a = 0; a < terms[k].rank; ++a) {
      const int l = terms[k].labels[a];
      const int64_t d = in[k]->shape[a];
      ++uses[l];
      if (size[l] == -1 || size[l] == 1) {
        size[l] = d;
      } else if (d != size[l] && !(l >= kLetters && d == 1)) {
        return Status::invalid("label sizes disagree in equation '" + eq + "'");
      }
    }
  }
  Term out_term;
  if (arrow != std::string::npos) {
    int ell = 0;
    PARALLAX_RETURN_IF_ERROR(parse_term(eq.substr(arrow + 2), -1, ell_width, &out_term, &ell));
    for (int a = 0; a < out_term.rank; ++a) {
      if (size[out_term.labels[a]] == -1) return Status::invalid("output label not in any input");
    }
  } else {
    for (int l = kLetters; l < kLetters + ell_width; ++l) out_term.labels[out_term.rank++] = l;
    for (int l = 0; l < kLetters; ++l) {
      if (uses[l] == 1) {
        if (out_term.rank == kMaxRank) return Status::unsupported("output has too many axes");
        out_term.labels[out_term.rank++] = l;
      }
    }
  }
  // Loop order: output labels, then the summed ones.
  int order[kMaxLabels];
  int n_out = out_term.rank, n_all = 0;
  bool in_out[kMaxLabels] = {};
  for (int a = 0; a < n_out; ++a) {
    order[n_all++] = out_term.labels[a];
    in_out[out_term.labels[a]] = true;
  }
  for (int l = 0; l < kMaxLabels; ++l) {
    if (size[l] != -1 && !in_out[l]) order[n_all++] = l;
  }
  // strides[k][j]: how far input k moves when loop label order[j] advances.
  int64_t strides[kMaxInputs][kMaxLabels] = {};
  for (int k = 0; k < n_in; ++k) {
    int64_t axis_stride[kMaxRank];
    contiguous_strides(in[k]->shape, axis_stride);
    for (int a = 0; a < terms[k].rank; ++a) {
      if (in[k]->shape[a] == 1) continue;  // broadcast
      for (int j = 0; j < n_all; ++j) {
        if (order[j] == terms[k].labels[a]) strides[k][j] += axis_stride[a];
      }
    }
  }
  Shape out_shape;
  out_shape.rank = n_out;
  for (int a = 0; a < n_out; ++a) out_shape.dims[a] = size[out_term.labels[a]];
  int64_t inner_total = 1;
  for (int j = n_out; j < n_all; ++j) inner_total *= size[order[j]];
  Tensor* y = nullptr;
  PARALLAX_RETURN_IF_ERROR(ctx.allocate_output(0, in[0]->dtype, out_shape, &y));
  return PARALLAX_DISPATCH(in[0]->dtype, kNumericTypes, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    T* out = y->data_as<T>();
    const int64_t total = out_shape.numel();
    int64_t idx[kMaxLabels] = {};
    int64_t off[kMaxInputs] = {};
    // Advances loop labels [lo, hi) as an odometer, keeping the input offsets in step.
    auto advance = [&](int lo, int hi) {
      for (int j = hi - 1; j >= lo; --j) {
        if (++idx[j] < size[order[j]]) {
          for (int k = 0; k < n_in; ++k) off[k] += strides[k][j];
          return;
        }
        for (int k = 0; k < n_in; ++k) off[k] -= strides[k][j] * (size[order[j]] - 1);
        idx[j] = 0;
      }
    };
    for (int64_t o = 0; o < total; ++o) {
      C acc = 0;
      for (int64_t s = 0; s < inner_total; ++s) {
        C prod = 1;
        for (int k = 0; k < n_in; ++k) prod = static_cast<C>(prod * static_cast<C>(in[k]->data_as<T>()[off[k]]));
        acc = static_cast<C>(acc + prod);
        advance(n_out, n_all);
      }
      out[o] = static_cast<T>(acc);
      advance(0, n_out);
    }
    return Status::ok();
  });
}

}  // namespace parallax::rt::kernels
