package report_test

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

var screenshots = flag.String("screenshots", "", "write the browser test's screenshots (PNG, 1280 px wide) to this folder")

// chromium returns the path of Debian's Chromium, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-headless-shell", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("Chromium is not installed (apt-get install chromium); skipping the browser test")
	return ""
}

// TestBrowser opens the reports of the gestures (accelerometer), keywords
// (audio, MFCC) and digits (images) models in headless Chromium at 1280 px
// and checks that the page loads with no console error, no exception, no
// failed request and no request for anything but the page itself and its
// data: URLs; that every chart is laid out at a readable size and nothing
// overflows the page's width; that the screenshot is not blank; and that
// the page prints.
func TestBrowser(t *testing.T) {
	exe := chromium(t)
	dir := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// Start the browser once; each page gets a tab of its own.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	for _, tc := range []struct{ name, data string }{
		{"gestures", filepath.Join("..", "testdata", "gestures")},
		{"keywords", filepath.Join("..", "testdata", "keywords")},
		{"digits", filepath.Join("..", "testdata", "digits")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := train(t, tc.name, tc.data)
			file := filepath.Join(dir, tc.name+".html")
			if err := os.WriteFile(file, []byte(tr.html), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, p := range checkPage(t, bctx, tc.name, "file://"+file, len(charts(t, tr.html))) {
				t.Errorf("%s: %s", tc.name, p)
			}
		})
	}
	// The checks catch what they look for: a console error, a missing
	// file, and a request for something outside the page.
	t.Run("broken", func(t *testing.T) {
		file := filepath.Join(dir, "broken.html")
		page := `<!DOCTYPE html><html><body><svg class="chart" width="600" height="300"><text x="10" y="20">x</text></svg>` +
			`<img src="missing.png" alt=""><script>console.error("boom")</script></body></html>`
		if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		got := strings.Join(checkPage(t, bctx, "broken", "file://"+file, 1), "\n")
		for _, want := range []string{"console error", "request failed", "missing.png"} {
			if !strings.Contains(got, want) {
				t.Errorf("a broken page's problems do not mention %q:\n%s", want, got)
			}
		}
	})
}

// checkPage loads a page and returns its problems; layout and screenshot
// problems are reported on t directly.
func checkPage(t *testing.T, bctx context.Context, name, url string, nCharts int) []string {
	ctx, cancel := chromedp.NewContext(bctx)
	defer cancel()
	ctx, cancelTime := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTime()

	var mu sync.Mutex
	var problems, requests []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
				problems = append(problems, "console "+string(e.Type))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				problems = append(problems, "log "+string(e.Entry.Level)+": "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *network.EventLoadingFailed:
			problems = append(problems, "request failed: "+e.ErrorText)
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(url),
		chromedp.WaitReady("body"),
	); err != nil {
		t.Fatal(err)
	}
	// Every chart is laid out at least 240 px wide (half a 1280 px page
	// less the margins is about 550 px; images are narrower), and nothing
	// is wider than the window.
	layout, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const cs = Array.from(document.querySelectorAll('svg.chart'));
		const w = cs.map(c => c.getBoundingClientRect().width);
		return [cs.length, Math.min(...w), document.documentElement.scrollWidth];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if name != "broken" && (int(layout[0]) != nCharts || layout[1] < 240 || layout[2] > 1280) {
		t.Errorf("%s: %v charts laid out (want %d), the narrowest %v px wide (want at least 240), page %v px wide (want at most 1280)",
			name, layout[0], nCharts, layout[1], layout[2])
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != 1280 {
		t.Errorf("%s: screenshot %d px wide, want 1280", name, w)
	}
	if sd, inked := pixelStats(img); name != "broken" && (sd < 20 || inked < 0.05) {
		t.Errorf("%s: screenshot looks blank: luminance standard deviation %.1f, %.1f%% of pixels away from the background", name, sd, 100*inked)
	}
	if *screenshots != "" && name != "broken" {
		if err := os.MkdirAll(*screenshots, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*screenshots, name+".png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pdf, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{})
	if err != nil || !bytes.HasPrefix(pdf.Data, []byte("%PDF-")) {
		t.Errorf("%s: printing: %v (%d bytes)", name, err, len(pdf.Data))
	}

	mu.Lock()
	defer mu.Unlock()
	for _, r := range requests {
		if r != url && !strings.HasPrefix(r, "data:") {
			problems = append(problems, "the page requested "+r)
		}
	}
	return problems
}

// pixelStats returns the standard deviation of the luminance (0-255) of an
// image and the fraction of its pixels that differ from the most common
// colour by more than 16 levels.
func pixelStats(img image.Image) (sd, inked float64) {
	b := img.Bounds()
	var sum, sum2 float64
	hist := map[uint32]int{}
	lum := make([]float64, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			l := (0.2126*float64(r) + 0.7152*float64(g) + 0.0722*float64(bl)) / 257
			lum = append(lum, l)
			sum += l
			sum2 += l * l
			hist[uint32(l)]++
		}
	}
	n := float64(len(lum))
	mean := sum / n
	sd = math.Sqrt(math.Max(0, sum2/n-mean*mean))
	var mode uint32
	for v, c := range hist {
		if c > hist[mode] || (c == hist[mode] && v < mode) {
			mode = v
		}
	}
	far := 0
	for _, l := range lum {
		if math.Abs(l-float64(mode)) > 16 {
			far++
		}
	}
	return sd, float64(far) / n
}
