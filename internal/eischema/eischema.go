// Package eischema type-checks JSON documents against Edge Impulse's
// published API types in tests, with the workplace's
// ../shared/tools/ei-schema-check (the npm package edge-impulse-api and
// the TypeScript compiler in strict mode: required fields present, no
// unknown fields, enum values).
//
// The generated TypeScript declares some timestamps (the created field of
// DSPMetadata, KerasModelMetadata and AnomalyModelMetadata) as Date, which
// no JSON value can be: the API sends ISO 8601 strings, which its SDK turns
// into Dates. Check therefore accepts exactly the errors "Type 'string' is
// not assignable to type 'Date'" and requires those values to be RFC 3339
// timestamps; every other mismatch fails the test.
package eischema

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// mu serialises the checker within one test binary (its first run installs
// npm packages into a shared cache).
var mu sync.Mutex

// Tool returns the path of ei-schema-check beside the module root, or "".
func Tool() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			tool := filepath.Join(dir, "..", "shared", "tools", "ei-schema-check")
			if _, err := os.Stat(tool); err == nil {
				return tool
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

var errLine = regexp.MustCompile(`\(line-1\)\((\d+),(\d+)\): error (TS\d+): (.*)`)

// Check marshals doc as indented JSON and type-checks it as the Edge
// Impulse API type typ, reporting every mismatch through t. It skips the
// test when the checker, node or npm is missing, when npm cannot install
// the checker's packages, or in -short mode.
func Check(t testing.TB, doc any, typ string) {
	t.Helper()
	if testing.Short() {
		t.Skip("the schema check runs the TypeScript compiler; skipped in -short mode")
	}
	tool := Tool()
	if tool == "" {
		t.Skip("no ../shared/tools/ei-schema-check beside the module")
	}
	for _, bin := range []string{"node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("ei-schema-check needs %s", bin)
		}
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	path := filepath.Join(t.TempDir(), typ+".json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	out, err := exec.Command(tool, path, typ).CombinedOutput()
	mu.Unlock()
	if bytes.Contains(out, []byte("npm install failed")) {
		t.Skip("ei-schema-check could not install its npm packages")
	}
	if err == nil {
		return
	}
	if problems := unexpected(out, data); len(problems) > 0 {
		t.Errorf("%s does not conform to Edge Impulse's API types:\n%s\n%s", typ, strings.Join(problems, "\n"), data)
	}
}

// unexpected returns the checker's errors other than timestamps given as
// RFC 3339 strings where the TypeScript type says Date.
func unexpected(out, doc []byte) []string {
	lines := strings.Split(string(doc), "\n")
	var problems []string
	matched := 0
	for _, l := range strings.Split(string(out), "\n") {
		m := errLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		matched++
		if strings.Contains(m[4], "Type 'string' is not assignable to type 'Date'") {
			// Line L of the check file is line L-1 of the document.
			n, _ := strconv.Atoi(m[1])
			if n-2 >= 0 && n-2 < len(lines) && isTimestamp(lines[n-2]) {
				continue
			}
		}
		problems = append(problems, l)
	}
	if matched == 0 {
		problems = append(problems, strings.TrimSpace(string(out)))
	}
	return problems
}

// isTimestamp reports whether a line of indented JSON holds a key and an
// RFC 3339 string value.
func isTimestamp(line string) bool {
	_, v, ok := strings.Cut(line, ":")
	if !ok {
		return false
	}
	v = strings.TrimSuffix(strings.TrimSpace(v), ",")
	var s string
	if json.Unmarshal([]byte(v), &s) != nil {
		return false
	}
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}
