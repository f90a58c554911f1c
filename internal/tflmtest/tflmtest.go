package tflmtest

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/tinyimpulse/tinyimpulse/internal/tflitetest"
)

// EnvDir is the environment variable naming the TFLM tree.
const EnvDir = "TFLM_DIR"

//go:embed csrc/tflm_run.cc
var harness []byte

// ErrUnavailable is returned by Open when TFLM_DIR is unset or holds no
// built library, or when there is no C++ compiler.
var ErrUnavailable = errors.New("tflmtest: TensorFlow Lite Micro unavailable")

// Runtime is the harness built against one TFLM library.
type Runtime struct {
	// Lib is the libtensorflow-microlite.a the harness is linked with.
	Lib string
	// Name is the library's build folder (gen/NAME/lib/…) or "lib".
	Name string
	// PointerBits is 32 or 64: the library's word size.
	PointerBits int
	// Harness is the compiled tflm_run program.
	Harness string
	// EdgeImpulse reports Edge Impulse's copy of TFLM (inferencing-sdk-cpp,
	// TFLM_DIR ending in edge-impulse-sdk), whose API differs a little:
	// AllocateTensors takes run_all_prep_ops.
	EdgeImpulse bool

	includes []string
}

var (
	once    sync.Once
	shared  []*Runtime
	openErr error
)

// Open builds the harness against every TFLM library found under
// $TFLM_DIR (once per process) and returns one Runtime per library,
// sorted by name.
func Open() ([]*Runtime, error) {
	once.Do(func() { shared, openErr = open() })
	return shared, openErr
}

func open() ([]*Runtime, error) {
	root := os.Getenv(EnvDir)
	if root == "" {
		return nil, fmt.Errorf("%w: %s is not set (see internal/tflmtest/README.md)", ErrUnavailable, EnvDir)
	}
	libs, _ := filepath.Glob(filepath.Join(root, "gen", "*", "lib", "libtensorflow-microlite.a"))
	for _, p := range []string{filepath.Join(root, "libtensorflow-microlite.a"), filepath.Join(root, "lib", "libtensorflow-microlite.a")} {
		if exists(p) {
			libs = append(libs, p)
		}
	}
	if len(libs) == 0 {
		return nil, fmt.Errorf("%w: %s=%s holds no libtensorflow-microlite.a (gen/*/lib/, lib/ or the folder itself)", ErrUnavailable, EnvDir, root)
	}
	sort.Strings(libs)
	incs, err := includes(root)
	if err != nil {
		return nil, err
	}
	cxx, err := compiler()
	if err != nil {
		return nil, err
	}
	var rts []*Runtime
	for _, lib := range libs {
		bits, err := wordSize(lib)
		if err != nil {
			return nil, err
		}
		name := "lib"
		if rel, err := filepath.Rel(filepath.Join(root, "gen"), lib); err == nil && !strings.HasPrefix(rel, "..") {
			name = strings.SplitN(rel, string(filepath.Separator), 2)[0]
		}
		r := &Runtime{Lib: lib, Name: name, PointerBits: bits, includes: incs, EdgeImpulse: filepath.Base(filepath.Clean(root)) == "edge-impulse-sdk"}
		if r.Harness, err = r.build(cxx, "tflm_run", harness); err != nil {
			return nil, err
		}
		out, err := exec.Command(r.Harness, "--info").Output()
		if err != nil {
			return nil, fmt.Errorf("tflmtest: running %s: %v", r.Harness, err)
		}
		if got := strings.TrimSpace(string(out)); got != fmt.Sprintf("pointer-bits %d", bits) {
			return nil, fmt.Errorf("tflmtest: the harness built against %s reports %q, the library is %d-bit", lib, got, bits)
		}
		rts = append(rts, r)
	}
	return rts, nil
}

// includes returns the header folders of a TFLM source tree (its root and
// the downloaded flatbuffers, gemmlowp and ruy) or of an exported tree
// (third_party/…).
func includes(root string) ([]string, error) {
	if !exists(filepath.Join(root, "tensorflow", "lite", "micro", "micro_interpreter.h")) {
		return nil, fmt.Errorf("%w: %s=%s has no tensorflow/lite/micro/micro_interpreter.h", ErrUnavailable, EnvDir, root)
	}
	incs := []string{root}
	// Edge Impulse's copy (inferencing-sdk-cpp) includes its headers as
	// "edge-impulse-sdk/tensorflow/…": the folder above it is searched too.
	if filepath.Base(filepath.Clean(root)) == "edge-impulse-sdk" {
		incs = append(incs, filepath.Dir(filepath.Clean(root)))
	}
	flatbuffers := false
	for _, sub := range []string{"flatbuffers/include", "gemmlowp", "ruy"} {
		for _, base := range []string{"tensorflow/lite/micro/tools/make/downloads", "third_party"} {
			if p := filepath.Join(root, base, sub); exists(p) {
				incs = append(incs, p)
				flatbuffers = flatbuffers || sub == "flatbuffers/include"
			}
		}
	}
	if !flatbuffers {
		return nil, fmt.Errorf("%w: %s=%s has no flatbuffers headers (tensorflow/lite/micro/tools/make/downloads/flatbuffers/include or third_party/flatbuffers/include)", ErrUnavailable, EnvDir, root)
	}
	return incs, nil
}

// wordSize reads the ELF class of the first object in an ar archive.
func wordSize(lib string) (int, error) {
	f, err := os.Open(lib)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic := make([]byte, 8)
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != "!<arch>\n" {
		return 0, fmt.Errorf("tflmtest: %s is not an ar archive", lib)
	}
	hdr := make([]byte, 60)
	for {
		if _, err := io.ReadFull(br, hdr); err != nil {
			return 0, fmt.Errorf("tflmtest: %s holds no ELF object", lib)
		}
		size, err := strconv.Atoi(strings.TrimSpace(string(hdr[48:58])))
		if err != nil || size < 0 {
			return 0, fmt.Errorf("tflmtest: %s: bad member header", lib)
		}
		body := make([]byte, size+size%2)
		if _, err := io.ReadFull(br, body); err != nil {
			return 0, fmt.Errorf("tflmtest: %s: truncated member", lib)
		}
		if size >= 5 && string(body[:4]) == "\x7fELF" {
			switch body[4] {
			case 1:
				return 32, nil
			case 2:
				return 64, nil
			}
			return 0, fmt.Errorf("tflmtest: %s: unknown ELF class %d", lib, body[4])
		}
	}
}

// build compiles a C++ source against the library into the user cache
// directory (named by a hash of the source, the flags and the library) and
// returns the program's path.
func (r *Runtime) build(cxx, name string, src []byte) (string, error) {
	lib, err := os.ReadFile(r.Lib)
	if err != nil {
		return "", err
	}
	args := []string{"-std=c++17", "-O1", "-Wall", "-Werror", "-DTF_LITE_STATIC_MEMORY", "-fno-rtti", "-fno-exceptions"}
	if r.PointerBits == 32 {
		args = append(args, "-m32")
	}
	for _, inc := range r.includes {
		args = append(args, "-I", inc)
	}
	h := sha256.New()
	h.Write(src)
	h.Write([]byte(strings.Join(args, "\x00")))
	h.Write(lib)
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%w: no user cache directory: %v", ErrUnavailable, err)
	}
	bin := filepath.Join(c, "tinyimpulse", "tflm", name+"-"+hex.EncodeToString(h.Sum(nil)[:8]))
	if exists(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(bin), "build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	srcPath := filepath.Join(tmp, name+".cc")
	if err := os.WriteFile(srcPath, src, 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(tmp, name)
	args = append(args, "-o", out, srcPath, r.Lib, "-lm")
	cmd := exec.Command(cxx, args...)
	cmd.Dir = tmp
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("tflmtest: building %s against %s: %v: %s", name, r.Lib, err, msg)
	}
	if err := os.Rename(out, bin); err != nil && !exists(bin) {
		return "", err
	}
	return bin, nil
}

// Build compiles a program of one C++ source against the library, with
// the same flags and headers as the harness, and returns its path (built
// once per source, flags and library).
func (r *Runtime) Build(name string, src []byte) (string, error) {
	cxx, err := compiler()
	if err != nil {
		return "", err
	}
	return r.build(cxx, name, src)
}

// compiler returns the host's C++ compiler: g++, else c++.
func compiler() (string, error) {
	for _, name := range []string{"g++", "c++"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no C++ compiler (g++ or c++)", ErrUnavailable)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// Tensor describes the model's input or output tensor as TFLM sees it.
type Tensor = tflitetest.Tensor

// Result is one run of a model.
type Result struct {
	Input, Output Tensor
	// ArenaUsed is interpreter.arena_used_bytes() after AllocateTensors;
	// ArenaMin the smallest arena (a multiple of 16 bytes) with which
	// AllocateTensors and Invoke succeed.
	ArenaUsed, ArenaMin int
	// Outputs holds one output per input window.
	Outputs [][]byte
	// Log is what TFLM and the harness wrote on stderr.
	Log string
}

// RefusedError is returned by Run when TFLM refuses the model or fails to
// run it (or the harness dies).
type RefusedError struct{ Log string }

func (e *RefusedError) Error() string {
	return "tflmtest: TensorFlow Lite Micro refused the model: " + e.Log
}

// Run loads model in TFLM and runs it on every window of inputs (each the
// input tensor's size in bytes).
func (r *Runtime) Run(model []byte, inputs [][]byte) (*Result, error) {
	a, err := tflitetest.Exec(r.Harness, model, inputs, 2)
	if a == nil {
		return nil, err
	}
	res := &Result{Input: a.Input, Output: a.Output, Outputs: a.Outputs, Log: a.Log}
	if a.Exit != nil {
		return res, &RefusedError{Log: strings.TrimSpace(lastLines(a.Log, 5) + " (" + a.Exit.Error() + ")")}
	}
	if err != nil {
		return res, fmt.Errorf("tflmtest: %v", err)
	}
	var e1, e2 error
	res.ArenaUsed, e1 = strconv.Atoi(a.Extra[0])
	res.ArenaMin, e2 = strconv.Atoi(a.Extra[1])
	if err := errors.Join(e1, e2); err != nil {
		return res, fmt.Errorf("tflmtest: bad arena figures %q: %v", a.Extra, err)
	}
	return res, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
