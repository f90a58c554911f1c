/*
 * tflite_run: runs a .tflite model in TensorFlow Lite's C API, for the tests
 * of package tflite (internal/tflitetest builds it with the host's cc).
 *
 *   tflite_run --version      prints TfLiteVersion()
 *   tflite_run --expf         reads float32 values from stdin and writes
 *                             expf of each (the C library's, which
 *                             TensorFlow Lite's softmax table uses)
 *   tflite_run MODEL          loads MODEL, allocates its tensors and prints
 *                             one line describing input 0 and output 0:
 *       ok TYPE BYTES SCALE ZERO_POINT TYPE BYTES SCALE ZERO_POINT
 *                             then reads windows of the input's size from
 *                             stdin until end of file and writes each
 *                             window's output bytes to stdout.
 *
 * Any failure (model refused, tensors not allocated, invoke failed, a short
 * window) prints "tflite_run: ..." on stderr, after TensorFlow Lite's own
 * messages, and exits with status 1.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensorflow/lite/c/c_api.h"
#include "tensorflow/lite/c/common.h"

static void report(void *user, const char *format, va_list args) {
  (void)user;
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
}

static int fail(const char *what) {
  fprintf(stderr, "tflite_run: %s\n", what);
  return 1;
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("%s\n", TfLiteVersion());
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "--expf") == 0) {
    float x;
    while (fread(&x, sizeof x, 1, stdin) == 1) {
      float y = expf(x);
      if (fwrite(&y, sizeof y, 1, stdout) != 1) return fail("writing expf failed");
    }
    return 0;
  }
  if (argc != 2) return fail("usage: tflite_run --version | --expf | MODEL");
  FILE *f = fopen(argv[1], "rb");
  if (!f) return fail("cannot open the model");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (size <= 0) return fail("empty model file");
  void *data = malloc((size_t)size);
  if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) return fail("cannot read the model");
  fclose(f);

  TfLiteModel *model = TfLiteModelCreate(data, (size_t)size);
  if (!model) return fail("TfLiteModelCreate refused the model");
  TfLiteInterpreterOptions *opts = TfLiteInterpreterOptionsCreate();
  TfLiteInterpreterOptionsSetNumThreads(opts, 1);
  TfLiteInterpreterOptionsSetErrorReporter(opts, report, NULL);
  TfLiteInterpreter *interp = TfLiteInterpreterCreate(model, opts);
  if (!interp) return fail("TfLiteInterpreterCreate failed");
  if (TfLiteInterpreterAllocateTensors(interp) != kTfLiteOk) return fail("AllocateTensors failed");
  if (TfLiteInterpreterGetInputTensorCount(interp) != 1 || TfLiteInterpreterGetOutputTensorCount(interp) != 1)
    return fail("the model does not have one input and one output");
  TfLiteTensor *in = TfLiteInterpreterGetInputTensor(interp, 0);
  const TfLiteTensor *out = TfLiteInterpreterGetOutputTensor(interp, 0);
  size_t nin = TfLiteTensorByteSize(in), nout = TfLiteTensorByteSize(out);
  TfLiteQuantizationParams qi = TfLiteTensorQuantizationParams(in);
  TfLiteQuantizationParams qo = TfLiteTensorQuantizationParams(out);
  printf("ok %s %zu %.9g %d %s %zu %.9g %d\n", TfLiteTypeGetName(TfLiteTensorType(in)), nin, qi.scale, qi.zero_point,
         TfLiteTypeGetName(TfLiteTensorType(out)), nout, qo.scale, qo.zero_point);
  fflush(stdout);

  unsigned char *ibuf = malloc(nin ? nin : 1), *obuf = malloc(nout ? nout : 1);
  for (;;) {
    size_t got = fread(ibuf, 1, nin, stdin);
    if (got == 0) break;
    if (got != nin) return fail("short input window");
    if (TfLiteTensorCopyFromBuffer(in, ibuf, nin) != kTfLiteOk) return fail("copying the input failed");
    if (TfLiteInterpreterInvoke(interp) != kTfLiteOk) return fail("Invoke failed");
    if (TfLiteTensorCopyToBuffer(out, obuf, nout) != kTfLiteOk) return fail("copying the output failed");
    if (fwrite(obuf, 1, nout, stdout) != nout) return fail("writing the output failed");
  }
  fflush(stdout);
  TfLiteInterpreterDelete(interp);
  TfLiteInterpreterOptionsDelete(opts);
  TfLiteModelDelete(model);
  free(data);
  return 0;
}
