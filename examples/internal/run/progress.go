package run

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// progress shows a training job's log (studio.Event) as it arrives: on a
// terminal as one status line rewritten with a carriage return, elsewhere as
// plain lines. Keras' two-line epoch reports become one condensed line from
// the event's structured figures, "Epoch 3/30  loss 0.8600  acc 0.7600  val_loss ...".
type progress struct {
	w        io.Writer
	terminal bool
	// shown is the width of the status line on the terminal.
	shown int
}

// statusWidth bounds the status line, so that it never wraps on an
// 80-column terminal (a wrapped line cannot be rewritten with \r).
const statusWidth = 79

func newProgress(w io.Writer, terminal bool) *progress {
	return &progress{w: w, terminal: terminal}
}

// event handles one event of the job.
func (p *progress) event(e studio.Event) {
	if e.Type != studio.EventData {
		return
	}
	if e.Progress != nil && e.Progress.Epoch != nil {
		p.show(epochStatus(e.Progress.Epoch))
		return
	}
	for line := range strings.SplitSeq(strings.TrimRight(e.Data, "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			p.show(line)
		}
	}
}

// epochStatus condenses Keras' report of one epoch.
func epochStatus(s *learn.EpochStats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Epoch %d/%d  loss %.4f", s.Epoch, s.Epochs, s.Loss)
	for _, m := range []struct {
		name string
		v    float64
	}{{"acc", s.Accuracy}, {"val_loss", s.ValLoss}, {"val_acc", s.ValAccuracy}} {
		if !math.IsNaN(m.v) {
			fmt.Fprintf(&b, "  %s %.4f", m.name, m.v)
		}
	}
	return b.String()
}

// show prints one line of progress.
func (p *progress) show(line string) {
	if !p.terminal {
		fmt.Fprintln(p.w, line)
		return
	}
	if r := []rune(line); len(r) > statusWidth {
		line = string(r[:statusWidth-1]) + "…"
	}
	n := len([]rune(line))
	pad := ""
	if n < p.shown {
		pad = strings.Repeat(" ", p.shown-n)
	}
	fmt.Fprint(p.w, "\r"+line+pad)
	p.shown = n
}

// done clears the status line.
func (p *progress) done() {
	if p.terminal && p.shown > 0 {
		fmt.Fprint(p.w, "\r"+strings.Repeat(" ", p.shown)+"\r")
		p.shown = 0
	}
}
