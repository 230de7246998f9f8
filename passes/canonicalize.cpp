#include "passes/canonicalize.h"

#include <vector>

#include "passes/eliminate_dead_code.h"
#include "passes/fold_constants.h"
#include "passes/fuse_activation.h"
#include "passes/fuse_batchnorm.h"
#include "passes/fuse_bias.h"
#include "passes/fuse_gelu.h"
#include "passes/fuse_l2norm.h"
#include "passes/fuse_layernorm.h"
#include "passes/remove_identity.h"

namespace parallax::passes {
namespace {

// Turns constants that no node, region output or tensor attribute reads into plain unused
// values, dropping their bytes.
void release_unused_constants(ir::Graph& g) {
  std::vector<bool> used(g.values.size(), false);
  for (const ir::Node& n : g.nodes) {
    for (ir::ValueId v : n.inputs)
      if (v >= 0) used[v] = true;
    for (const rt::Attribute& a : n.attrs)
      if (a.kind == rt::Attribute::Kind::kTensor && a.tensor >= 0) used[a.tensor] = true;
  }
  for (const ir::Region& r : g.regions)
    for (ir::ValueId v : r.outputs) used[v] = true;
  for (size_t v = 0; v < g.values.size(); ++v) {
    ir::Value& val = g.values[v];
    if (!val.is_constant || used[v]) continue;
    val.is_constant = false;
    std::vector<uint8_t>().swap(val.data);
  }
}

}  // namespace

rt::Status canonicalize(ir::Graph& g) {
  using Rewrite = bool (*)(ir::Graph&);
  static constexpr Rewrite kRewrites[] = {
      remove_identity, fold_constants, fuse_batchnorm, fuse_bias,
      fuse_layernorm,  fuse_l2norm,    fuse_gelu,      fuse_activation,
  };
  PARALLAX_RETURN_IF_ERROR(eliminate_dead_code(g));
  for (int round = 0; round < kMaxCanonicalizeRounds; ++round) {
    bool changed = false;
    for (Rewrite rewrite : kRewrites) changed = rewrite(g) || changed;
    if (!changed) break;
  }
  release_unused_constants(g);
  return rt::Status::ok();
}

}  // namespace parallax::passes
