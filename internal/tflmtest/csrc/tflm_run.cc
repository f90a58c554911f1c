// tflm_run: runs a .tflite model in TensorFlow Lite Micro, for the tests of
// package tflite (internal/tflmtest builds it with the host's C++ compiler
// against a TFLM library built outside this repository).
//
//   tflm_run --info        prints "pointer-bits N"
//   tflm_run MODEL         loads MODEL into a 16-byte aligned buffer,
//                          registers the six operators the exporter writes
//                          with a MicroMutableOpResolver<6>, allocates its
//                          tensors in a 1 MiB arena and prints one line:
//       ok TYPE BYTES SCALE ZERO_POINT TYPE BYTES SCALE ZERO_POINT USED MIN
//                          (input 0, output 0, arena_used_bytes() after
//                          AllocateTensors, and the smallest arena, to 16
//                          bytes, with which AllocateTensors and Invoke
//                          succeed, each size tried in a forked process),
//                          then reads windows of the input's size
//                          from stdin until end of file and writes each
//                          window's output bytes to stdout.
//
// Any failure prints "tflm_run: ..." on stderr, after TFLM's own messages,
// and exits with status 1.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

namespace {

constexpr size_t kArenaSize = 1 << 20;

int Fail(const char* what) {
  std::fprintf(stderr, "tflm_run: %s\n", what);
  return 1;
}

// Allocate calls AllocateTensors(), or AllocateTensors(true) in Edge
// Impulse's copy of TFLM, whose AllocateTensors takes run_all_prep_ops.
template <typename I>
auto Allocate(I& interp, int) -> decltype(interp.AllocateTensors()) {
  return interp.AllocateTensors();
}
template <typename I>
TfLiteStatus Allocate(I& interp, long) {
  return interp.AllocateTensors(true);
}

void Register(tflite::MicroMutableOpResolver<6>& ops) {
  ops.AddFullyConnected();
  ops.AddConv2D();
  ops.AddDepthwiseConv2D();
  ops.AddMaxPool2D();
  ops.AddReshape();
  ops.AddSoftmax();
}

// Works reports whether an interpreter with an arena of size bytes
// allocates the model's tensors and runs it once (on a zero input).
bool Works(const tflite::Model* model, uint8_t* arena, size_t size) {
  tflite::MicroMutableOpResolver<6> ops;
  Register(ops);
  tflite::MicroInterpreter interp(model, ops, arena, size);
  if (Allocate(interp, 0) != kTfLiteOk) return false;
  TfLiteTensor* in = interp.input(0);
  std::memset(in->data.raw, 0, in->bytes);
  return interp.Invoke() == kTfLiteOk;
}

// Probe runs Works in a child process: TFLM aborts, rather than failing,
// when the arena cannot even hold the allocator. The child's messages go
// to /dev/null.
bool Probe(const tflite::Model* model, uint8_t* arena, size_t size) {
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 2);
    _exit(Works(model, arena, size) ? 0 : 1);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--info") == 0) {
    std::printf("pointer-bits %d\n", static_cast<int>(8 * sizeof(void*)));
    return 0;
  }
  if (argc != 2) return Fail("usage: tflm_run --info | MODEL");
  FILE* f = std::fopen(argv[1], "rb");
  if (!f) return Fail("cannot open the model");
  std::fseek(f, 0, SEEK_END);
  long size = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  if (size <= 0) return Fail("empty model file");
  uint8_t* data = static_cast<uint8_t*>(std::aligned_alloc(16, (static_cast<size_t>(size) + 15) / 16 * 16));
  if (!data || std::fread(data, 1, static_cast<size_t>(size), f) != static_cast<size_t>(size))
    return Fail("cannot read the model");
  std::fclose(f);

  const tflite::Model* model = tflite::GetModel(data);
  if (model->version() != TFLITE_SCHEMA_VERSION) return Fail("schema version mismatch");
  uint8_t* arena = static_cast<uint8_t*>(std::aligned_alloc(16, kArenaSize));
  if (!arena) return Fail("no memory for the arena");

  // The smallest working arena: bisect on multiples of 16 bytes, each
  // attempt an interpreter of its own in a child process.
  size_t lo = 0, hi = kArenaSize / 16;  // Probe(16*hi), !Probe(16*lo)
  if (!Probe(model, arena, kArenaSize)) {
    Works(model, arena, kArenaSize);  // for TFLM's messages
    return Fail("the model does not run in a 1 MiB arena");
  }
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (Probe(model, arena, 16 * mid))
      hi = mid;
    else
      lo = mid;
  }
  size_t min_arena = 16 * hi;

  tflite::MicroMutableOpResolver<6> ops;
  Register(ops);
  tflite::MicroInterpreter interp(model, ops, arena, kArenaSize);
  if (Allocate(interp, 0) != kTfLiteOk) return Fail("AllocateTensors failed");
  if (interp.inputs_size() != 1 || interp.outputs_size() != 1)
    return Fail("the model does not have one input and one output");
  TfLiteTensor* in = interp.input(0);
  TfLiteTensor* out = interp.output(0);
  std::printf("ok %s %zu %.9g %d %s %zu %.9g %d %zu %zu\n", TfLiteTypeGetName(in->type), in->bytes,
              static_cast<double>(in->params.scale), static_cast<int>(in->params.zero_point),
              TfLiteTypeGetName(out->type), out->bytes, static_cast<double>(out->params.scale),
              static_cast<int>(out->params.zero_point), interp.arena_used_bytes(), min_arena);
  std::fflush(stdout);

  std::vector<uint8_t> window(in->bytes);
  for (;;) {
    size_t got = std::fread(window.data(), 1, window.size(), stdin);
    if (got == 0) break;
    if (got != window.size()) return Fail("short input window");
    std::memcpy(in->data.raw, window.data(), window.size());
    if (interp.Invoke() != kTfLiteOk) return Fail("Invoke failed");
    if (std::fwrite(out->data.raw, 1, out->bytes, stdout) != out->bytes) return Fail("writing the output failed");
  }
  std::fflush(stdout);
  // arena and data stay allocated: interp's destructor, which runs after
  // this return, still reads them.
  return 0;
}
