// Package tflmtest runs .tflite files in TensorFlow Lite Micro (TFLM), for
// tests. The library itself never loads C code.
//
// No package registry ships TFLM, so the tests cannot install it: they use
// a TFLM tree built by hand, named by the environment variable TFLM_DIR,
// and skip when it is unset (README.md in this folder says how to build
// one; CI does not). TFLM_DIR is either a tflite-micro source tree after
// `make -f tensorflow/lite/micro/tools/make/Makefile microlite` (every
// gen/*/lib/libtensorflow-microlite.a in it is used, so a 64-bit and a
// 32-bit build are both run) or a folder with the TFLM headers
// (tensorflow/…, third_party/flatbuffers/include, …) and
// libtensorflow-microlite.a or lib/libtensorflow-microlite.a.
//
// [Open] compiles csrc/tflm_run.cc against each library with the host's
// g++ (-m32 for a 32-bit library), into the user cache directory
// (os.UserCacheDir()/tinyimpulse/tflm), named by a hash of the source, the
// flags and the library. The harness registers the six operators package
// tflite writes with a MicroMutableOpResolver<6>, as the README's
// snippet does, and reports the arena TFLM uses.
//
// # Errors
//
// Open returns an error wrapping [ErrUnavailable] when TFLM_DIR is unset
// or holds no library or headers, or when there is no C++ compiler; tests
// skip on it. Run returns a [*RefusedError] when TFLM refuses the model or
// fails to run it.
//
// # Concurrency
//
// Open builds once per process and is safe to call from several
// goroutines; a Runtime's methods start a process per call and may run
// concurrently.
package tflmtest
