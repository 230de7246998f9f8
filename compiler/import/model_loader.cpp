#include "compiler/import/model_loader.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <onnx/checker.h>
#include <onnx/defs/parser.h>

#include "compiler/import/tensor_io.h"

namespace parallax::import {
namespace {

using NameSet = std::unordered_set<std::string>;

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

rt::Status parse_model_file(const std::string& path, onnx::ModelProto* out) {
  if (ends_with(path, ".onnxtxt")) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return rt::Status::invalid("cannot open model file '" + path + "'");
    std::stringstream buf;
    buf << f.rdbuf();
    const std::string text = buf.str();
    onnx::OnnxParser parser(text.c_str());
    onnx::Common::Status st;
    try {
      st = parser.Parse(*out);
    } catch (const std::exception& e) {
      // onnx's parser converts number literals with std::stof / std::stoll, which throw on
      // what it cannot read (-inf, out-of-range values) instead of reporting a parse error.
      return rt::Status::invalid("'" + path + "' is not valid ONNX text: a number literal " +
                                 "cannot be read (" + e.what() +
                                 "; -inf, nan and out-of-range values are not accepted)");
    }
    if (!st.IsOK()) {
      return rt::Status::invalid("'" + path + "' is not valid ONNX text: " + one_line(st.ErrorMessage()));
    }
    return rt::Status::ok();
  }
  // Parsed straight from the file through protobuf's small read buffer: reading the file into a
  // string first would hold the model's bytes twice (three times with a stringstream) at the
  // peak, and the weights dominate a model file.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return rt::Status::invalid("cannot open model file '" + path + "'");
  struct stat st {};
  const bool empty = ::fstat(fd, &st) == 0 && st.st_size == 0;
  const bool parsed = !empty && out->ParseFromFileDescriptor(fd);
  ::close(fd);
  if (!parsed) {
    return rt::Status::invalid("'" + path + "' is not a valid ONNX model (protobuf parse failed; "
                               "truncated or not a model file)");
  }
  if (!out->has_graph()) return rt::Status::invalid("'" + path + "' has no graph");
  return rt::Status::ok();
}

namespace {

template <typename F> void for_each_subgraph(onnx::NodeProto* node, F&& f) {
  for (auto& a : *node->mutable_attribute()) {
    if (a.has_g()) f(a.mutable_g());
    for (auto& g : *a.mutable_graphs()) f(&g);
  }
}

void name_nodes(onnx::GraphProto* g, std::unordered_map<std::string, int>* counter) {
  for (auto& n : *g->mutable_node()) {
    if (n.name().empty()) n.set_name(n.op_type() + "_" + std::to_string((*counter)[n.op_type()]++));
    for_each_subgraph(&n, [&](onnx::GraphProto* sub) { name_nodes(sub, counter); });
  }
}

// Only the default domain's version is limited here: ops of other domains either have a
// kernel or a function body, or are listed as unsupported operators later.
rt::Status check_opsets(const onnx::ModelProto& m) {
  for (const auto& op : m.opset_import()) {
    const std::string& d = op.domain();
    if ((d.empty() || d == "ai.onnx") && (op.version() < kMinOpset || op.version() > kMaxOpset)) {
      return rt::Status::unsupported("model imports opset " + std::to_string(op.version()) +
                                     " of ai.onnx; supported: " + std::to_string(kMinOpset) +
                                     "-" + std::to_string(kMaxOpset));
    }
  }
  return rt::Status::ok();
}

rt::Status inline_external(onnx::TensorProto* t, const std::string& dir) {
  if (t->data_location() != onnx::TensorProto::EXTERNAL) return rt::Status::ok();
  HostTensor host;
  PARALLAX_RETURN_IF_ERROR(tensor_from_proto(*t, dir, &host));
  t->clear_external_data();
  t->set_data_location(onnx::TensorProto::DEFAULT);
  t->set_raw_data(std::string(host.bytes.begin(), host.bytes.end()));
  return rt::Status::ok();
}

rt::Status inline_external_data(onnx::GraphProto* g, const std::string& dir) {
  for (auto& t : *g->mutable_initializer()) PARALLAX_RETURN_IF_ERROR(inline_external(&t, dir));
  for (auto& n : *g->mutable_node()) {
    for (auto& a : *n.mutable_attribute()) {
      if (a.has_t()) PARALLAX_RETURN_IF_ERROR(inline_external(a.mutable_t(), dir));
      for (auto& t : *a.mutable_tensors()) PARALLAX_RETURN_IF_ERROR(inline_external(&t, dir));
      if (a.has_g()) PARALLAX_RETURN_IF_ERROR(inline_external_data(a.mutable_g(), dir));
      for (auto& sg : *a.mutable_graphs()) PARALLAX_RETURN_IF_ERROR(inline_external_data(&sg, dir));
    }
  }
  return rt::Status::ok();
}

// Names a subgraph reads from enclosing scopes (used but not defined inside it).
void collect_outer_uses(const onnx::GraphProto& g, NameSet* out) {
  NameSet defined;
  for (const auto& i : g.input()) defined.insert(i.name());
  for (const auto& t : g.initializer()) defined.insert(t.name());
  for (const auto& t : g.sparse_initializer()) defined.insert(t.values().name());
  for (const auto& n : g.node()) {
    for (const auto& o : n.output()) defined.insert(o);
  }
  NameSet used;
  for (const auto& n : g.node()) {
    for (const auto& i : n.input()) used.insert(i);
    for (const auto& a : n.attribute()) {
      if (a.has_g()) collect_outer_uses(a.g(), &used);
      for (const auto& sg : a.graphs()) collect_outer_uses(sg, &used);
    }
  }
  for (const auto& o : g.output()) used.insert(o.name());
  for (const auto& u : used) {
    if (!u.empty() && !defined.count(u)) out->insert(u);
  }
}

// The error for a graph whose topological sort stalled: blocked nodes that feed no other
// blocked node are peeled off, so the message names only the nodes on a cycle.
rt::Status cycle_error(const onnx::GraphProto& g, const std::vector<std::vector<int>>& users,
                       const std::vector<int>& pending) {
  const int n = g.node_size();
  std::vector<bool> stuck(n);
  for (int k = 0; k < n; ++k) stuck[k] = pending[k] > 0;
  for (bool peeled = true; peeled;) {
    peeled = false;
    for (int k = 0; k < n; ++k) {
      if (!stuck[k]) continue;
      bool feeds = false;
      for (int u : users[k]) feeds = feeds || stuck[u];
      if (!feeds) stuck[k] = false, peeled = true;
    }
  }
  std::string msg = "the graph '" + g.name() + "' has a cycle through";
  std::string sep = " ";
  for (int k = 0; k < n; ++k) {
    if (stuck[k]) {
      msg += sep + node_label(g.node(k));
      sep = ", ";
    }
  }
  return rt::Status::invalid(msg);
}

rt::Status order_graph(onnx::GraphProto* g, const NameSet& outer) {
  NameSet scope = outer;
  for (const auto& i : g->input()) scope.insert(i.name());
  for (const auto& t : g->initializer()) scope.insert(t.name());
  for (const auto& t : g->sparse_initializer()) scope.insert(t.values().name());
  const int n = g->node_size();
  std::unordered_map<std::string, int> producer;
  for (int k = 0; k < n; ++k) {
    for (const auto& o : g->node(k).output()) {
      if (o.empty()) continue;
      auto [it, fresh] = producer.emplace(o, k);
      if (!fresh) {
        return rt::Status::invalid(node_label(g->node(k)) + ": output '" + o +
                                   "' is also produced by " + node_label(g->node(it->second)));
      }
    }
  }
  // deps[k]: the nodes of this graph that node k reads, directly or from inside its subgraphs.
  std::vector<std::vector<int>> users(n);
  std::vector<int> pending(n, 0);
  for (int k = 0; k < n; ++k) {
    const auto& node = g->node(k);
    std::vector<std::string> reads(node.input().begin(), node.input().end());
    NameSet implicit;
    for (const auto& a : node.attribute()) {
      if (a.has_g()) collect_outer_uses(a.g(), &implicit);
      for (const auto& sg : a.graphs()) collect_outer_uses(sg, &implicit);
    }
    reads.insert(reads.end(), implicit.begin(), implicit.end());
    std::set<int> deps;
    for (const auto& r : reads) {
      if (r.empty()) continue;
      auto it = producer.find(r);
      if (it != producer.end()) {
        deps.insert(it->second);
      } else if (!scope.count(r)) {
        return rt::Status::invalid(node_label(node) + ": input '" + r +
                                   "' is not produced by any node, initializer or graph input");
      }
    }
    for (int d : deps) {
      users[d].push_back(k);
      ++pending[k];
    }
  }
  // Kahn's algorithm, always taking the earliest ready node so sorted graphs keep their order.
  std::set<int> ready;
  for (int k = 0; k < n; ++k)
    if (pending[k] == 0) ready.insert(k);
  std::vector<int> order;
  while (!ready.empty()) {
    const int k = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(k);
    for (int u : users[k])
      if (--pending[u] == 0) ready.insert(u);
  }
  if (static_cast<int>(order.size()) != n) return cycle_error(*g, users, pending);
  for (const auto& o : g->output()) {
    if (!producer.count(o.name()) && !scope.count(o.name())) {
      return rt::Status::invalid("graph '" + g->name() + "': output '" + o.name() +
                                 "' is not produced by any node, initializer or graph input");
    }
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> sorted;
  for (int k : order) *sorted.Add() = g->node(k);
  g->mutable_node()->Swap(&sorted);
  for (const auto& [name, k] : producer) scope.insert(name);
  for (auto& node : *g->mutable_node()) {
    rt::Status s;
    for_each_subgraph(&node, [&](onnx::GraphProto* sub) {
      if (s.is_ok()) s = order_graph(sub, scope);
    });
    PARALLAX_RETURN_IF_ERROR(s);
  }
  return rt::Status::ok();
}

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

std::string node_label(const onnx::NodeProto& node) {
  const std::string& d = node.domain();
  return "node '" + node.name() + "' (" + (d.empty() || d == "ai.onnx" ? "" : d + ".") +
         node.op_type() + ")";
}

rt::Status prepare_model(const std::string& model_dir, onnx::ModelProto* m) {
  std::unordered_map<std::string, int> counter;
  name_nodes(m->mutable_graph(), &counter);
  PARALLAX_RETURN_IF_ERROR(check_opsets(*m));
  PARALLAX_RETURN_IF_ERROR(inline_external_data(m->mutable_graph(), model_dir));
  return order_graph(m->mutable_graph(), {});
}

rt::Status run_checker(const onnx::ModelProto& m) {
  try {
    onnx::checker::check_model(m);
  } catch (const std::exception& e) {
    return rt::Status::invalid("model check failed: " + one_line(e.what()));
  }
  return rt::Status::ok();
}

rt::Status load_model(const std::string& path, onnx::ModelProto* out) {
  onnx::ModelProto m;
  PARALLAX_RETURN_IF_ERROR(parse_model_file(path, &m));
  PARALLAX_RETURN_IF_ERROR(prepare_model(folder_of(path), &m));
  PARALLAX_RETURN_IF_ERROR(run_checker(m));
  *out = std::move(m);
  return rt::Status::ok();
}

}  // namespace parallax::import
