package dataset

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
)

// decodeCSV parses a time series in Edge Impulse's CSV form: a header row
// whose first column is "timestamp" (or "time"), in milliseconds, and one
// column per axis, then one row per value. The interval is the mean step of
// the timestamps, (last − first) / (rows − 1), which must increase strictly.
func decodeCSV(data []byte) (*Sample, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, formatError("empty CSV file")
	}
	if err != nil {
		return nil, formatError("CSV header: %v", csvErrorText(err))
	}
	if len(header) < 2 {
		return nil, formatError("CSV header has %d columns; want a timestamp column and at least one axis", len(header))
	}
	if t := strings.ToLower(strings.TrimSpace(header[0])); t != "timestamp" && t != "time" {
		return nil, formatError("CSV first column is %q; want \"timestamp\" (milliseconds)", header[0])
	}
	k := len(header) - 1
	sensors := make([]Sensor, k)
	seen := make(map[string]bool, k)
	for j := range sensors {
		name := strings.TrimSpace(header[j+1])
		if name == "" {
			return nil, formatError("CSV header column %d has no name", j+2)
		}
		if seen[name] {
			return nil, formatError("CSV header: duplicate column %q", name)
		}
		seen[name] = true
		sensors[j] = Sensor{Name: name}
	}
	var values []float64
	var first, last float64
	rows := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, formatError("CSV: %v", csvErrorText(err))
		}
		line, _ := r.FieldPos(0)
		t, err := parseCell(rec[0])
		if err != nil {
			return nil, formatError("CSV line %d, column timestamp: %v", line, err)
		}
		if rows == 0 {
			first = t
		} else if t <= last {
			return nil, formatError("CSV line %d: timestamp %v does not increase (previous %v)", line, t, last)
		}
		last = t
		for j := 1; j < len(rec); j++ {
			v, err := parseCell(rec[j])
			if err != nil {
				return nil, formatError("CSV line %d, column %q: %v", line, sensors[j-1].Name, err)
			}
			values = append(values, v)
		}
		rows++
	}
	if rows < 2 {
		return nil, formatError("CSV has %d data rows; at least 2 are needed to derive the interval", rows)
	}
	interval := (last - first) / float64(rows-1)
	if math.IsInf(interval, 0) || !(interval > 0) {
		return nil, formatError("CSV timestamps from %v to %v give no usable interval", first, last)
	}
	return &Sample{IntervalMs: interval, Sensors: sensors, Values: values}, nil
}

func parseCell(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty value")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, errors.New("not a number: " + strconv.Quote(s))
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errors.New("not a finite number: " + strconv.Quote(s))
	}
	return v, nil
}

func csvErrorText(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "line " + strconv.Itoa(pe.Line) + ": " + pe.Err.Error()
	}
	return err.Error()
}
