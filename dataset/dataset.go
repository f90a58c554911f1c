package dataset

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/tinyimpulse/tinyimpulse/internal/jsonerr"
)

// Dataset is a set of samples in Edge Impulse's export layout.
type Dataset struct {
	// Dir is the folder the dataset was loaded from.
	Dir string
	// Samples holds every sample, in the order of info.labels (or, without
	// one, training/ then testing/, each sorted by file name). Samples[i].ID
	// is i+1.
	Samples []*Sample
}

// Category returns the samples of one category (CategoryTraining, …), in
// dataset order.
func (d *Dataset) Category(category string) []*Sample {
	var out []*Sample
	for _, s := range d.Samples {
		if s.Category == category {
			out = append(out, s)
		}
	}
	return out
}

// Labels returns the distinct labels of the given samples (including those of
// multi-label samples' ranges), sorted, as Studio orders classes.
func Labels(samples []*Sample) []string {
	seen := map[string]bool{}
	var out []string
	add := func(l string) {
		if l != "" && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	for _, s := range samples {
		add(s.Label)
		for _, r := range s.Labels {
			add(r.Label)
		}
	}
	sort.Strings(out)
	return out
}

// DecodeSample parses one sample file from its contents. The format follows
// from the extension of name: .json (data acquisition JSON), .cbor (data
// acquisition CBOR, signed or not, including the binary-payload variant),
// .csv or .txt (CSV with a timestamp column), .wav (16-bit PCM mono), .png,
// .jpg or .jpeg. The sample's Name is the base name of name without its
// extension and its Path is name; its label and category are left empty.
func DecodeSample(name string, data []byte) (*Sample, error) {
	return decodeSample(name, data, false)
}

func decodeSample(name string, data []byte, compact bool) (*Sample, error) {
	var (
		s   *Sample
		err error
	)
	switch ext := strings.ToLower(path.Ext(filepath.ToSlash(name))); ext {
	case ".json":
		s, err = decodeAcquisitionJSON(data)
	case ".cbor":
		s, err = decodeAcquisitionCBOR(data)
	case ".csv", ".txt":
		s, err = decodeCSV(data)
	case ".wav":
		s, err = decodeWAV(data, compact)
	case ".png", ".jpg", ".jpeg":
		s, err = decodeImage(data, ext == ".png")
	default:
		err = formatError("unsupported file type %q (want .json, .cbor, .csv, .txt, .wav, .png, .jpg or .jpeg)", ext)
	}
	if err != nil {
		return nil, &FileError{Path: name, Err: err}
	}
	s.Name, s.Path = sampleName(name), filepath.ToSlash(name)
	return s, nil
}

// ReadSample reads and parses one sample file (see DecodeSample).
func ReadSample(file string) (*Sample, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, &FileError{Path: file, Err: err}
	}
	return DecodeSample(file, data)
}

// entry is one sample to load.
type entry struct {
	path     string // slash-separated, relative to the dataset folder
	name     string
	category string
	label    string
	ranges   []LabelRange
	kv       map[string]string
	metadata map[string]string
	boxes    []BoundingBox
	infoFile string // the info.labels that listed it, for error messages
}

// LoadDataset reads a dataset folder in Edge Impulse's export layout: an
// info.labels file at the root, or in training/ and testing/, listing the
// files with their category and label (single labels, multi-label samples with
// structured labels by value index, key-value labels, unlabelled); without
// info.labels, training/ and testing/ hold files named <label>.<anything>.<ext>
// (see LabelFromFileName). Files are parsed in parallel; a file that cannot be
// read or parsed gives a *FileError naming it.
func Load(dir string) (*Dataset, error) {
	return LoadWith(dir, LoadOptions{})
}

// LoadOptions tune how LoadWith holds the samples.
type LoadOptions struct {
	// CompactAudio keeps WAV samples' 16-bit values as they are in the file
	// (a quarter of the memory of float64 Values): their Values is nil and
	// Sample.Series and Sample.Value read them.
	CompactAudio bool
}

// LoadWith is Load with options.
func LoadWith(dir string, opt LoadOptions) (*Dataset, error) {
	var entries []entry
	root := filepath.Join(dir, "info.labels")
	switch data, err := os.ReadFile(root); {
	case err == nil:
		entries, err = parseInfoLabels(data, "", "info.labels")
		if err != nil {
			return nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
		found := false
		for _, sub := range []string{CategoryTraining, CategoryTesting} {
			e, ok, err := loadFolder(dir, sub)
			if err != nil {
				return nil, err
			}
			found = found || ok
			entries = append(entries, e...)
		}
		if !found {
			return nil, fmt.Errorf("dataset: %s has no info.labels and no training/ or testing/ folder", dir)
		}
	default:
		return nil, &FileError{Path: root, Err: err}
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("dataset: %s has no samples", dir)
	}
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		if seen[e.path] {
			return nil, &FileError{Path: e.infoFile, Err: formatError("file %q is listed twice", e.path)}
		}
		seen[e.path] = true
	}
	samples, err := loadEntries(dir, entries, opt)
	if err != nil {
		return nil, err
	}
	return &Dataset{Dir: dir, Samples: samples}, nil
}

// loadFolder lists dir/sub: its info.labels if there is one, else every file
// with the label taken from its name.
func loadFolder(dir, sub string) ([]entry, bool, error) {
	folder := filepath.Join(dir, sub)
	info := filepath.Join(folder, "info.labels")
	if data, err := os.ReadFile(info); err == nil {
		e, err := parseInfoLabels(data, sub, sub+"/info.labels")
		return e, true, err
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, &FileError{Path: info, Err: err}
	}
	des, err := os.ReadDir(folder)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, &FileError{Path: folder, Err: err}
	}
	var out []entry
	for _, de := range des { // ReadDir sorts by name
		n := de.Name()
		if de.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		p := sub + "/" + n
		out = append(out, entry{path: p, name: sampleName(n), category: sub, label: LabelFromFileName(n), infoFile: p})
	}
	return out, true, nil
}

// infoFile is one entry of info.labels' files.
type infoFile struct {
	Path          string            `json:"path"`
	Name          string            `json:"name"`
	Category      string            `json:"category"`
	Label         *infoLabel        `json:"label"`
	Metadata      map[string]string `json:"metadata"`
	BoundingBoxes []BoundingBox     `json:"boundingBoxes"`
}

type infoLabel struct {
	Type   string          `json:"type"`
	Label  string          `json:"label"`
	Labels json.RawMessage `json:"labels"`
}

// parseInfoLabels reads an info.labels file (JSON, or its NDJSON export form)
// whose paths are relative to the folder sub of the dataset.
func parseInfoLabels(data []byte, sub, name string) ([]entry, error) {
	var files []infoFile
	if trimmed := bytes.TrimSpace(data); bytes.HasPrefix(trimmed, []byte(`{"__ndjson":true`)) {
		sc := bufio.NewScanner(bytes.NewReader(trimmed))
		sc.Buffer(nil, 64<<20)
		line := 0
		for sc.Scan() {
			line++
			if line == 1 || len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			var item struct {
				Key  string          `json:"__key"`
				Item json.RawMessage `json:"__item"`
			}
			if err := json.Unmarshal(sc.Bytes(), &item); err != nil {
				return nil, &FileError{Path: name, Err: formatError("line %d: %v", line, err)}
			}
			if item.Key != "files" {
				continue
			}
			var f infoFile
			if err := json.Unmarshal(item.Item, &f); err != nil {
				return nil, &FileError{Path: name, Err: formatError("line %d: %s", line, jsonerr.Text(item.Item, err))}
			}
			files = append(files, f)
		}
		if err := sc.Err(); err != nil {
			return nil, &FileError{Path: name, Err: formatError("%v", err)}
		}
	} else {
		var doc struct {
			Version int        `json:"version"`
			Files   []infoFile `json:"files"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, &FileError{Path: name, Err: formatError("%s", jsonerr.Text(data, err))}
		}
		if doc.Version != 0 && doc.Version != 1 {
			return nil, &FileError{Path: name, Err: formatError("version %d is not supported (want 1)", doc.Version)}
		}
		files = doc.Files
	}
	out := make([]entry, 0, len(files))
	for i, f := range files {
		e, err := f.entry(sub)
		if err != nil {
			return nil, &FileError{Path: name, Err: formatError("files[%d]: %v", i, err)}
		}
		e.infoFile = name
		out = append(out, e)
	}
	return out, nil
}

var categories = []string{CategoryTraining, CategoryTesting, CategoryValidation, CategoryPostProcessing, CategorySplit}

func (f *infoFile) entry(sub string) (entry, error) {
	if f.Path == "" {
		return entry{}, errors.New("no path")
	}
	p := filepath.ToSlash(f.Path)
	if !filepath.IsLocal(filepath.FromSlash(p)) {
		return entry{}, fmt.Errorf("path %q leaves the dataset folder", f.Path)
	}
	if sub != "" {
		p = sub + "/" + p
	}
	p = path.Clean(p)
	e := entry{path: p, name: f.Name, category: f.Category, metadata: f.Metadata, boxes: f.BoundingBoxes}
	if e.name == "" {
		e.name = sampleName(p)
	}
	if e.category == "" {
		first, _, _ := strings.Cut(p, "/")
		if first != CategoryTraining && first != CategoryTesting {
			return entry{}, fmt.Errorf("%s: no category", f.Path)
		}
		e.category = first
	}
	if !slices.Contains(categories, e.category) {
		return entry{}, fmt.Errorf("%s: unknown category %q", f.Path, e.category)
	}
	if f.Label == nil {
		e.label = LabelFromFileName(p)
		return e, nil
	}
	switch f.Label.Type {
	case "label":
		if f.Label.Label == "" {
			return entry{}, fmt.Errorf("%s: label of type \"label\" is empty", f.Path)
		}
		e.label = f.Label.Label
	case "unlabeled":
	case "multi-label":
		if err := json.Unmarshal(f.Label.Labels, &e.ranges); err != nil || len(e.ranges) == 0 {
			return entry{}, fmt.Errorf("%s: multi-label labels must be a non-empty array of {label, startIndex, endIndex}", f.Path)
		}
	case "keyvalue-labels":
		if err := json.Unmarshal(f.Label.Labels, &e.kv); err != nil {
			return entry{}, fmt.Errorf("%s: keyvalue-labels labels must be an object of strings", f.Path)
		}
	default:
		return entry{}, fmt.Errorf("%s: unknown label type %q (want label, unlabeled, multi-label or keyvalue-labels)", f.Path, f.Label.Type)
	}
	return e, nil
}

// maxReportedErrors bounds the file errors LoadDataset joins.
const maxReportedErrors = 10

// loadEntries reads and parses the files in parallel and returns the samples
// in entry order.
func loadEntries(dir string, entries []entry, opt LoadOptions) ([]*Sample, error) {
	samples := make([]*Sample, len(entries))
	errs := make([]error, len(entries))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(entries))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(entries) {
					return
				}
				samples[i], errs[i] = loadEntry(dir, &entries[i], opt)
			}
		}()
	}
	wg.Wait()
	var bad []error
	for _, err := range errs {
		if err != nil {
			bad = append(bad, err)
		}
	}
	if len(bad) > maxReportedErrors {
		bad = append(bad[:maxReportedErrors], fmt.Errorf("dataset: and %d more files with errors", len(bad)-maxReportedErrors))
	}
	if len(bad) > 0 {
		return nil, errors.Join(bad...)
	}
	for i, s := range samples {
		s.ID = i + 1
	}
	return samples, nil
}

func loadEntry(dir string, e *entry, opt LoadOptions) (*Sample, error) {
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.path)))
	if err != nil {
		return nil, &FileError{Path: e.path, Err: err}
	}
	s, err := decodeSample(e.path, data, opt.CompactAudio)
	if err != nil {
		return nil, err
	}
	s.Name, s.Category, s.Label = e.name, e.category, e.label
	s.KeyValues, s.Metadata, s.BoundingBoxes = e.kv, e.metadata, e.boxes
	if len(e.ranges) > 0 {
		if err := s.SetLabels(e.ranges); err != nil {
			return nil, &FileError{Path: e.path, Err: fmt.Errorf("%s: %w", e.infoFile, err)}
		}
	}
	return s, nil
}
