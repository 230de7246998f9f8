// Executor: runs a Program's main graph step by step on the calling thread.
//
//   std::unique_ptr<Executor> ex;
//   Status s = Executor::create(&program, &ex);
//   ex->set_input(0, image);          // a view; must stay valid until run() returns
//   s = ex->run();
//   const Tensor& logits = ex->output(0);
//
// Ownership: the Program must outlive the Executor. The Executor owns every non-constant
// tensor's storage; buffers grow to the largest shape seen and are reused, so once shapes are
// stable a run performs no allocation. Outputs stay valid until the next run().
// Threading: one thread at a time per Executor; separate Executors may run concurrently.
#pragma once

#include <memory>
#include <vector>

#include "parallax/runtime/kernel.h"
#include "parallax/runtime/program.h"
#include "parallax/runtime/status.h"
#include "parallax/runtime/tensor.h"

namespace parallax::rt {

class Executor {
 public:
  // Checks that every step has a kernel and every tensor id is in range.
  static Status create(const Program* program, std::unique_ptr<Executor>* out);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  int input_count() const;
  int output_count() const;
  const TensorInfo& input_info(int i) const;
  const TensorInfo& output_info(int i) const;

  // Binds main-graph input `i` to `t` (a view). Fails when the dtype differs from the model's or
  // a static dimension does not match.
  Status set_input(int i, const Tensor& t);
  Status run();
  const Tensor& output(int i) const;

  // Implementation detail shared with the kernel context; not part of the API.
  struct State;

 private:
  Executor() = default;
  std::unique_ptr<State> state_;
};

}  // namespace parallax::rt
