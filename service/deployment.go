package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

// Studio's deployment (the build job, its download, the targets), the
// trained networks' .tflite downloads and the HTML report. Route names,
// bodies and responses are those of the npm package edge-impulse-api
// 1.95.13 (JobsApi.buildOnDeviceModelJob, DeploymentApi.getDeployment,
// downloadBuild, listAllDeploymentTargets, listDeploymentTargetsForProject,
// LearnApi.downloadLearnModel, ProjectsApi.listDownloads).
var exportRoutes = []route{
	{"POST", "/v1/api/{projectId}/jobs/build-ondevice-model", apiEI, authProject, "Start a deployment build job (query: type=zip|arduino|tflite, impulseId).", "BuildOnDeviceModelRequest", "BuildOnDeviceModelResponse", (*Server).buildOnDevice},
	{"GET", "/v1/api/{projectId}/deployment", apiEI, authProject, "Whether a deployment of a type (query: type, modelType, engine) is built for the current model.", "", "GetDeploymentResponse", (*Server).getDeployment},
	{"GET", "/v1/api/{projectId}/deployment/download", apiEI, authProject, "Download the latest build of a deployment type (query: type, modelType, engine): a zip or a .tflite file.", "", "application/octet-stream", (*Server).downloadBuild},
	{"GET", "/v1/api/{projectId}/deployment/targets", apiEI, authProject, "The deployment targets, for this project.", "", "ProjectDeploymentTargetsResponse", (*Server).projectTargets},
	{"GET", "/v1/api/deployment/targets", apiEI, authAny, "The deployment targets.", "", "DeploymentTargetsResponse", (*Server).allTargets},
	{"GET", "/v1/api/{projectId}/downloads", apiEI, authProject, "The files of the current model that can be downloaded.", "", "ProjectDownloadsResponse", (*Server).listDownloads},
	{"GET", "/v1/api/{projectId}/learn-data/{learnId}/model/{modelDownloadId}", apiEI, authProject, "Download a trained network as a .tflite file (modelDownloadId tflite-int8 or tflite-float32).", "", "application/octet-stream", (*Server).downloadLearnModel},
	{"GET", "/v1/api/{projectId}/report", apiEI, authProject, "The HTML report of the current model.", "", "text/html", (*Server).projectReport},
	{"GET", "/v1/ml/models/{modelId}/report", apiTwin, authAny, "The HTML report of a trained model.", "", "text/html", (*Server).twinReport},
}

// buildSpec is what a deployment job builds.
type buildSpec struct {
	Type   string `json:"type"`
	Engine string `json:"engine"`
	// ModelType is the variant asked for ("" the learn blocks' own) until
	// the job has run, then the variant built ("" for an impulse without
	// a network).
	ModelType string `json:"modelType,omitempty"`
	Bytes     int    `json:"bytes,omitempty"`
}

// deployTarget is a deployment type the service builds.
type deployTarget struct {
	Format, Name, Description, Engine, ContentType, Ext string
	// Network: the type holds only the network (a .tflite file).
	Network bool
}

// deployTargets are the deployment types, in the order listed.
var deployTargets = []deployTarget{
	{Format: "zip", Name: "C++ library", Engine: "tflite-eon", ContentType: "application/zip", Ext: ".zip",
		Description: "The whole impulse (processing blocks, network, anomaly block) as portable C99 code compiled from the trained model, with a Makefile, a CMakeLists.txt and an example program."},
	{Format: "arduino", Name: "Arduino library", Engine: "tflite-eon", ContentType: "application/zip", Ext: ".zip",
		Description: "The same C library in the Arduino library layout (library.properties, src/, an example sketch): add it with Sketch > Include Library > Add .ZIP Library."},
	{Format: "tflite", Name: "TensorFlow Lite", Engine: "tflite", ContentType: "application/octet-stream", Ext: ".tflite", Network: true,
		Description: "The first neural network of the impulse as a TensorFlow Lite model file, for TensorFlow Lite and TensorFlow Lite for Microcontrollers."},
}

// knownEngines are Studio's DeploymentTargetEngine values.
var knownEngines = []string{"tflite", "tflite-eon", "tflite-eon-ram-optimized", "tensorrt", "tensaiflow", "drp-ai", "tidl", "akida",
	"syntiant", "memryx", "neox", "ethos-linux", "st-aton", "ceva-npn", "nordic-axon", "vlm-connector", "qaic"}

func targetFormats() string {
	var f []string
	for _, t := range deployTargets {
		f = append(f, t.Format)
	}
	return strings.Join(f, ", ")
}

// deployTargetOf reads the type query parameter.
func deployTargetOf(r *http.Request, pid int) (*deployTarget, error) {
	typ := r.URL.Query().Get("type")
	if typ == "" {
		return nil, errorf(http.StatusBadRequest, "query parameter type: required (%s)", targetFormats())
	}
	for i := range deployTargets {
		if deployTargets[i].Format == typ {
			return &deployTargets[i], nil
		}
	}
	return nil, errorf(http.StatusBadRequest, "query parameter type=%q: unknown deployment type; this service builds %s (GET /v1/api/%d/deployment/targets)", typ, targetFormats(), pid)
}

// checkEngine refuses an engine the target is not built with.
func (t *deployTarget) checkEngine(field, engine string) error {
	if engine == t.Engine {
		return nil
	}
	if !slices.Contains(knownEngines, engine) {
		return errorf(http.StatusBadRequest, "%s %q: unknown engine (Studio's engines are %s)", field, engine, strings.Join(knownEngines, ", "))
	}
	return errorf(http.StatusBadRequest, "%s %q: the %s deployment is built with engine %q only", field, engine, t.Format, t.Engine)
}

// checkVariant refuses a model type other than int8, float32 or "".
func checkVariant(field, v string) error {
	if v == "akida" {
		return errorf(http.StatusBadRequest, "%s \"akida\": this service builds int8 and float32 models only", field)
	}
	if checkModelType(v) != nil {
		return errorf(http.StatusBadRequest, "%s %q: must be int8 or float32", field, v)
	}
	return nil
}

// checkImpulseID refuses an impulseId query parameter that is not the
// project's impulse (a project has one).
func checkImpulseID(r *http.Request, p *projectRow) error {
	v := r.URL.Query().Get("impulseId")
	if v == "" {
		return nil
	}
	id, err := strconv.Atoi(v)
	if err != nil || id <= 0 {
		return errorf(http.StatusBadRequest, "query parameter impulseId=%q: must be a positive integer", v)
	}
	if id != p.ImpulseID {
		return errorf(http.StatusNotFound, "impulse %d not found", id)
	}
	return nil
}

// trainedProject reads a project that has a trained model.
func (s *Server) trainedProject(ctx context.Context, pid int, status int) (*projectRow, error) {
	p, err := s.st.project(ctx, pid)
	if err != nil {
		return nil, err
	}
	if p.Model == 0 {
		return nil, errorf(status, "project %d has no trained model yet: train the impulse first", pid)
	}
	return p, nil
}

func (s *Server) buildOnDevice(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := deployTargetOf(r, c.pid)
	if err != nil {
		return err
	}
	var req struct {
		Engine     *string           `json:"engine"`
		ModelType  string            `json:"modelType"`
		Parameters map[string]string `json:"parameters"`
	}
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if req.Engine == nil {
		return errorf(http.StatusBadRequest, "engine: required (%q for the %s deployment)", t.Engine, t.Format)
	}
	if err := t.checkEngine("engine", *req.Engine); err != nil {
		return err
	}
	if err := checkVariant("modelType", req.ModelType); err != nil {
		return err
	}
	for k := range req.Parameters {
		return errorf(http.StatusBadRequest, "parameters.%s: the %s deployment takes no parameters", k, t.Format)
	}
	ctx := r.Context()
	p, err := s.trainedProject(ctx, c.pid, http.StatusBadRequest)
	if err != nil {
		return err
	}
	if err := checkImpulseID(r, p); err != nil {
		return err
	}
	if t.Network {
		var row jobRow
		if _, err := s.st.get(ctx, bucketJobs, pkey(c.pid, p.Model), &row); err == nil {
			if def, err := parseDefinition(row.Definition); err == nil && firstNetwork(def) == 0 {
				return errorf(http.StatusBadRequest, "the trained impulse has no neural network learn block: the %s deployment needs one", t.Format)
			}
		}
	}
	j := &jobRow{ProjectID: c.pid, Kind: kindBuild, Model: p.Model, Build: &buildSpec{Type: t.Format, Engine: *req.Engine, ModelType: req.ModelType}}
	if err := s.startJob(ctx, j); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "id": j.ID, "deploymentVersion": j.ID})
	return nil
}

// latestBuild finds the latest successful build of the project's current
// model of a type, with the model type and engine of the query if given.
func (s *Server) latestBuild(r *http.Request, c *call, t *deployTarget, p *projectRow) (*jobRow, error) {
	q := r.URL.Query()
	mt, eng := q.Get("modelType"), q.Get("engine")
	if err := checkVariant("query parameter modelType", mt); err != nil {
		return nil, err
	}
	if eng != "" {
		if err := t.checkEngine("query parameter engine", eng); err != nil {
			return nil, err
		}
	}
	jobs, err := list[jobRow](r.Context(), s.st, bucketJobs, c.pid)
	if err != nil {
		return nil, err
	}
	for i := len(jobs) - 1; i >= 0; i-- {
		j := &jobs[i]
		if j.Kind != kindBuild || j.Build == nil || j.Build.Type != t.Format || j.Model != p.Model || j.Result == "" ||
			j.FinishedSuccessful == nil || !*j.FinishedSuccessful {
			continue
		}
		if mt != "" && j.Build.ModelType != mt {
			continue
		}
		return j, nil
	}
	return nil, nil
}

// deployment reads a deployment request: its target, the project (when
// trained is set, one with a trained model, a 404 otherwise) and the
// latest build of the query (nil when there is none).
func (s *Server) deployment(r *http.Request, c *call, trained bool) (*deployTarget, *projectRow, *jobRow, error) {
	t, err := deployTargetOf(r, c.pid)
	if err != nil {
		return nil, nil, nil, err
	}
	var p *projectRow
	if trained {
		p, err = s.trainedProject(r.Context(), c.pid, http.StatusNotFound)
	} else {
		p, err = s.st.project(r.Context(), c.pid)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkImpulseID(r, p); err != nil {
		return nil, nil, nil, err
	}
	j, err := s.latestBuild(r, c, t, p)
	return t, p, j, err
}

func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request, c *call) error {
	_, p, j, err := s.deployment(r, c, false)
	if err != nil {
		return err
	}
	if j == nil || p.Model == 0 {
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "hasDeployment": false})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "hasDeployment": true, "version": j.ID})
	return nil
}

// fileSlug makes a file name part of a project's name.
var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func fileSlug(name string) string {
	s := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if s == "" || len(s) > 64 {
		return "project"
	}
	return s
}

// sendFile writes a download.
func sendFile(w http.ResponseWriter, contentType, fileName string, data []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+fileName+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

func (s *Server) downloadBuild(w http.ResponseWriter, r *http.Request, c *call) error {
	t, p, j, err := s.deployment(r, c, true)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if j == nil {
		what := t.Format
		if mt := r.URL.Query().Get("modelType"); mt != "" {
			what += " (" + mt + ")"
		}
		return errorf(http.StatusNotFound, "no %s deployment of the current model: build one with POST /v1/api/%d/jobs/build-ondevice-model?type=%s", what, c.pid, t.Format)
	}
	data, err := s.st.object(ctx, j.Result)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%s-%s-v%d%s", fileSlug(p.Name), t.Format, j.Build.ModelType, j.ID, t.Ext)
	sendFile(w, t.ContentType, strings.ReplaceAll(name, "--", "-"), data)
	return nil
}

// targetJSON is Studio's DeploymentTarget.
func targetJSON(t *deployTarget) map[string]any {
	return map[string]any{
		"name": t.Name, "description": t.Description, "image": "", "imageClasses": "", "format": t.Format,
		"hasEonCompiler": t.Engine == "tflite-eon", "hasTensorRT": false, "hasTensaiFlow": false, "hasDRPAI": false, "hasTIDL": false,
		"hasAkida": false, "hasMemryx": false, "hasStAton": false, "hasCevaNpn": false, "hasNordicAxon": false, "hasQaic": false,
		"hideOptimizations": false, "uiSection": "library", "supportedEngines": []string{t.Engine}, "preferredEngine": t.Engine,
		"docsUrl": "", "parameters": []any{},
		"modelVariants": []any{
			map[string]any{"variant": "int8", "supported": true},
			map[string]any{"variant": "float32", "supported": true},
			map[string]any{"variant": "akida", "supported": false, "hint": "This service builds int8 and float32 models only."},
		},
	}
}

func (s *Server) allTargets(w http.ResponseWriter, r *http.Request, c *call) error {
	targets := []any{}
	for i := range deployTargets {
		targets = append(targets, targetJSON(&deployTargets[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "targets": targets})
	return nil
}

func (s *Server) projectTargets(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := s.st.project(r.Context(), c.pid)
	if err != nil {
		return err
	}
	if err := checkImpulseID(r, p); err != nil {
		return err
	}
	hasNetwork := true
	if doc, err := p.definition(); err == nil {
		if def, err := parseDefinition(doc); err == nil {
			hasNetwork = firstNetwork(def) != 0
		}
	}
	targets := []any{}
	for i := range deployTargets {
		t := &deployTargets[i]
		m := targetJSON(t)
		m["recommendedForProject"] = t.Format == "zip"
		m["disabledForProject"] = false
		if t.Network && !hasNetwork {
			m["disabledForProject"] = true
			m["reasonTargetDisabled"] = "The impulse has no neural network learn block."
		}
		targets = append(targets, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "targets": targets})
	return nil
}

// learnDownloads are the model download ids of a neural network block.
var learnDownloads = []struct{ id, variant, name string }{
	{"tflite-float32", "float32", "TensorFlow Lite (float32)"},
	{"tflite-int8", "int8", "TensorFlow Lite (int8 quantized)"},
}

// modelNetworks returns the trained model's neural network blocks (id and
// name), read from the training job's definition.
func (s *Server) modelNetworks(ctx context.Context, p *projectRow) ([][2]string, error) {
	j, err := s.st.job(ctx, p.ID, p.Model)
	if err != nil {
		return nil, err
	}
	def, err := parseDefinition(j.Definition)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for _, b := range def.Impulse.LearnBlocks {
		if isKeras(b.Type) {
			out = append(out, [2]string{strconv.Itoa(b.ID), b.Name})
		}
	}
	return out, nil
}

func (s *Server) listDownloads(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	p, err := s.st.project(ctx, c.pid)
	if err != nil {
		return err
	}
	if err := checkImpulseID(r, p); err != nil {
		return err
	}
	downloads := []any{}
	if p.Model != 0 {
		nets, err := s.modelNetworks(ctx, p)
		if err != nil {
			return err
		}
		for _, n := range nets {
			for _, d := range learnDownloads {
				downloads = append(downloads, map[string]any{"id": d.id, "name": n[1] + " model", "type": d.name,
					"link": fmt.Sprintf("/v1/api/%d/learn-data/%s/model/%s", p.ID, n[0], d.id), "impulseId": p.ImpulseID})
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "downloads": downloads})
	return nil
}

func (s *Server) downloadLearnModel(w http.ResponseWriter, r *http.Request, c *call) error {
	learnID, err := pathInt(r, "learnId")
	if err != nil {
		return err
	}
	dl := r.PathValue("modelDownloadId")
	variant := ""
	for _, d := range learnDownloads {
		if d.id == dl {
			variant = d.variant
		}
	}
	if variant == "" {
		return errorf(http.StatusNotFound, "model download %q not found (tflite-int8 or tflite-float32)", dl)
	}
	ctx := r.Context()
	p, err := s.trainedProject(ctx, c.pid, http.StatusNotFound)
	if err != nil {
		return err
	}
	nets, err := s.modelNetworks(ctx, p)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(nets, func(n [2]string) bool { return n[0] == strconv.Itoa(learnID) }) {
		return errorf(http.StatusNotFound, "the trained impulse has no neural network learn block %d", learnID)
	}
	m, err := s.model(ctx, c.pid, p.Model)
	if err != nil {
		return err
	}
	data, _, err := tfliteFile(m, learnID, variant)
	if err != nil {
		return errorf(http.StatusBadRequest, "learn block %d, %s: %v", learnID, variant, err)
	}
	sendFile(w, "application/octet-stream", fmt.Sprintf("%s-learn-%d-tensorflow-lite-%s-model.tflite", fileSlug(p.Name), learnID, variant), data)
	return nil
}

// Reports are made on demand, once per model: the page is stored in the
// object store, and concurrent requests for one report wait for one
// generation.
func reportName(pid, model int) string { return fmt.Sprintf("reports/%d/%d.html", pid, model) }

// report returns the HTML report of a model of a project.
func (s *Server) report(ctx context.Context, pid, model int) ([]byte, error) {
	name := reportName(pid, model)
	if data, err := s.st.object(ctx, name); err == nil {
		return data, nil
	} else if !errors.Is(err, engine.ErrNotFound) {
		return nil, err
	}
	// The generation goes on when the request that started it ends: the
	// next request finds the page.
	ctx = s.node.ctx
	return s.reports.do(name, func() ([]byte, error) {
		if data, err := s.st.object(ctx, name); err == nil {
			return data, nil
		}
		j, err := s.st.job(ctx, pid, model)
		if err != nil {
			return nil, err
		}
		m, err := s.model(ctx, pid, model)
		if err != nil {
			return nil, err
		}
		// The samples the model was trained on (and the project's testing
		// samples of that time), numbered across both categories.
		train, err := s.loadSamples(ctx, pid, j.Samples, categoryTraining)
		if err != nil {
			return nil, err
		}
		test, err := s.loadSamples(ctx, pid, j.Samples, categoryTesting)
		if err != nil {
			return nil, err
		}
		samples := append(train, test...)
		for i, smp := range samples {
			smp.ID = i + 1
		}
		page, err := reportPage(ctx, m, samples, s.cfg.JobThreads)
		if err != nil {
			return nil, err
		}
		if err := s.st.putObject(ctx, name, page); err != nil {
			return nil, err
		}
		return page, nil
	})
}

func sendHTML(w http.ResponseWriter, page []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(http.StatusOK)
	w.Write(page)
}

func (s *Server) projectReport(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	p, err := s.trainedProject(ctx, c.pid, http.StatusNotFound)
	if err != nil {
		return err
	}
	page, err := s.report(ctx, c.pid, p.Model)
	if err != nil {
		return err
	}
	sendHTML(w, page)
	return nil
}

func (s *Server) twinReport(w http.ResponseWriter, r *http.Request, c *call) error {
	pid, err := twinProject(c)
	if err != nil {
		return err
	}
	id, err := pathInt(r, "modelId")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := s.st.get(ctx, bucketModels, pkey(pid, id), &modelRow{}); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return errorf(http.StatusNotFound, "model %d not found", id)
		}
		return err
	}
	page, err := s.report(ctx, pid, id)
	if err != nil {
		return err
	}
	sendHTML(w, page)
	return nil
}

// flights runs one call per key at a time: callers of a key that is
// running wait for its result.
type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

type flight struct {
	done chan struct{}
	data []byte
	err  error
}

func (f *flights) do(key string, fn func() ([]byte, error)) ([]byte, error) {
	f.mu.Lock()
	if f.m == nil {
		f.m = map[string]*flight{}
	}
	if fl, ok := f.m[key]; ok {
		f.mu.Unlock()
		<-fl.done
		return fl.data, fl.err
	}
	fl := &flight{done: make(chan struct{})}
	f.m[key] = fl
	f.mu.Unlock()
	fl.data, fl.err = fn()
	f.mu.Lock()
	delete(f.m, key)
	f.mu.Unlock()
	close(fl.done)
	return fl.data, fl.err
}

// exportQueryParams are the query parameters of the routes above, for the
// OpenAPI document.
func exportQueryParams(rt route) []any {
	q := func(name, desc string, required bool, enum ...string) any {
		schema := str()
		if enum != nil {
			schema["enum"] = enum
		}
		return map[string]any{"name": name, "in": "query", "required": required, "schema": schema, "description": desc}
	}
	var formats []string
	for _, t := range deployTargets {
		formats = append(formats, t.Format)
	}
	impulseID := map[string]any{"name": "impulseId", "in": "query", "schema": integer(), "description": "The project's impulse (a project has one)."}
	switch rt.path {
	case "/v1/api/{projectId}/jobs/build-ondevice-model":
		return []any{q("type", "The deployment type (DeploymentTarget.format).", true, formats...), impulseID}
	case "/v1/api/{projectId}/deployment", "/v1/api/{projectId}/deployment/download":
		return []any{q("type", "The deployment type (DeploymentTarget.format).", true, formats...),
			q("modelType", "The model type of the build (default: the latest build's).", false, "int8", "float32"),
			q("engine", "The engine of the build.", false, "tflite", "tflite-eon"), impulseID}
	case "/v1/api/{projectId}/deployment/targets", "/v1/api/{projectId}/downloads":
		return []any{impulseID}
	}
	return nil
}
