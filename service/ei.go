package service

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Edge Impulse's routes (Studio API under /v1/api, ingestion under /api).
// Route names, bodies and responses are those of the npm package
// edge-impulse-api 1.95.13 (sdk/api/*.js, sdk/model/*.d.ts).
var eiRoutes = []route{
	{"POST", "/v1/api/projects/create", apiEI, authAdmin, "Create a project; returns its id and API key (admin key).", "CreateProjectRequest", "CreateProjectResponse", (*Server).createProject},
	{"GET", "/v1/api/projects", apiEI, authAny, "List the projects the key reaches.", "", "ListProjectsResponse", (*Server).listProjects},
	{"GET", "/v1/api/{projectId}", apiEI, authProject, "Project information.", "", "ProjectInfoResponse", (*Server).projectInfo},
	{"GET", "/v1/api/{projectId}/socket-token", apiEI, authProject, "A token for the WebSocket (/socket.io/?token=...).", "", "SocketTokenResponse", (*Server).socketToken},
	{"GET", "/v1/api/{projectId}/impulse", apiEI, authProject, "The project's impulse.", "", "GetImpulseResponse", (*Server).getImpulse},
	{"POST", "/v1/api/{projectId}/impulse", apiEI, authProject, "Set the project's impulse.", "CreateImpulseRequest", "CreateImpulseResponse", (*Server).createImpulse},
	{"GET", "/v1/api/{projectId}/dsp/{dspId}", apiEI, authProject, "A processing block's configuration (after training).", "", "DSPConfigResponse", (*Server).getDSP},
	{"POST", "/v1/api/{projectId}/dsp/{dspId}", apiEI, authProject, "Set a processing block's parameters.", "DSPConfigRequest", "GenericApiResponse", (*Server).setDSP},
	{"GET", "/v1/api/{projectId}/training/keras/{learnId}", apiEI, authProject, "A neural network block's settings.", "", "KerasResponse", (*Server).getKeras},
	{"POST", "/v1/api/{projectId}/training/keras/{learnId}", apiEI, authProject, "Set a neural network block's settings.", "SetKerasParameterRequest", "GenericApiResponse", (*Server).setKeras},
	{"GET", "/v1/api/{projectId}/training/keras/{learnId}/metadata", apiEI, authProject, "The trained network's metadata.", "", "KerasModelMetadataResponse", (*Server).kerasMetadata},
	{"GET", "/v1/api/{projectId}/training/anomaly/{learnId}", apiEI, authProject, "An anomaly block's settings.", "", "AnomalyConfigResponse", (*Server).getAnomaly},
	{"POST", "/v1/api/{projectId}/training/anomaly/{learnId}", apiEI, authProject, "Set an anomaly block's settings.", "StartTrainingRequestAnomaly", "GenericApiResponse", (*Server).setAnomaly},
	{"GET", "/v1/api/{projectId}/training/anomaly/{learnId}/metadata", apiEI, authProject, "The trained anomaly block's metadata.", "", "AnomalyModelMetadataResponse", (*Server).anomalyMetadata},
	{"POST", "/v1/api/{projectId}/jobs/train/keras/{learnId}", apiEI, authProject, "Start a training job (trains the impulse with these network settings).", "SetKerasParameterRequest", "StartJobResponse", (*Server).trainKeras},
	{"POST", "/v1/api/{projectId}/jobs/train/anomaly/{learnId}", apiEI, authProject, "Start a training job (trains the impulse with these anomaly settings).", "StartTrainingRequestAnomaly", "StartJobResponse", (*Server).trainAnomaly},
	{"POST", "/v1/api/{projectId}/jobs/classify", apiEI, authProject, "Start model testing on the testing samples.", "StartClassifyJobRequest", "StartJobResponse", (*Server).startClassify},
	{"GET", "/v1/api/{projectId}/classify/all/result", apiEI, authProject, "The result of the last model testing.", "", "ClassifyJobResponse", (*Server).classifyResult},
	{"GET", "/v1/api/{projectId}/jobs", apiEI, authProject, "Active jobs.", "", "ListJobsResponse", (*Server).listActiveJobs},
	{"GET", "/v1/api/{projectId}/jobs/all", apiEI, authProject, "All jobs.", "", "ListJobsResponse", (*Server).listAllJobs},
	{"GET", "/v1/api/{projectId}/jobs/history", apiEI, authProject, "Finished jobs.", "", "ListJobsResponse", (*Server).listFinishedJobs},
	{"GET", "/v1/api/{projectId}/jobs/{jobId}/status", apiEI, authProject, "A job's status.", "", "GetJobResponse", (*Server).jobStatus},
	{"GET", "/v1/api/{projectId}/jobs/{jobId}/stdout", apiEI, authProject, "A job's log.", "", "LogStdoutResponse", (*Server).jobStdout},
	{"POST", "/v1/api/{projectId}/jobs/{jobId}/cancel", apiEI, authProject, "Cancel a job.", "", "GenericApiResponse", (*Server).jobCancel},
	{"GET", "/v1/api/{projectId}/impulses-detailed", apiEI, authProject, "The trained impulse with its metrics.", "", "GetAllDetailedImpulsesResponse", (*Server).impulsesDetailed},
	{"POST", "/api/{category}/files", apiIngest, authAny, "Ingestion: upload sample files (multipart, field data; x-label).", "multipart/form-data", "IngestionFilesResponse", (*Server).ingestFiles},
	{"POST", "/api/{category}/data", apiIngest, authAny, "Ingestion: upload one sample (x-file-name; x-label).", "DataAcquisition", "text/plain", (*Server).ingestData},
}

var okResponse = map[string]any{"success": true}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		ProjectName       string `json:"projectName"`
		ProjectVisibility string `json:"projectVisibility"`
		Description       string `json:"description"`
		ShowWizard        *bool  `json:"showGettingStartedWizard"`
		TutorialKey       string `json:"tutorialKey"`
		CreateAPIKey      *bool  `json:"createApiKey"`
		OriginalVersionID *int   `json:"originalProjectVersionId"`
	}
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if strings.TrimSpace(req.ProjectName) == "" {
		return errorf(http.StatusBadRequest, "projectName: required")
	}
	if len(req.ProjectName) > 256 {
		return errorf(http.StatusBadRequest, "projectName: longer than 256 characters")
	}
	ctx := r.Context()
	id, err := s.st.next(ctx, "project")
	if err != nil {
		return err
	}
	p := projectRow{ID: id, Name: req.ProjectName, Description: req.Description, Created: time.Now().UTC()}
	if err := s.st.put(ctx, bucketProjects, strconv.Itoa(id), &p); err != nil {
		return err
	}
	key := newAPIKey()
	if err := s.st.put(ctx, bucketKeys, hashKey(key), keyRow{ProjectID: id, Created: p.Created}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "id": id, "apiKey": key})
	return nil
}

// projectJSON is Studio's Project.
func projectJSON(p *projectRow) map[string]any {
	return map[string]any{
		"id": p.ID, "name": p.Name, "description": p.Description, "created": p.Created,
		"owner": "tinyimpulse", "ownerIsDeveloperProfile": false, "collaborators": []any{},
		"labelingMethod": "single_label", "metadata": map[string]any{}, "isEnterpriseProject": false,
		"whitelabelId": nil, "tier": "free", "hasPublicVersion": false, "isPublic": false,
		"allowsLivePublicAccess": false, "indPauseProcessingSamples": false, "publicProjectListed": false,
	}
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	var ids []int
	if c.admin {
		keys, err := s.st.b[bucketProjects].Keys(ctx, "*")
		if err != nil {
			return err
		}
		for _, k := range keys {
			if n, err := strconv.Atoi(k); err == nil {
				ids = append(ids, n)
			}
		}
		sort.Ints(ids)
	} else {
		ids = []int{c.project}
	}
	projects := []any{}
	for _, id := range ids {
		p, err := s.st.project(ctx, id)
		if err != nil {
			continue
		}
		projects = append(projects, projectJSON(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "projects": projects})
	return nil
}

// dataSummary is Studio's ProjectDataSummary of some samples.
func dataSummary(rows []sampleRow) map[string]any {
	labels := []string{}
	total := 0.0
	for _, r := range rows {
		total += r.LengthMs
		if r.Label != "" && !slices.Contains(labels, r.Label) {
			labels = append(labels, r.Label)
		}
	}
	sort.Strings(labels)
	return map[string]any{"totalLengthMs": total, "labels": labels, "totalLabels": len(labels), "dataCount": len(rows)}
}

func (s *Server) projectInfo(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	p, err := s.st.project(ctx, c.pid)
	if err != nil {
		return err
	}
	samples, err := list[sampleRow](ctx, s.st, bucketSamples, c.pid)
	if err != nil {
		return err
	}
	byCat := map[string][]sampleRow{}
	for _, smp := range samples {
		byCat[smp.Category] = append(byCat[smp.Category], smp)
	}
	now := time.Now().UTC()
	info := map[string]any{
		"success":         true,
		"project":         projectJSON(p),
		"developmentKeys": map[string]any{},
		"impulse":         map[string]any{"created": p.Impulse != nil, "configured": p.Impulse != nil, "complete": p.Model != 0},
		"devices":         []any{},
		"dataSummary":     dataSummary(samples),
		"dataSummaryPerCategory": map[string]any{
			"training": dataSummary(byCat[categoryTraining]), "testing": dataSummary(byCat[categoryTesting]),
			"validation": dataSummary(nil), "postProcessing": dataSummary(nil),
		},
		"computeTime": map[string]any{"periodStartDate": now.Truncate(24 * time.Hour), "periodEndDate": now.Truncate(24 * time.Hour).Add(24 * time.Hour), "timeUsedMs": 0, "timeLeftMs": 0},
		"acquisitionSettings": map[string]any{"intervalMs": 16, "lengthMs": 10000, "segmentShift": false, "defaultPageSize": 50,
			"viewType": "list", "gridColumnCount": 4, "gridColumnCountDetailed": 2, "showExactSampleLength": false, "inlineEditBoundingBoxes": false},
		"collaborators": []any{},
		"deploySettings": map[string]any{"eonCompiler": true, "sensor": "unknown", "arduinoLibraryName": "", "tinkergenLibraryName": "",
			"particleLibraryName": ""},
		"experiments": []any{}, "latencyDevices": []any{}, "urls": map[string]any{},
		"showCreateFirstImpulse":   p.Impulse == nil,
		"showGettingStartedWizard": map[string]any{"showWizard": false, "step": 0},
		"performance": map[string]any{"gpu": false, "jobLimitM": 0, "dspFileSizeMb": s.cfg.MaxUploadBytes >> 20,
			"enterprisePerformance": false, "trainJobRamMb": 0},
		"trainJobNotificationUids": []any{}, "dspJobNotificationUids": []any{}, "modelTestingJobNotificationUids": []any{},
		"exportJobNotificationUids": []any{}, "hasNewTrainingData": false, "studioUrl": "", "inPretrainedModelFlow": false,
		"showSensorDataInAcquisitionGraph": true, "notifications": []any{},
	}
	if p.ImpulseID != 0 {
		info["defaultImpulseId"] = p.ImpulseID
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// Socket tokens are "<projectId>.<expiry unix>.<hmac>", signed with the
// server secret (shared by every process on the engine).
const socketTokenLife = time.Hour

func (s *Server) signToken(pid int, exp time.Time) string {
	msg := strconv.Itoa(pid) + "." + strconv.FormatInt(exp.Unix(), 10)
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte(msg))
	return msg + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkToken returns the project of a valid, unexpired socket token.
func (s *Server) checkToken(tok string, now time.Time) (int, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return 0, false
	}
	pid, err1 := strconv.Atoi(parts[0])
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || now.Unix() > exp {
		return 0, false
	}
	want := s.signToken(pid, time.Unix(exp, 0))
	return pid, hmac.Equal([]byte(want), []byte(tok))
}

func (s *Server) socketToken(w http.ResponseWriter, r *http.Request, c *call) error {
	if _, err := s.st.project(r.Context(), c.pid); err != nil {
		return err
	}
	exp := time.Now().Add(socketTokenLife).UTC()
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "token": map[string]any{"socketToken": s.signToken(c.pid, exp), "expires": exp}})
	return nil
}

// definition returns the project's definition document (its impulse, DSP
// and learn settings), or a 400 when no impulse is set.
func (p *projectRow) definition() (definitionDoc, error) {
	if p.Impulse == nil {
		return definitionDoc{}, errorf(http.StatusBadRequest, "project %d has no impulse: set one first (POST /v1/api/%d/impulse)", p.ID, p.ID)
	}
	return definitionDoc{Impulse: p.Impulse, DSP: p.DSP, Learn: p.Learn}, nil
}

func (s *Server) getImpulse(w http.ResponseWriter, r *http.Request, c *call) error {
	p, err := s.st.project(r.Context(), c.pid)
	if err != nil {
		return err
	}
	if p.Impulse == nil {
		writeJSON(w, http.StatusOK, okResponse) // GetImpulseResponse: impulse is optional
		return nil
	}
	doc, _ := p.definition()
	def, err := parseDefinition(doc)
	if err != nil {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	imp, err := impulseJSON(def)
	if err != nil {
		return err
	}
	var m map[string]any
	json.Unmarshal(imp, &m)
	m["id"] = p.ImpulseID
	if _, ok := m["type"]; !ok {
		m["type"] = "default"
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "impulse": m})
	return nil
}

// definitionErr turns a definition the library refuses into a 400.
func definitionErr(err error) error {
	return errorf(http.StatusBadRequest, "%v", err)
}

func (s *Server) createImpulse(w http.ResponseWriter, r *http.Request, c *call) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	var req map[string]json.RawMessage
	if err := unmarshalStrict(data, &req, false); err != nil {
		return err
	}
	for _, f := range []string{"inputBlocks", "dspBlocks", "learnBlocks"} {
		if _, ok := req[f]; !ok {
			return errorf(http.StatusBadRequest, "%s: required", f)
		}
	}
	ctx := r.Context()
	p, err := s.st.project(ctx, c.pid)
	if err != nil {
		return err
	}
	// The new impulse keeps the settings of blocks that are still there.
	doc := definitionDoc{Impulse: data, DSP: p.DSP, Learn: p.Learn}
	def, err := parseDefinition(doc)
	if err != nil {
		// Settings of an older impulse may not fit the new one: try without.
		if _, err2 := parseDefinition(definitionDoc{Impulse: data}); err2 != nil {
			return definitionErr(err2)
		}
		doc.DSP, doc.Learn = nil, nil
	} else {
		doc.DSP = keepBlocks(doc.DSP, func(id int) bool { return dspBlockExists(def, id) })
		doc.Learn = keepBlocks(doc.Learn, func(id int) bool { return learnBlockType(def, id) != "" })
	}
	np, err := update(ctx, s.st, bucketProjects, strconv.Itoa(c.pid), func(p *projectRow) error {
		p.Impulse = json.RawMessage(data)
		p.DSP, p.Learn = doc.DSP, doc.Learn
		if p.ImpulseID == 0 {
			p.ImpulseID = 1
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "id": np.ImpulseID})
	return nil
}

func keepBlocks(m map[string]json.RawMessage, keep func(int) bool) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range m {
		if id, err := strconv.Atoi(k); err == nil && keep(id) {
			out[k] = v
		}
	}
	return out
}

// setBlockParams stores the parameters of one block after checking that
// the definition with them is valid.
func (s *Server) setBlockParams(ctx context.Context, pid int, dsp bool, id int, params json.RawMessage, wantType func(string) bool) (definitionDoc, error) {
	var doc definitionDoc
	rows, err := list[sampleRow](ctx, s.st, bucketSamples, pid)
	if err != nil {
		return doc, err
	}
	_, err = update(ctx, s.st, bucketProjects, strconv.Itoa(pid), func(p *projectRow) error {
		d, err := p.definition()
		if err != nil {
			return err
		}
		def, err := parseDefinition(d)
		if err != nil {
			return definitionErr(err)
		}
		key := strconv.Itoa(id)
		if dsp {
			if !dspBlockExists(def, id) {
				return errorf(http.StatusNotFound, "the impulse has no processing block %d", id)
			}
			d.DSP = cloneMap(d.DSP)
			d.DSP[key] = params
		} else {
			if !wantType(learnBlockType(def, id)) {
				return errorf(http.StatusNotFound, "the impulse has no learn block %d of this kind", id)
			}
			d.Learn = cloneMap(d.Learn)
			d.Learn[key] = params
		}
		nd, err := parseDefinition(d)
		if err != nil {
			return definitionErr(err)
		}
		if err := resolveCheck(nd, rows); err != nil {
			return definitionErr(err)
		}
		p.DSP, p.Learn = d.DSP, d.Learn
		doc = d
		return nil
	})
	return doc, err
}

func cloneMap(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (s *Server) setDSP(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := pathInt(r, "dspId")
	if err != nil {
		return err
	}
	var req struct {
		Config map[string]json.RawMessage `json:"config"`
	}
	if err := decodeJSON(r, &req, true); err != nil {
		return err
	}
	if req.Config == nil {
		return errorf(http.StatusBadRequest, "config: required (an object of parameter names and values)")
	}
	// Studio sends every value as a string; the library reads strings,
	// numbers and booleans alike.
	for k, v := range req.Config {
		if len(v) == 0 || (v[0] != '"' && v[0] != 't' && v[0] != 'f' && v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
			return errorf(http.StatusBadRequest, "config.%s: expected a string, number or boolean", k)
		}
	}
	params, _ := json.Marshal(req.Config)
	if _, err := s.setBlockParams(r.Context(), c.pid, true, id, params, nil); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, okResponse)
	return nil
}

func isKeras(t string) bool   { return t == "keras" || t == "keras-regression" }
func isAnomaly(t string) bool { return t == "anomaly" || t == "anomaly-gmm" }

// objectParams reads a JSON object body.
func objectParams(r *http.Request) (json.RawMessage, error) {
	data, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var obj map[string]json.RawMessage
	if err := unmarshalStrict(data, &obj, false); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, errorf(http.StatusBadRequest, "request body: expected a JSON object")
	}
	return data, nil
}

func (s *Server) setKeras(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.setLearn(w, r, c, isKeras)
}

func (s *Server) setAnomaly(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.setLearn(w, r, c, isAnomaly)
}

func (s *Server) setLearn(w http.ResponseWriter, r *http.Request, c *call, kind func(string) bool) error {
	id, err := pathInt(r, "learnId")
	if err != nil {
		return err
	}
	params, err := objectParams(r)
	if err != nil {
		return err
	}
	if _, err := s.setBlockParams(r.Context(), c.pid, false, id, params, kind); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, okResponse)
	return nil
}

func (s *Server) trainKeras(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.trainLearn(w, r, c, isKeras, kindTrainKeras)
}

func (s *Server) trainAnomaly(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.trainLearn(w, r, c, isAnomaly, kindTrainAnomaly)
}

// trainLearn stores the block's settings from the body and starts a job
// that trains the impulse (every learn block: the library trains an
// impulse as a whole).
func (s *Server) trainLearn(w http.ResponseWriter, r *http.Request, c *call, kind func(string) bool, jobKind string) error {
	id, err := pathInt(r, "learnId")
	if err != nil {
		return err
	}
	params, err := objectParams(r)
	if err != nil {
		return err
	}
	params, err = trimStudioFields(params)
	if err != nil {
		return err
	}
	ctx := r.Context()
	doc, err := s.setBlockParams(ctx, c.pid, false, id, params, kind)
	if err != nil {
		return err
	}
	j := &jobRow{ProjectID: c.pid, Kind: jobKind, LearnID: id, Definition: doc}
	if err := s.prepareTrain(ctx, j); err != nil {
		return err
	}
	if err := s.startJob(ctx, j); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "id": j.ID})
	return nil
}

// studioOnlyFields are fields of KerasResponse that a client echoing
// getKeras into trainKerasJob sends back, but that are not settings.
var studioOnlyFields = []string{"success", "error", "dependencies", "trained", "name", "type", "defaultBatchSize", "shape",
	"transferLearningModels", "thresholds", "akidaEdgeLearningConfig", "customValidationMetadataKey", "anomalyCapacity",
	"blockParameters", "customParameters", "useLearnedOptimizer", "selectedAxes"}

func trimStudioFields(params json.RawMessage) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(params, &obj); err != nil {
		return nil, jsonError(err)
	}
	changed := false
	for _, f := range studioOnlyFields {
		if _, ok := obj[f]; ok {
			delete(obj, f)
			changed = true
		}
	}
	// AnomalyConfigResponse.axes are objects; StartTrainingRequestAnomaly's
	// are indices.
	if a, ok := obj["axes"]; ok && strings.Contains(string(a), "{") {
		delete(obj, "axes")
		changed = true
	}
	if !changed {
		return params, nil
	}
	return json.Marshal(obj)
}

// prepareTrain checks what a training job can check before it runs, so
// that a request that cannot train fails with a 400 instead of a failed
// job, and records the samples the job trains on.
func (s *Server) prepareTrain(ctx context.Context, j *jobRow) error {
	def, err := parseDefinition(j.Definition)
	if err != nil {
		return definitionErr(err)
	}
	rows, err := list[sampleRow](ctx, s.st, bucketSamples, j.ProjectID)
	if err != nil {
		return err
	}
	labels := map[string]bool{}
	for _, row := range rows {
		j.Samples = append(j.Samples, row.ID)
		if row.Category != categoryTraining {
			continue
		}
		labels[row.Label] = true
		if err := checkSampleFits(def, row); err != nil {
			return err
		}
	}
	nTrain := 0
	for _, row := range rows {
		if row.Category == categoryTraining {
			nTrain++
		}
	}
	if nTrain == 0 {
		return errorf(http.StatusBadRequest, "project %d has no training samples: upload some first (POST /api/training/files)", j.ProjectID)
	}
	for _, b := range def.Impulse.LearnBlocks {
		if b.Type == "keras" && len(labels) < 2 {
			var only string
			for l := range labels {
				only = l
			}
			return errorf(http.StatusBadRequest, "the training samples have one class (%q): a classifier (learn block %d) needs at least two", only, b.ID)
		}
	}
	if err := resolveCheck(def, rows); err != nil {
		return definitionErr(err)
	}
	return nil
}

// checkSampleFits refuses a training sample the impulse's input cannot
// read: an image for a time-series impulse, a time series lacking an axis.
func checkSampleFits(def *defType, row sampleRow) error {
	for _, in := range def.Impulse.InputBlocks {
		switch in.Type {
		case "time-series":
			if row.Image {
				return errorf(http.StatusBadRequest, "sample %q is an image, but the impulse's input block %d takes time series", row.FileName, in.ID)
			}
		case "image":
			if !row.Image {
				return errorf(http.StatusBadRequest, "sample %q is a time series, but the impulse's input block %d takes images", row.FileName, in.ID)
			}
		}
	}
	if row.Image {
		return nil
	}
	for _, d := range def.Impulse.DSPBlocks {
		for _, a := range d.Axes {
			if !slices.Contains(row.Axes, a) {
				return errorf(http.StatusBadRequest, "sample %q has axes %v, but processing block %d (%s) reads axis %q",
					row.FileName, row.Axes, d.ID, d.Type, a)
			}
		}
	}
	return nil
}

func (s *Server) startClassify(w http.ResponseWriter, r *http.Request, c *call) error {
	var req struct {
		ModelVariants         []string `json:"modelVariants"`
		SkipFeatureGeneration *bool    `json:"skipFeatureGeneration"`
	}
	data, err := readBody(r)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) > 0 {
		if err := unmarshalStrict(data, &req, true); err != nil {
			return err
		}
	}
	ctx := r.Context()
	p, err := s.st.project(ctx, c.pid)
	if err != nil {
		return err
	}
	if p.Model == 0 {
		return errorf(http.StatusBadRequest, "project %d has no trained model yet: train the impulse first", c.pid)
	}
	rows, err := list[sampleRow](ctx, s.st, bucketSamples, c.pid)
	if err != nil {
		return err
	}
	j := &jobRow{ProjectID: c.pid, Kind: kindClassify, Model: p.Model}
	for _, row := range rows {
		if row.Category == categoryTesting {
			j.Samples = append(j.Samples, row.ID)
		}
	}
	if len(j.Samples) == 0 {
		return errorf(http.StatusBadRequest, "project %d has no testing samples: upload some first (POST /api/testing/files)", c.pid)
	}
	if err := s.startJob(ctx, j); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "id": j.ID})
	return nil
}

func (s *Server) classifyResult(w http.ResponseWriter, r *http.Request, c *call) error {
	ctx := r.Context()
	jobs, err := list[jobRow](ctx, s.st, bucketJobs, c.pid)
	if err != nil {
		return err
	}
	for i := len(jobs) - 1; i >= 0; i-- {
		if j := jobs[i]; j.Kind == kindClassify && j.Result != "" {
			data, err := s.st.object(ctx, j.Result)
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(data)
			return nil
		}
	}
	return errorf(http.StatusNotFound, "no model testing result: start one with POST /v1/api/%d/jobs/classify", c.pid)
}

// jobJSON is Studio's Job.
func jobJSON(j *jobRow) map[string]any {
	category, key := "Training model", fmt.Sprintf("train-%d", j.LearnID)
	switch j.Kind {
	case kindClassify:
		category, key = "Classifying", "classify"
	case kindTrain:
		key = "train"
	case kindTrial:
		category, key = "Tuner trial", "tune-trial"
	case kindBuild:
		category, key = "Building on-device model", "build-ondevice-model"
	}
	m := map[string]any{
		"id": j.ID, "category": category, "categoryKey": j.Kind, "key": key, "created": j.Created,
		"jobNotificationUids": []int{},
	}
	if j.Started != nil {
		m["started"] = *j.Started
	}
	if j.Finished != nil {
		m["finished"] = *j.Finished
		m["finishedSuccessful"] = *j.FinishedSuccessful
		if j.Started != nil {
			m["computeTime"] = j.Finished.Sub(*j.Started).Seconds()
		}
	}
	return m
}

func (s *Server) jobStatus(w http.ResponseWriter, r *http.Request, c *call) error {
	jid, err := pathInt(r, "jobId")
	if err != nil {
		return err
	}
	j, err := s.st.job(r.Context(), c.pid, jid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "job": jobJSON(j)})
	return nil
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, c *call, keep func(*jobRow) bool) error {
	q := r.URL.Query()
	limit, offset := 50, 0
	for _, p := range []struct {
		name string
		v    *int
	}{{"limit", &limit}, {"offset", &offset}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errorf(http.StatusBadRequest, "query parameter %s=%q: must be a non-negative integer", p.name, v)
			}
			*p.v = n
		}
	}
	jobs, err := list[jobRow](r.Context(), s.st, bucketJobs, c.pid)
	if err != nil {
		return err
	}
	var kept []map[string]any
	for i := len(jobs) - 1; i >= 0; i-- { // newest first
		if keep(&jobs[i]) {
			kept = append(kept, jobJSON(&jobs[i]))
		}
	}
	total := len(kept)
	kept = kept[min(offset, total):min(offset+limit, total)]
	if kept == nil {
		kept = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "jobs": kept, "totalJobCount": total})
	return nil
}

func (s *Server) listActiveJobs(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.listJobs(w, r, c, func(j *jobRow) bool { return !j.finished() })
}

func (s *Server) listAllJobs(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.listJobs(w, r, c, func(j *jobRow) bool { return true })
}

func (s *Server) listFinishedJobs(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.listJobs(w, r, c, func(j *jobRow) bool { return j.finished() })
}

func (s *Server) jobStdout(w http.ResponseWriter, r *http.Request, c *call) error {
	jid, err := pathInt(r, "jobId")
	if err != nil {
		return err
	}
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			return errorf(http.StatusBadRequest, "query parameter limit=%q: must be a non-negative integer", v)
		}
	}
	ctx := r.Context()
	if _, err := s.st.job(ctx, c.pid, jid); err != nil {
		return err
	}
	entries, err := s.eng.Logs().Read(ctx, logName(c.pid, jid), time.Time{})
	if err != nil {
		return err
	}
	items := []map[string]any{}
	for _, e := range entries {
		if e.Data == "" {
			continue
		}
		level := "info"
		if e.Finished && !e.Success {
			level = "error"
		}
		items = append(items, map[string]any{"created": e.Time.UTC(), "data": e.Data, "logLevel": level})
	}
	total := len(items)
	if limit > 0 && limit < total {
		items = items[total-limit:]
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "stdout": items, "totalCount": total})
	return nil
}

func (s *Server) jobCancel(w http.ResponseWriter, r *http.Request, c *call) error {
	jid, err := pathInt(r, "jobId")
	if err != nil {
		return err
	}
	if _, err := s.st.job(r.Context(), c.pid, jid); err != nil {
		return err
	}
	if err := s.cancelJob(r.Context(), c.pid, jid); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, okResponse)
	return nil
}

// detailed reads the impulses-detailed document of the project's current
// model (nil when there is none).
func (s *Server) detailed(ctx context.Context, pid int) (map[string]any, error) {
	p, err := s.st.project(ctx, pid)
	if err != nil {
		return nil, err
	}
	if p.Model == 0 {
		return nil, nil
	}
	var row modelRow
	if _, err := s.st.get(ctx, bucketModels, pkey(pid, p.Model), &row); err != nil {
		return nil, err
	}
	data, err := s.st.object(ctx, row.Detailed)
	if err != nil {
		return nil, err
	}
	var d map[string]any
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) impulsesDetailed(w http.ResponseWriter, r *http.Request, c *call) error {
	d, err := s.detailed(r.Context(), c.pid)
	if err != nil {
		return err
	}
	if d == nil {
		d = map[string]any{"success": true, "impulses": []any{}, "metricKeysByCategory": []any{}, "extraTableColumns": []any{}}
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

// blockConfig finds block id in the trained impulse's list field (e.g.
// learnBlockKerasConfigs) of the detailed document.
func blockConfig(d map[string]any, field string, id int) map[string]any {
	imps, _ := d["impulses"].([]any)
	if len(imps) == 0 {
		return nil
	}
	imp, _ := imps[0].(map[string]any)
	list, _ := imp[field].([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			if bid, ok := m["blockId"].(float64); ok && int(bid) == id {
				return m
			}
		}
	}
	return nil
}

// withSuccess returns obj with "success": true.
func withSuccess(obj map[string]any) map[string]any {
	out := map[string]any{"success": true}
	for k, v := range obj {
		out[k] = v
	}
	return out
}

// trainedPart answers a route that reads part of the trained impulse.
func (s *Server) trainedPart(w http.ResponseWriter, r *http.Request, c *call, param, field, part, what string) error {
	id, err := pathInt(r, param)
	if err != nil {
		return err
	}
	d, err := s.detailed(r.Context(), c.pid)
	if err != nil {
		return err
	}
	if d == nil {
		return errorf(http.StatusNotFound, "the project has no trained impulse yet: %s %d has no %s", what, id, part)
	}
	b := blockConfig(d, field, id)
	if b == nil {
		return errorf(http.StatusNotFound, "the trained impulse has no %s %d", what, id)
	}
	obj, _ := b[part].(map[string]any)
	if obj == nil {
		return errorf(http.StatusNotFound, "%s %d has no %s", what, id, part)
	}
	writeJSON(w, http.StatusOK, withSuccess(obj))
	return nil
}

func (s *Server) getDSP(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.trainedPart(w, r, c, "dspId", "dspBlockConfigs", "config", "processing block")
}

func (s *Server) kerasMetadata(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.trainedPart(w, r, c, "learnId", "learnBlockKerasConfigs", "metadata", "neural network block")
}

func (s *Server) anomalyMetadata(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.trainedPart(w, r, c, "learnId", "learnBlockAnomalyConfigs", "metadata", "anomaly block")
}

// learnConfig answers getKeras/getAnomaly: the trained block's
// configuration when the impulse is trained with the current settings,
// else the settings with Studio's defaults.
func (s *Server) learnConfig(w http.ResponseWriter, r *http.Request, c *call, kind func(string) bool, field string) error {
	id, err := pathInt(r, "learnId")
	if err != nil {
		return err
	}
	ctx := r.Context()
	p, err := s.st.project(ctx, c.pid)
	if err != nil {
		return err
	}
	doc, err := p.definition()
	if err != nil {
		return err
	}
	def, err := parseDefinition(doc)
	if err != nil {
		return definitionErr(err)
	}
	bt := learnBlockType(def, id)
	if !kind(bt) {
		return errorf(http.StatusNotFound, "the impulse has no learn block %d of this kind", id)
	}
	if d, err := s.detailed(ctx, c.pid); err == nil && d != nil {
		if b := blockConfig(d, field, id); b != nil {
			if cfg, ok := b["config"].(map[string]any); ok {
				writeJSON(w, http.StatusOK, withSuccess(cfg))
				return nil
			}
		}
	}
	params, err := learnParamsJSON(def, id)
	if err != nil {
		return err
	}
	var set map[string]any
	json.Unmarshal(params, &set)
	rows, err := list[sampleRow](ctx, s.st, bucketSamples, c.pid)
	if err != nil {
		return err
	}
	var train []sampleRow
	for _, row := range rows {
		if row.Category == categoryTraining {
			train = append(train, row)
		}
	}
	classes := dataSummary(train)["labels"]
	var name string
	var dspNames []string
	for _, b := range def.Impulse.LearnBlocks {
		if b.ID == id {
			name = b.Name
			for _, d := range def.Impulse.DSPBlocks {
				if slices.Contains(b.DSP, d.ID) {
					dspNames = append(dspNames, d.Name)
				}
			}
		}
	}
	if dspNames == nil {
		dspNames = []string{}
	}
	deps := map[string]any{"classes": classes, "blockNames": dspNames, "featureCount": 0, "sampleCount": len(train), "outputClasses": classes}
	var out map[string]any
	if isKeras(bt) {
		out = map[string]any{"dependencies": deps, "trained": false, "name": name, "type": bt, "script": "",
			"minimumConfidenceRating": 0.6, "selectedModelType": "int8", "mode": "visual", "visualLayers": []any{},
			"trainingCycles": 30, "learningRate": 0.0005, "defaultBatchSize": 32, "shape": "", "augmentationPolicyImage": "none",
			"transferLearningModels": []any{}, "profileInt8": true, "skipEmbeddingsAndMemory": false,
			"showAdvancedTrainingSettings": false, "showAugmentationTrainingSettings": false, "thresholds": []any{}}
	} else {
		out = map[string]any{"dependencies": deps, "name": name, "axes": []any{}, "trained": false,
			"selectedAxes": []any{}, "minimumConfidenceRating": 0.3, "thresholds": []any{}}
	}
	for k, v := range set {
		if k == "axes" && !isKeras(bt) {
			out["selectedAxes"] = v
			continue
		}
		out[k] = v
	}
	writeJSON(w, http.StatusOK, withSuccess(out))
	return nil
}

func (s *Server) getKeras(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.learnConfig(w, r, c, isKeras, "learnBlockKerasConfigs")
}

func (s *Server) getAnomaly(w http.ResponseWriter, r *http.Request, c *call) error {
	return s.learnConfig(w, r, c, isAnomaly, "learnBlockAnomalyConfigs")
}

// ingestion

// ingestProject is the project of an ingestion request: the key's (the
// admin key names one with x-project-id).
func ingestProject(r *http.Request, c *call) (int, error) {
	if !c.admin {
		return c.project, nil
	}
	v := r.Header.Get("x-project-id")
	pid, err := strconv.Atoi(v)
	if err != nil || pid <= 0 {
		return 0, errorf(http.StatusBadRequest, "the admin key uploads to the project named by the x-project-id header")
	}
	return pid, nil
}

func ingestCategory(r *http.Request) (string, error) {
	switch c := r.PathValue("category"); c {
	case "training", "testing":
		return c, nil
	case "split":
		return "split", nil
	default:
		return "", errorf(http.StatusNotFound, "no ingestion category %q (training, testing or split)", c)
	}
}

// storeSample decodes an uploaded file, stores it and returns its row.
func (s *Server) storeSample(ctx context.Context, pid int, category, fileName, label string, data []byte) (*sampleRow, error) {
	base, err := safeFileName(fileName)
	if err != nil {
		return nil, err
	}
	smp, err := decodeSample(base, data)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "%v", err)
	}
	if label == "" {
		label = labelFromFileName(base)
	}
	if category == "split" {
		// Edge Impulse's uploader: the first hex digit of the MD5 that is not
		// f; 0-b training, c-e testing. SHA-256 here, same proportions.
		sum := sha256.Sum256(data)
		h := strings.TrimLeft(hex.EncodeToString(sum[:]), "f")
		category = categoryTraining
		if h != "" && h[0] >= 'c' {
			category = categoryTesting
		}
	}
	id, err := s.st.next(ctx, "sample")
	if err != nil {
		return nil, err
	}
	lengthMs, freq, axes, img := sampleInfo(smp)
	row := &sampleRow{
		ID: id, Name: strings.TrimSuffix(base, extOf(base)), FileName: base, Category: category, Label: label,
		Object: fmt.Sprintf("samples/%d/%d%s", pid, id, strings.ToLower(extOf(base))), Size: len(data),
		LengthMs: lengthMs, FrequencyHz: freq, Axes: axes, Image: img, Created: time.Now().UTC(),
	}
	if err := s.st.putObject(ctx, row.Object, data); err != nil {
		return nil, err
	}
	if err := s.st.put(ctx, bucketSamples, pkey(pid, id), row); err != nil {
		return nil, err
	}
	return row, nil
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[i:]
	}
	return ""
}

// safeFileName reduces an uploaded file name to its base name and refuses
// names that are empty, hidden or carry control characters: nothing a
// client sends becomes a path.
func safeFileName(name string) (string, error) {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if name == "" || name == "." || name == ".." || strings.HasPrefix(name, ".") || len(name) > 255 {
		return "", errorf(http.StatusBadRequest, "file name %q: not a usable file name", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "", errorf(http.StatusBadRequest, "file name %q: control characters", name)
		}
	}
	switch strings.ToLower(extOf(name)) {
	case ".json", ".cbor", ".csv", ".txt", ".wav", ".png", ".jpg", ".jpeg":
	default:
		return "", errorf(http.StatusBadRequest, "file name %q: unsupported extension (.json, .cbor, .csv, .wav, .png, .jpg)", name)
	}
	return name, nil
}

func (s *Server) ingestFiles(w http.ResponseWriter, r *http.Request, c *call) error {
	category, err := ingestCategory(r)
	if err != nil {
		return err
	}
	pid, err := ingestProject(r, c)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := s.st.project(ctx, pid); err != nil {
		return err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return errorf(http.StatusBadRequest, "expected a multipart/form-data body with files in field \"data\": %v", err)
	}
	label := r.Header.Get("x-label")
	if r.Header.Get("x-no-label") == "1" {
		label = ""
	}
	type fileResult struct {
		Success  bool   `json:"success"`
		FileName string `json:"fileName"`
		SampleID int    `json:"sampleId,omitempty"`
		Error    string `json:"error,omitempty"`
	}
	files := []fileResult{}
	failed := 0
	for {
		part, err := mr.NextPart()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return errorf(http.StatusRequestEntityTooLarge, "upload is larger than %d bytes", mbe.Limit)
			}
			return errorf(http.StatusBadRequest, "malformed multipart body: %v", err)
		}
		if part.FormName() != "data" || part.FileName() == "" {
			part.Close()
			continue
		}
		data, err := readAllPart(part)
		if err != nil {
			return err
		}
		fn := part.FileName()
		lbl := label
		if lbl == "" && r.Header.Get("x-no-label") != "1" {
			lbl = "" // inferred from the file name in storeSample
		}
		row, err := s.storeSample(ctx, pid, category, fn, lbl, data)
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) {
				return err
			}
			failed++
			files = append(files, fileResult{FileName: fn, Error: he.Message})
			continue
		}
		files = append(files, fileResult{Success: true, FileName: row.FileName, SampleID: row.ID})
	}
	if len(files) == 0 {
		return errorf(http.StatusBadRequest, "no files: send each file in a multipart field named \"data\"")
	}
	if failed > 0 {
		msg := fmt.Sprintf("%d of %d files failed: %s", failed, len(files), firstError(files, func(f fileResult) string { return f.Error }))
		writeJSON(w, http.StatusBadRequest, map[string]any{"success": false, "error": msg, "files": files})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "files": files})
	return nil
}

func firstError[T any](xs []T, f func(T) string) string {
	for _, x := range xs {
		if e := f(x); e != "" {
			return e
		}
	}
	return ""
}

func readAllPart(part interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var buf []byte
	tmp := make([]byte, 64<<10)
	for {
		n, err := part.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			if err.Error() == "EOF" {
				return buf, nil
			}
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, errorf(http.StatusRequestEntityTooLarge, "upload is larger than %d bytes", mbe.Limit)
			}
			return nil, errorf(http.StatusBadRequest, "malformed multipart body: %v", err)
		}
	}
}

func (s *Server) ingestData(w http.ResponseWriter, r *http.Request, c *call) error {
	category, err := ingestCategory(r)
	if err != nil {
		return err
	}
	pid, err := ingestProject(r, c)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := s.st.project(ctx, pid); err != nil {
		return err
	}
	name := r.Header.Get("x-file-name")
	if name == "" {
		return errorf(http.StatusBadRequest, "missing header x-file-name")
	}
	ext := ".json"
	if strings.Contains(r.Header.Get("Content-Type"), "cbor") {
		ext = ".cbor"
	}
	if e := strings.ToLower(extOf(name)); e != ".json" && e != ".cbor" {
		name += ext
	}
	data, err := readBody(r)
	if err != nil {
		return err
	}
	label := r.Header.Get("x-label")
	row, err := s.storeSample(ctx, pid, category, name, label, data)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprint(w, row.FileName)
	return nil
}
