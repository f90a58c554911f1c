// Package testenv finds what the project's tests read outside their own
// folder: the repository's testdata and the shared datasets that live beside
// the repository (../shared/datasets from its root).
//
// # Errors
//
// SharedDataset skips the calling test when ../shared/datasets is absent (a
// checkout without the shared folder) and fails it when the folder is there
// without the dataset asked for, so that a missing dataset is never mistaken
// for a passing test.
package testenv

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

// Root returns the repository's root folder (the one holding go.mod).
func Root() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("testenv: cannot find the source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Testdata returns the path of name in the repository's testdata folder.
func Testdata(name ...string) string {
	return filepath.Join(append([]string{Root(), "testdata"}, name...)...)
}

// SharedDatasets returns ../shared/datasets relative to the repository root.
func SharedDatasets() string {
	return filepath.Join(Root(), "..", "shared", "datasets")
}

// SharedDataset returns the folder of a shared dataset. It skips t when
// ../shared/datasets is absent and fails it when the dataset is not there.
func SharedDataset(t testing.TB, name string) string {
	t.Helper()
	shared := SharedDatasets()
	if _, err := os.Stat(shared); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s is not there (the shared datasets live next to the repository)", shared)
	}
	dir := filepath.Join(shared, name)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("dataset %s: %v", name, err)
	}
	return dir
}

// Golden compares got with the golden file, or rewrites the file when
// update is set (each test package has its own -update flag).
func Golden(t testing.TB, file string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n%s", filepath.Base(file), got)
	}
}

// CheckWidth fails t when a line of b is wider than width columns.
func CheckWidth(t testing.TB, b []byte, width int) {
	t.Helper()
	for _, l := range strings.Split(string(b), "\n") {
		if n := utf8.RuneCountInString(l); n > width {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
}

// Unzip extracts a zip archive into dir and returns the first path
// element of its last entry (the archive's top folder when it has one),
// failing the test on any error or on an entry that would leave dir.
func Unzip(t testing.TB, data []byte, dir string) (top string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Fatalf("zip entry %q leaves the folder", f.Name)
		}
		top, _, _ = strings.Cut(f.Name, "/")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return top
}
