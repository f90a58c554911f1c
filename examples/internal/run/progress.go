package run

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/studio"
)

// progress shows a training job's log (studio.Event) as it arrives: on a
// terminal as one status line rewritten with a carriage return, elsewhere as
// plain lines. Keras' two-line epoch reports ("Epoch 3/30" and
// "14/14 - 0s - loss: 0.86 - accuracy: 0.76 - val_loss: ...") become one
// condensed line, "Epoch 3/30  loss 0.86  acc 0.76  val_loss ...".
type progress struct {
	w        io.Writer
	terminal bool
	// shown is the width of the status line on the terminal.
	shown int
	// epoch is the last "N/M" seen.
	epoch string
}

// statusWidth bounds the status line, so that it never wraps on an
// 80-column terminal (a wrapped line cannot be rewritten with \r).
const statusWidth = 79

func newProgress(w io.Writer, terminal bool) *progress {
	return &progress{w: w, terminal: terminal}
}

var epochLine = regexp.MustCompile(`^Epoch (\d+/\d+)$`)

// event handles one event of the job.
func (p *progress) event(e studio.Event) {
	if e.Type != studio.EventData {
		return
	}
	for line := range strings.SplitSeq(strings.TrimRight(e.Data, "\n"), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case epochLine.MatchString(line):
			p.epoch = epochLine.FindStringSubmatch(line)[1]
		case p.epoch != "" && strings.Contains(line, " - loss: "):
			p.show(epochStatus(p.epoch, line))
			p.epoch = ""
		default:
			p.show(line)
		}
	}
}

// epochStatus condenses Keras' report of one epoch.
func epochStatus(epoch, report string) string {
	var b strings.Builder
	b.WriteString("Epoch " + epoch)
	for item := range strings.SplitSeq(report, " - ") {
		k, v, ok := strings.Cut(item, ": ")
		if !ok {
			continue
		}
		switch k {
		case "accuracy":
			k = "acc"
		case "val_accuracy":
			k = "val_acc"
		}
		b.WriteString("  " + k + " " + v)
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
