package tflmtest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOpen builds the harness against every TFLM library under $TFLM_DIR
// and checks that it reports a file that is no model as a RefusedError.
func TestOpen(t *testing.T) {
	rts, err := Open()
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("TensorFlow Lite Micro is not available: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range rts {
		_, err := rt.Run([]byte("not a model, not a model, not a model"), nil)
		var refused *RefusedError
		if !errors.As(err, &refused) {
			t.Errorf("%s: a file that is no model: error %v, want a RefusedError", rt.Name, err)
		}
		t.Logf("TFLM %s (%d-bit): %s", rt.Name, rt.PointerBits, rt.Lib)
	}
}

// TestWordSize reads the ELF class of the first object of an archive and
// refuses files that are not archives of ELF objects.
func TestWordSize(t *testing.T) {
	dir := t.TempDir()
	member := func(name string, body []byte) []byte {
		h := []byte(name + "/")
		for len(h) < 16 {
			h = append(h, ' ')
		}
		size := []byte("0           0     0     644     ")
		h = append(h, size...) // date, uid, gid, mode: 12+6+6+8 = 32
		n := []byte(strconv.Itoa(len(body)))
		for len(n) < 10 {
			n = append(n, ' ')
		}
		h = append(h, n...)
		h = append(h, '`', '\n')
		h = append(h, body...)
		if len(body)%2 == 1 {
			h = append(h, '\n')
		}
		return h
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	arch := func(members ...[]byte) []byte {
		b := []byte("!<arch>\n")
		for _, m := range members {
			b = append(b, m...)
		}
		return b
	}
	symtab := member("", []byte("abc"))
	for _, c := range []struct {
		name string
		file []byte
		bits int
	}{
		{"elf32", arch(symtab, member("a.o", []byte("\x7fELF\x01\x01rest"))), 32},
		{"elf64", arch(member("b.o", []byte("\x7fELF\x02\x01rest"))), 64},
		{"noelf", arch(member("c.o", []byte("text"))), 0},
		{"notar", []byte("ELF"), 0},
		{"truncated", arch(symtab, member("a.o", []byte("\x7fELF\x01\x01rest")))[:80], 0},
	} {
		bits, err := wordSize(write(c.name, c.file))
		if bits != c.bits || (c.bits == 0) != (err != nil) {
			t.Errorf("%s: %d bits, error %v; want %d", c.name, bits, err, c.bits)
		}
	}
}

// TestUnavailable: without TFLM_DIR, or with one that holds no library or
// no headers, open reports ErrUnavailable and says what is missing.
func TestUnavailable(t *testing.T) {
	empty := t.TempDir()
	noHeaders := t.TempDir()
	if err := os.WriteFile(filepath.Join(noHeaders, "libtensorflow-microlite.a"), []byte("!<arch>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ dir, says string }{
		{"", "TFLM_DIR is not set"},
		{empty, "holds no libtensorflow-microlite.a"},
		{noHeaders, "has no tensorflow/lite/micro/micro_interpreter.h"},
	} {
		t.Setenv(EnvDir, c.dir)
		_, err := open()
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("TFLM_DIR=%q: error %v, want ErrUnavailable saying %q", c.dir, err, c.says)
		}
	}
}
