package service_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tinyimpulse/tinyimpulse/internal/eischema"
	"github.com/tinyimpulse/tinyimpulse/service"
)

// The npm packages of the real-client test. .ci/run installs the same
// ones into the same folder.
var nodePackages = []string{
	"edge-impulse-api@1.95.13",
	"sio2@npm:socket.io-client@2.5.0",
	"sio4@npm:socket.io-client@4.8.1",
}

// nodeCache is where the real-client test's npm packages live:
// $TI_NODE_CACHE, else the user cache folder.
func nodeCache(t *testing.T) string {
	if d := os.Getenv("TI_NODE_CACHE"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no cache folder for the npm packages: %v", err)
	}
	return filepath.Join(d, "tinyimpulse-service-node")
}

// installNode installs the packages once (idempotent).
func installNode(t *testing.T) string {
	for _, bin := range []string{"node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("the real-client test needs %s (Edge Impulse's npm client)", bin)
		}
	}
	dir := nodeCache(t)
	ok := true
	for _, p := range []string{"edge-impulse-api", "sio2", "sio4"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", p, "package.json")); err != nil {
			ok = false
		}
	}
	if !ok {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
			os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"private":true}`), 0o644)
		}
		args := append([]string{"install", "--silent", "--no-audit", "--no-fund"}, nodePackages...)
		cmd := exec.Command("npm", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm install %v: %v\n%s", nodePackages, err, out)
		}
	}
	return filepath.Join(dir, "node_modules")
}

// TestRealClient drives the service with Edge Impulse's npm client
// (edge-impulse-api 1.95.13: its createProject, createImpulse,
// setDspConfig, getKeras, trainKerasJob, runJobUntilCompletion with its
// WebSocket code and status polling, getAllDetailedImpulses,
// getJobsLogs, buildOnDeviceModelJob, getDeployment, downloadBuild,
// listDeploymentTargetsForProject, listDownloads, downloadLearnModel) and
// socket.io-client 2.5.0 and 4.8.1, then type-checks the raw responses
// with ei-schema-check and checks the files the client downloaded against
// the library's own exports of the model.
func TestRealClient(t *testing.T) {
	if testing.Short() {
		t.Skip("the real-client test trains models and runs node; skipped in -short mode")
	}
	modules := installNode(t)
	h := newHarness(t, service.Config{Workers: 1})
	out := t.TempDir()
	datasets := []string{"gestures=" + abs(t, "../testdata/gestures") + "=" + abs(t, "../testdata/impulses/gestures.json")}
	if dir := abs(t, "../../shared/datasets/fan-unbalance"); exists(dir) {
		datasets = append(datasets, "fan-unbalance="+dir+"="+abs(t, "../testdata/impulses/fan-unbalance.json"))
	} else {
		t.Log("../shared/datasets/fan-unbalance is absent: only testdata/gestures is uploaded")
	}
	cmd := exec.Command("node", "testdata/realclient/client.js")
	cmd.Env = append(os.Environ(),
		"TI_URL="+h.ts.URL,
		"TI_ADMIN_KEY="+testAdminKey,
		"TI_DATASETS="+strings.Join(datasets, ";"),
		"TI_OUT="+out,
		"NODE_PATH="+modules,
	)
	start := time.Now()
	res, err := cmd.CombinedOutput()
	t.Logf("node client (%.1f s):\n%s", time.Since(start).Seconds(), res)
	if err != nil {
		t.Fatalf("the Edge Impulse client failed: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.json"))
	if len(files) < 14 {
		t.Fatalf("the client saved %d responses, want 14", len(files))
	}
	t.Run("deployments", func(t *testing.T) { checkClientDownloads(t, h, out) })
	for _, f := range files {
		typ := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(typ, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			eischema.Check(t, doc, typ)
		})
	}
}

func abs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// checkClientDownloads checks the files the npm client downloaded: the
// C library builds and is deploy.WriteZip's, the .tflite files are
// tflite.Export's, the report has its sections.
func checkClientDownloads(t *testing.T, h *harness, out string) {
	ids, err := os.ReadFile(filepath.Join(out, "deploy-model.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var pid, jid int
	if _, err := fmt.Sscan(string(ids), &pid, &jid); err != nil {
		t.Fatal(err)
	}
	m, err := h.srv.ModelOf(pid, jid)
	if err != nil {
		t.Fatal(err)
	}
	read := func(name string) []byte {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	checkZip(t, m, read("deploy-zip-int8.zip"), "int8")
	checkTFLite(t, m, read("deploy-tflite-float32.tflite"), "float32")
	checkTFLite(t, m, read("deploy-tflite-int8.tflite"), "int8")
	if !bytes.Equal(read("learn-int8.tflite"), read("deploy-tflite-int8.tflite")) {
		t.Error("downloadLearnModel's int8 file is not the int8 build's")
	}
	checkReportPage(t, m, read("report.html"))
}
