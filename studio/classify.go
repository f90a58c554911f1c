package studio

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"time"

	"github.com/tinyimpulse/tinyimpulse/dataset"
	"github.com/tinyimpulse/tinyimpulse/metrics"
)

// ClassifyJobResponse is Studio's ClassifyJobResponse, the result of model
// testing.
type ClassifyJobResponse struct {
	Success                       bool                        `json:"success"`
	Error                         string                      `json:"error,omitempty"`
	Result                        []ModelResult               `json:"result"`
	Predictions                   []metrics.Prediction        `json:"predictions"`
	Accuracy                      metrics.TestAccuracy        `json:"accuracy"`
	AdditionalMetricsByLearnBlock []metrics.LearnBlockMetrics `json:"additionalMetricsByLearnBlock"`
	AvailableVariants             []string                    `json:"availableVariants"`
}

// ModelResult is Studio's ModelResult: one sample and how every learn block
// classified its windows.
type ModelResult struct {
	SampleID        int                    `json:"sampleId"`
	Sample          Sample                 `json:"sample"`
	Classifications []SampleClassification `json:"classifications"`
}

// SampleClassification is Studio's ClassifySampleResponseClassification:
// one learn block's results for every window of a sample.
type SampleClassification struct {
	LearnBlock LearnBlock `json:"learnBlock"`
	// Result holds, per window, the score of every label (classifiers),
	// {"value": v} (regression) or {"anomaly": score} (anomaly blocks).
	Result                  []map[string]float64 `json:"result"`
	MinimumConfidenceRating float64              `json:"minimumConfidenceRating"`
	ExpectedLabels          []StructuredLabel    `json:"expectedLabels"`
	Thresholds              []BlockThreshold     `json:"thresholds"`
	IntervalMs              float64              `json:"intervalMs"`
	FrequencyHz             float64              `json:"frequencyHz"`
	ResultCount             int                  `json:"resultCount"`
}

// StructuredLabel is Studio's StructuredLabel: a label over the value
// indices StartIndex..EndIndex (inclusive).
type StructuredLabel struct {
	StartIndex int    `json:"startIndex"`
	EndIndex   int    `json:"endIndex"`
	Label      string `json:"label"`
}

// Sample is the part of Studio's Sample this project can fill from a
// dataset file.
type Sample struct {
	ID                  int                   `json:"id"`
	Filename            string                `json:"filename"`
	SignatureValidate   bool                  `json:"signatureValidate"`
	Created             time.Time             `json:"created"`
	LastModified        time.Time             `json:"lastModified"`
	Category            string                `json:"category"`
	ColdstorageFilename string                `json:"coldstorageFilename"`
	Label               string                `json:"label"`
	IntervalMs          float64               `json:"intervalMs"`
	Frequency           float64               `json:"frequency"`
	OriginalIntervalMs  float64               `json:"originalIntervalMs"`
	OriginalFrequency   float64               `json:"originalFrequency"`
	DeviceName          string                `json:"deviceName,omitempty"`
	DeviceType          string                `json:"deviceType"`
	Sensors             []Sensor              `json:"sensors"`
	ValuesCount         int                   `json:"valuesCount"`
	TotalLengthMs       float64               `json:"totalLengthMs"`
	Added               time.Time             `json:"added"`
	BoundingBoxes       []dataset.BoundingBox `json:"boundingBoxes"`
	BoundingBoxesType   string                `json:"boundingBoxesType"`
	ChartType           string                `json:"chartType"`
	IsDisabled          bool                  `json:"isDisabled"`
	IsProcessing        bool                  `json:"isProcessing"`
	ProcessingError     bool                  `json:"processingError"`
	IsCropped           bool                  `json:"isCropped"`
	Metadata            map[string]string     `json:"metadata,omitempty"`
	ProjectID           int                   `json:"projectId"`
	SHA256Hash          string                `json:"sha256Hash"`
	StructuredLabels    []StructuredLabel     `json:"structuredLabels,omitempty"`
	Datastreams         []any                 `json:"datastreams"`
}

// Sensor is Studio's Sensor.
type Sensor struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Units string `json:"units"`
}

// NewSample describes a dataset sample as Studio's Sample, created at the
// given time. Its hash is
// the SHA-256 of the sample's values (float64, little-endian) or, for an
// image, of its pixels.
func NewSample(s *dataset.Sample, created time.Time) Sample {
	h := sha256.New()
	var b [8]byte
	for i := range s.NumValues() {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(s.Value(i)))
		h.Write(b[:])
	}
	ss := Sample{ID: s.ID, Filename: s.Path, Created: created, LastModified: created, Added: created,
		Category: s.Category, ColdstorageFilename: s.Path, Label: s.Label, DeviceName: s.DeviceName, DeviceType: s.DeviceType,
		Sensors: []Sensor{}, BoundingBoxes: []dataset.BoundingBox{}, BoundingBoxesType: "object_detection", ChartType: "chart",
		Metadata: s.Metadata, ProjectID: 1, Datastreams: []any{}, StructuredLabels: StructuredLabels(s)}
	if ss.DeviceType == "" {
		ss.DeviceType = "unknown"
	}
	if s.Image != nil {
		ss.ChartType = "image"
		bnd := s.Image.Bounds()
		for y := bnd.Min.Y; y < bnd.Max.Y; y++ {
			for x := bnd.Min.X; x < bnd.Max.X; x++ {
				r, g, bl, a := s.Image.At(x, y).RGBA()
				binary.LittleEndian.PutUint64(b[:], uint64(r)|uint64(g)<<16|uint64(bl)<<32|uint64(a)<<48)
				h.Write(b[:])
			}
		}
		ss.ValuesCount = 1
	} else {
		ss.IntervalMs, ss.OriginalIntervalMs = s.IntervalMs, s.IntervalMs
		ss.Frequency, ss.OriginalFrequency = s.FrequencyHz(), s.FrequencyHz()
		ss.ValuesCount = s.Len()
		ss.TotalLengthMs = float64(s.Len()) * s.IntervalMs
		for i, sn := range s.Sensors {
			ss.Sensors = append(ss.Sensors, Sensor{Index: i, Name: sn.Name, Units: sn.Units})
		}
	}
	ss.SHA256Hash = hex.EncodeToString(h.Sum(nil))
	return ss
}

// StructuredLabels returns a sample's labels as value ranges: its
// structured labels, or one range over every value.
func StructuredLabels(s *dataset.Sample) []StructuredLabel {
	if len(s.Labels) > 0 {
		out := make([]StructuredLabel, len(s.Labels))
		for i, l := range s.Labels {
			out[i] = StructuredLabel{StartIndex: l.StartIndex, EndIndex: l.EndIndex, Label: l.Label}
		}
		return out
	}
	n := max(s.Len(), 1)
	return []StructuredLabel{{StartIndex: 0, EndIndex: n - 1, Label: s.Label}}
}
