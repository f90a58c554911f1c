package tune

import (
	"fmt"
	"io"
	"strconv"

	"github.com/tinyimpulse/tinyimpulse/impulse"
	"github.com/tinyimpulse/tinyimpulse/internal/table"
)

// WriteTable writes the trials (validation accuracy of both model types,
// the estimates, epochs run, time and status), the Pareto front and the
// picks' test accuracy, for people.
func (r *Result) WriteTable(w io.Writer) error {
	mt := r.Options.ModelType
	other := impulse.Float32
	if mt == impulse.Float32 {
		other = impulse.Int8
	}
	header := []string{"#", "status", "val " + mt.String(), "val " + other.String(), "latency", "RAM", "ROM", "epochs", "time", "impulse"}
	row := func(t *TrialResult) []string {
		acc, acc2 := "", ""
		if t.Status == StatusCompleted {
			acc = fmt.Sprintf("%.3f", t.MeanAccuracy(mt))
			acc2 = fmt.Sprintf("%.3f", t.MeanAccuracy(other))
			if n := len(t.Repeats); n > 0 {
				acc += fmt.Sprintf(" (%d runs)", n+1)
			}
		}
		status := string(t.Status)
		if t.ID == r.Chosen {
			status += " *"
		}
		return []string{strconv.Itoa(t.ID), status, acc, acc2, fmt.Sprintf("%.1f ms", t.Estimate.LatencyMs),
			kb(t.Estimate.RAM), kb(t.Estimate.ROM), strconv.Itoa(t.Epochs), fmt.Sprintf("%.1fs", t.Seconds), t.Description}
	}
	var rows [][]string
	for _, t := range r.Trials {
		rows = append(rows, row(t))
	}
	notes := []string{fmt.Sprintf("%d trials in %.1f s on %d workers; %d candidates over budget were not trained; * chosen",
		len(r.Trials), r.Elapsed.Seconds(), r.Options.Workers, r.Rejected),
		"val: the mean over the trial's runs, the best trials having been run again with other seeds"}
	if r.Options.ModelType != impulse.Float32 {
		notes = append(notes, fmt.Sprintf("ranked by int8 val less the loss to quantisation beyond %.2f (float32 val − int8 val)", QuantTolerance))
	}
	for _, t := range r.Trials {
		if t.Status == StatusFailed {
			notes = append(notes, fmt.Sprintf("trial %d failed: %s", t.ID, t.Error))
		}
	}
	if err := table.Write(w, "Trials (validation on held-out training samples)", notes, table.Layout{Header: header, Rows: rows, Left: 2}); err != nil {
		return err
	}
	rows = nil
	for _, id := range r.Pareto {
		rows = append(rows, row(r.Trials[id]))
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	if err := table.Write(w, "Pareto front (validation accuracy, latency, RAM)", nil, table.Layout{Header: header, Rows: rows, Left: 2}); err != nil {
		return err
	}
	if len(r.Picks) == 0 {
		return nil
	}
	rows = nil
	for _, p := range r.Picks {
		t := r.Trials[p.ID]
		if p.Error != "" {
			rows = append(rows, []string{strconv.Itoa(p.ID), "", "", "", "", "", "", "error: " + p.Error})
			continue
		}
		rows = append(rows, []string{strconv.Itoa(p.ID), fmt.Sprintf("%.3f", p.Int8), fmt.Sprintf("%.3f", p.Float32),
			strconv.Itoa(p.Windows), fmt.Sprintf("%d (of %d)", p.Seed, p.Seeds), fmt.Sprintf("%.3f", p.Validation),
			fmt.Sprintf("%.1f ms", t.Estimate.LatencyMs), t.Description})
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	return table.Write(w, "Picks trained on every training sample, tested on the testing category",
		[]string{"test accuracy is Studio's (uncertain windows count as wrong); the seed of the first pick is the one of its trainings",
			"with the best validation accuracy (val, the top score on Studio's validation split of the training windows)"},
		table.Layout{Header: []string{"#", "test int8", "test float32", "windows", "seed", "val", "latency", "impulse"}, Rows: rows, Left: 1})
}
