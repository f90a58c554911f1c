// Package tflitetest runs .tflite files in the real TensorFlow Lite 2.9
// interpreter, for tests. The library itself never loads C code.
//
// The interpreter is the libtensorflowlite_c.so (TensorFlow Lite 2.9.0) and
// C API headers that the npm package tfjs-tflite-node@0.0.2 ships in
// cc_deps/. [Open] unpacks them once into the user cache directory
// (os.UserCacheDir()/tinyimpulse/tflite-2.9.0, fetching the package with
// `npm pack`, its install script never run) and compiles csrc/tflite_run.c there
// with the host's C compiler; it returns [ErrUnavailable] when npm or cc is
// missing, so that tests can skip.
//
// Installation is safe to race: every file is built in a temporary
// directory and renamed into place.
package tflitetest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Package is the npm package that ships the interpreter.
const Package = "tfjs-tflite-node@0.0.2"

// Version is the TensorFlow Lite release of the interpreter.
const Version = "2.9.0"

//go:embed csrc/tflite_run.c
var harness []byte

// ErrUnavailable is returned by Open when a tool it needs is missing.
var ErrUnavailable = errors.New("tflitetest: TensorFlow Lite unavailable")

// Runtime is an installed interpreter harness.
type Runtime struct {
	// Harness is the path of the compiled tflite_run program.
	Harness string
	// Dir is the installation directory.
	Dir string
}

var (
	once    sync.Once
	shared  *Runtime
	openErr error
)

// Open returns the installed harness, installing it on first use.
func Open() (*Runtime, error) {
	once.Do(func() { shared, openErr = install() })
	return shared, openErr
}

func platform() (string, bool) {
	switch runtime.GOOS + "/" + runtime.GOARCH {
	case "linux/amd64":
		return "linux_amd64", true
	case "linux/arm64":
		return "linux_arm64", true
	}
	return "", false
}

// Dir returns the installation directory.
func Dir() (string, error) {
	c, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("%w: no user cache directory: %v", ErrUnavailable, err)
	}
	return filepath.Join(c, "tinyimpulse", "tflite-"+Version), nil
}

func install() (*Runtime, error) {
	plat, ok := platform()
	if !ok {
		return nil, fmt.Errorf("%w: tfjs-tflite-node has no library for %s/%s", ErrUnavailable, runtime.GOOS, runtime.GOARCH)
	}
	cc, err := exec.LookPath("cc")
	if err != nil {
		return nil, fmt.Errorf("%w: no C compiler (cc) to build the harness", ErrUnavailable)
	}
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	lib := filepath.Join(dir, "lib", "libtensorflowlite_c.so")
	if _, err := os.Stat(lib); err != nil {
		if err := unpack(dir, plat); err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256(harness)
	bin := filepath.Join(dir, "bin", "tflite_run-"+hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(bin); err != nil {
		if err := build(cc, dir, bin); err != nil {
			return nil, err
		}
	}
	r := &Runtime{Harness: bin, Dir: dir}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("tflitetest: running %s: %v", bin, err)
	}
	if v := strings.TrimSpace(string(out)); v != Version {
		return nil, fmt.Errorf("tflitetest: interpreter reports TensorFlow Lite %q, want %s", v, Version)
	}
	return r, nil
}

// unpack fetches the npm package and moves its library and headers to dir.
func unpack(dir, plat string) error {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("%w: npm is needed to fetch %s", ErrUnavailable, Package)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dir, "unpack-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(npm, "pack", "--silent", Package)
	cmd.Dir = tmp
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("tflitetest: npm pack %s: %v: %s", Package, err, stderr.Bytes())
	}
	tgz := filepath.Join(tmp, strings.TrimSpace(lastLine(string(out))))
	f, err := os.Open(tgz)
	if err != nil {
		return fmt.Errorf("tflitetest: npm pack wrote no archive: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("tflitetest: %s: %v", tgz, err)
	}
	stage := filepath.Join(tmp, "stage")
	tr := tar.NewReader(zr)
	libName := "package/cc_deps/" + plat + "/libtensorflowlite_c.so"
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("tflitetest: %s: %v", tgz, err)
		}
		var dst string
		switch {
		case h.Name == libName:
			dst, found = filepath.Join(stage, "lib", "libtensorflowlite_c.so"), true
		case strings.HasPrefix(h.Name, "package/cc_deps/include/") && strings.HasSuffix(h.Name, ".h") && !strings.Contains(h.Name, ".."):
			dst = filepath.Join(stage, "include", strings.TrimPrefix(h.Name, "package/cc_deps/include/"))
		default:
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		w, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, tr); err != nil {
			w.Close()
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	if !found {
		return fmt.Errorf("%w: %s has no %s", ErrUnavailable, Package, libName)
	}
	for _, sub := range []string{"include", "lib"} {
		if err := os.Rename(filepath.Join(stage, sub), filepath.Join(dir, sub)); err != nil && !exists(filepath.Join(dir, sub)) {
			return err
		}
	}
	return nil
}

func build(cc, dir, bin string) error {
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(bin), "build-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src := filepath.Join(tmp, "harness.c")
	if err := os.WriteFile(src, harness, 0o644); err != nil {
		return err
	}
	lib := filepath.Join(dir, "lib")
	out := filepath.Join(tmp, "tflite_run")
	cmd := exec.Command(cc, "-O1", "-Wall", "-Werror", "-o", out, src, "-I", filepath.Join(dir, "include"), "-L", lib, "-ltensorflowlite_c", "-lm", "-Wl,-rpath,"+lib)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("tflitetest: building the harness: %v: %s", err, msg)
	}
	if err := os.Rename(out, bin); err != nil && !exists(bin) {
		return err
	}
	return nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Expf returns the C library's expf of every x, computed by the harness,
// whose process loads the same libm as TensorFlow Lite.
func (r *Runtime) Expf(x []float32) ([]float32, error) {
	in := make([]byte, 0, 4*len(x))
	for _, v := range x {
		in = binary.LittleEndian.AppendUint32(in, math.Float32bits(v))
	}
	cmd := exec.Command(r.Harness, "--expf")
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("tflitetest: expf: %v", err)
	}
	if len(out) != len(in) {
		return nil, fmt.Errorf("tflitetest: expf gave %d bytes for %d values", len(out), len(x))
	}
	y := make([]float32, len(x))
	for i := range y {
		y[i] = math.Float32frombits(binary.LittleEndian.Uint32(out[4*i:]))
	}
	return y, nil
}

// Tensor describes the model's input or output tensor as the interpreter
// sees it.
type Tensor struct {
	Type      string // TfLiteTypeGetName: "FLOAT32", "INT8", …
	Bytes     int
	Scale     float64
	ZeroPoint int
}

// Result is one run of a model.
type Result struct {
	Input, Output Tensor
	// Outputs holds one output per input window.
	Outputs [][]byte
	// Log is what TensorFlow Lite wrote on stderr.
	Log string
}

// RefusedError is returned by Run when the interpreter refuses the model or
// fails to run it (or dies).
type RefusedError struct{ Log string }

func (e *RefusedError) Error() string {
	return "tflitetest: the interpreter refused the model: " + e.Log
}

// Run loads model in the interpreter and runs it on every window of
// inputs (each the input tensor's size in bytes).
func (r *Runtime) Run(model []byte, inputs [][]byte) (*Result, error) {
	a, err := Exec(r.Harness, model, inputs, 0)
	if a == nil {
		return nil, err
	}
	res := &Result{Input: a.Input, Output: a.Output, Outputs: a.Outputs, Log: a.Log}
	if a.Exit != nil {
		return res, &RefusedError{Log: strings.TrimSpace(a.Log + " (" + a.Exit.Error() + ")")}
	}
	if err != nil {
		return res, fmt.Errorf("tflitetest: %v", err)
	}
	return res, nil
}

// Answer is what a harness said of a model: its input and output tensors,
// the header's further fields, one output per window and what it wrote on
// stderr. Exit is the harness's failure when it exited with an error.
type Answer struct {
	Input, Output Tensor
	Extra         []string
	Outputs       [][]byte
	Log           string
	Exit          *exec.ExitError
}

// Exec runs a harness the way this package's and package tflmtest's do:
// the model's file as the argument, the input windows one after another
// on stdin; the answer a header line "ok TYPE BYTES SCALE ZERO TYPE BYTES
// SCALE ZERO" for the input and output tensors, with extra fields more,
// then one output of the output tensor's size per window. A harness that
// exits with an error gives an Answer with Exit set and a nil error; the
// error reports anything else that went wrong.
func Exec(harness string, model []byte, inputs [][]byte, extra int) (*Answer, error) {
	f, err := os.CreateTemp("", "model-*.tflite")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(model); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	cmd := exec.Command(harness, f.Name())
	cmd.Stdin = bytes.NewReader(bytes.Join(inputs, nil))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	a := &Answer{Log: stderr.String()}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			a.Exit = ee
			return a, nil
		}
		return a, err
	}
	br := bufio.NewReader(&stdout)
	head, err := br.ReadString('\n')
	if err != nil {
		return a, fmt.Errorf("no header from the harness %s: %v", harness, err)
	}
	fields := strings.Fields(head)
	if len(fields) != 9+extra || fields[0] != "ok" {
		return a, fmt.Errorf("bad header from the harness %s: %q", harness, head)
	}
	parse := func(f []string) (Tensor, error) {
		n, err1 := strconv.Atoi(f[1])
		s, err2 := strconv.ParseFloat(f[2], 64)
		z, err3 := strconv.Atoi(f[3])
		return Tensor{f[0], n, s, z}, errors.Join(err1, err2, err3)
	}
	if a.Input, err = parse(fields[1:5]); err != nil {
		return a, err
	}
	if a.Output, err = parse(fields[5:9]); err != nil {
		return a, err
	}
	a.Extra = fields[9:]
	for range inputs {
		o := make([]byte, a.Output.Bytes)
		if _, err := io.ReadFull(br, o); err != nil {
			return a, fmt.Errorf("%d outputs of %d bytes from the harness %s: %v", len(a.Outputs), a.Output.Bytes, harness, err)
		}
		a.Outputs = append(a.Outputs, o)
	}
	return a, nil
}
