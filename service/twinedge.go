package service

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

// TwinEdge's ML API: base /v1, Authorization: Bearer KEY, responses
// {data, meta}, errors {"error": {code, message, details}}.
var twinRoutes = []route{
	{"GET", "/v1/ml/models", apiTwin, authAny, "List the project's trained models.", "", "ModelList", (*Server).twinModels},
	{"GET", "/v1/ml/models/{modelId}", apiTwin, authAny, "One trained model.", "", "Model", (*Server).twinModel},
	{"POST", "/v1/ml/training", apiTwin, authAny, "Start training the project's impulse (or the impulse definition given).", "TrainingRequest", "TrainingJob", (*Server).twinTrain},
	{"GET", "/v1/ml/training/{jobId}", apiTwin, authAny, "A training job's status.", "", "TrainingJob", (*Server).twinTrainingJob},
	{"GET", "/v1/ml/predictions", apiTwin, authAny, "The project's past predictions, newest first.", "", "PredictionList", (*Server).twinPredictions},
	{"POST", "/v1/ml/predictions", apiTwin, authAny, "Classify a buffer of sensor values with a trained model (every window, continuous classification).", "PredictionRequest", "Prediction", (*Server).twinPredict},
	{"GET", "/v1/ml/webhooks", apiTwin, authAny, "The project's webhooks.", "", "WebhookList", (*Server).twinWebhooks},
	{"POST", "/v1/ml/webhooks", apiTwin, authAny, "Register a webhook for training.completed and training.failed.", "WebhookRequest", "Webhook", (*Server).twinAddWebhook},
	{"DELETE", "/v1/ml/webhooks/{webhookId}", apiTwin, authAny, "Remove a webhook.", "", "Empty", (*Server).twinDeleteWebhook},
	{"GET", "/v1/ml/webhooks/{webhookId}/deliveries", apiTwin, authAny, "The delivery log of a webhook.", "", "DeliveryList", (*Server).twinDeliveries},
}

// twinProject is the project of a TwinEdge request: the key's.
func twinProject(c *call) (int, error) {
	if c.admin {
		return 0, errorf(http.StatusForbidden, "the ML API acts on the key's project: use a project key")
	}
	return c.project, nil
}

func writeData(w http.ResponseWriter, status int, data any, meta map[string]any) {
	if meta == nil {
		meta = map[string]any{}
	}
	meta["requestedAt"] = time.Now().UTC()
	writeJSON(w, status, map[string]any{"data": data, "meta": meta})
}

// pageParams reads limit (1-100, default 20) and offset.
func pageParams(r *http.Request) (limit, offset int, err error) {
	limit = 20
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 100 {
			return 0, 0, &httpError{Status: http.StatusBadRequest, Message: fmt.Sprintf("limit=%q: must be an integer from 1 to 100", v), Details: map[string]any{"field": "limit"}}
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, &httpError{Status: http.StatusBadRequest, Message: fmt.Sprintf("offset=%q: must be a non-negative integer", v), Details: map[string]any{"field": "offset"}}
		}
	}
	return limit, offset, nil
}

func page[T any](xs []T, limit, offset int) []T {
	out := xs[min(offset, len(xs)):min(offset+limit, len(xs))]
	if out == nil {
		out = []T{}
	}
	return out
}

func modelJSON(m *modelRow, current int) map[string]any {
	out := map[string]any{"id": m.ID, "projectId": m.ProjectID, "name": m.Name, "createdAt": m.Created,
		"labels": m.Labels, "trainingJobId": m.ID, "current": m.ID == current}
	if m.Accuracy != nil {
		out["validationAccuracy"] = *m.Accuracy
	}
	return out
}

func (s *Server) twinModels(w http.ResponseWriter, r *http.Request, c *call) error {
	pid, err := twinProject(c)
	if err != nil {
		return err
	}
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	p, err := s.st.project(ctx, pid)
	if err != nil {
		return err
	}
	models, err := list[modelRow](ctx, s.st, bucketModels, pid)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for i := len(models) - 1; i >= 0; i-- {
		out = append(out, modelJSON(&models[i], p.Model))
	}
	writeData(w, http.StatusOK, page(out, limit, offset), map[string]any{"total": len(out), "limit": limit, "offset": offset})
	return nil
}

func (s *Server) twinModel(w http.ResponseWriter, r *http.Request, c *call) error {
	pid, err := twinProject(c)
	if err != nil {
		return err
	}
	id, err := pathInt(r, "modelId")
	if err != nil {
		return err
	}
	ctx := r.Context()
	p, err := s.st.project(ctx, pid)
	if err != nil {
		return err
	}
	var m modelRow
	if _, err := s.st.get(ctx, bucketModels, pkey(pid, id), &m); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return errorf(http.StatusNotFound, "model %d not found", id)
		}
		return err
	}
	writeData(w, http.StatusOK, modelJSON(&m, p.Model), nil)
	return nil
}

func twinJobJSON(j *jobRow) map[string]any {
	out := map[string]any{"id": j.ID, "projectId": j.ProjectID, "kind": j.Kind, "status": j.status(), "createdAt": j.Created}
	if j.Started != nil {
		out["startedAt"] = *j.Started
	}
	if j.Finished != nil {
		out["finishedAt"] = *j.Finished
	}
	if j.Error != "" {
		out["error"] = j.Error
	}
	if j.status() == "completed" && isTraining(j.Kind) {
		out["modelId"] = j.ID
	}
	return out
}

func (s *Server) twinTrain(w http.ResponseWriter, r *http.Request, c *call) error {
	pid, err := twinProject(c)
	if err != nil {
		return err
	}
	var req struct {
		Impulse *definitionDoc `json:"impulse"`
		Seed    *uint64        `json:"seed"`
	}
	data, err := readBody(r)
	if err != nil {
		return err
	}
	if len(data) > 0 {
		if err := unmarshalStrict(data, &req, true); err != nil {
			return validation(err)
		}
	}
	ctx := r.Context()
	p, err := s.st.project(ctx, pid)
	if err != nil {
		return err
	}
	var doc definitionDoc
	if req.Impulse != nil {
		if req.Impulse.Impulse == nil {
			return &httpError{Status: http.StatusBadRequest, Message: "impulse.impulse: required (a CreateImpulseRequest)", Details: map[string]any{"field": "impulse.impulse"}}
		}
		doc = *req.Impulse
	} else if doc, err = p.definition(); err != nil {
		return err
	}
	j := &jobRow{ProjectID: pid, Kind: kindTrain, Definition: doc}
	if req.Seed != nil {
		if *req.Seed == 0 {
			return &httpError{Status: http.StatusBadRequest, Message: "seed: must be a positive integer", Details: map[string]any{"field": "seed"}}
		}
		j.Seed = *req.Seed
	}
	if err := s.prepareTrain(ctx, j); err != nil {
		return err
	}
	if err := s.startJob(ctx, j); err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/v1/ml/training/%d", j.ID))
	writeData(w, http.StatusAccepted, twinJobJSON(j), nil)
	return nil
}

// validation gives a JSON error TwinEdge's details: the message.
func validation(err error) error {
	var he *httpError
	if errors.As(err, &he) && he.Details == nil {
		he.Details = map[string]any{"reason": "invalid request body"}
	}
	return err
}

func (s *Server) twinTrainingJob(w http.ResponseWriter, r *http.Request, c *call) error {
	pid, err := twinProject(c)
	if err != nil {
		return err
	}
	jid, err := pathInt(r, "jobId")
	if err != nil {
		return err
	}
	j, err := s.st.job(r.Context(), pid, jid)
	if err != nil {
		return err
	}
	writeData(w, http.StatusOK, twinJobJSON(j), nil)
	return nil
}

// predictionRow is one stored prediction.
type predictionRow struct {
	ID        int       `json:"id"`
	ModelID   int       `json:"modelId"`
	CreatedAt time.Time `json:"createdAt"`
	Windows   int       `json:"windows"`
	Counts    any       `json:"results"`
	Result    string    `json:"result"`
}

func (s *Server) twinPredictions(w http.ResponseWriter, r *http.Request, c *call) error {
	pid, err := twinProject(c)
	if err != nil {
		return err
	}
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	preds, err := list[predictionRow](r.Context(), s.st, bucketPreds, pid)
	if err != nil {
		return err
	}
	out := make([]predictionRow, 0, len(preds))
	for i := len(preds) - 1; i >= 0; i-- {
		out = append(out, preds[i])
	}
	writeData(w, http.StatusOK, page(out, limit, offset), map[string]any{"total": len(out), "limit": limit, "offset": offset})
	return nil
}

// predictRequest is the body of POST /v1/ml/predictions.
type predictRequest struct {
	// ModelID is a training job id; 0 means the project's current model.
	ModelID int `json:"modelId"`
	// Values holds one row per time step, one value per axis.
	Values [][]float64 `json:"values"`
	// IntervalMs is the time between rows; 0 means the model's frequency.
	IntervalMs float64 `json:"intervalMs"`
	// Axes name the columns; nil means the model's axes in order.
	Axes []string `json:"axes"`
}

func fieldErr(field, format string, args ...any) error {
	return &httpError{Status: http.StatusBadRequest, Message: field + ": " + fmt.Sprintf(format, args...), Details: map[string]any{"field": field}}
}

func (s *Server) twinPredict(w http.ResponseWriter, r *http.Request, c *call) error {
	pid, err := twinProject(c)
	if err != nil {
		return err
	}
	var req predictRequest
	if err := decodeJSON(r, &req, true); err != nil {
		return validation(err)
	}
	if req.ModelID < 0 {
		return fieldErr("modelId", "must be a positive integer")
	}
	ctx := r.Context()
	m, err := s.model(ctx, pid, req.ModelID)
	if err != nil {
		return err
	}
	modelID := req.ModelID
	if modelID == 0 {
		p, err := s.st.project(ctx, pid)
		if err != nil {
			return err
		}
		modelID = p.Model
	}
	axes, freq, windowMs := modelInput(m)
	if len(axes) == 0 {
		return fieldErr("values", "model %d does not take time series", modelID)
	}
	if req.Axes != nil {
		axes = req.Axes
	}
	if len(req.Values) == 0 {
		return fieldErr("values", "required: one row per time step with %d values (%v)", len(axes), axes)
	}
	interval := req.IntervalMs
	if interval == 0 && freq > 0 {
		interval = 1000 / freq
	}
	if !(interval > 0) || math.IsInf(interval, 0) {
		return fieldErr("intervalMs", "must be a positive number of milliseconds")
	}
	flat := make([]float64, 0, len(req.Values)*len(axes))
	for i, row := range req.Values {
		if len(row) != len(axes) {
			return fieldErr(fmt.Sprintf("values[%d]", i), "has %d values; every row needs %d (%v)", len(row), len(axes), axes)
		}
		flat = append(flat, row...)
	}
	smp := timeSeriesSample("prediction", interval, axes, flat)
	res, err := classifySample(m, smp)
	if err != nil {
		return fieldErr("values", "%v", err)
	}
	if len(res) == 0 {
		return fieldErr("values", "%d rows at %g ms span %.0f ms, shorter than the model's %d ms window", len(req.Values), interval, float64(len(req.Values))*interval, windowMs)
	}
	counts := map[string]int{}
	top, topN := "", 0
	for _, wr := range res {
		counts[wr.Label]++
		if counts[wr.Label] > topN || (counts[wr.Label] == topN && wr.Label < top) {
			top, topN = wr.Label, counts[wr.Label]
		}
	}
	id, err := s.st.next(ctx, "prediction")
	if err != nil {
		return err
	}
	row := predictionRow{ID: id, ModelID: modelID, CreatedAt: time.Now().UTC(), Windows: len(res), Counts: counts, Result: top}
	if err := s.st.put(ctx, bucketPreds, pkey(pid, id), &row); err != nil {
		return err
	}
	writeData(w, http.StatusOK, map[string]any{"id": id, "modelId": modelID, "result": top, "results": counts, "windows": res},
		map[string]any{"windowCount": len(res), "windowSizeMs": windowMs})
	return nil
}

func (s *Server) twinWebhooks(w http.ResponseWriter, r *http.Request, c *call) error {
	pid, err := twinProject(c)
	if err != nil {
		return err
	}
	hooks, err := list[webhookRow](r.Context(), s.st, bucketHooks, pid)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(hooks))
	for i := range hooks {
		out = append(out, hooks[i].public(false))
	}
	writeData(w, http.StatusOK, out, map[string]any{"total": len(out)})
	return nil
}

func (s *Server) twinAddWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	pid, err := twinProject(c)
	if err != nil {
		return err
	}
	var req struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if err := decodeJSON(r, &req, true); err != nil {
		return validation(err)
	}
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fieldErr("url", "must be an absolute http or https URL")
	}
	if len(req.Events) == 0 {
		req.Events = []string{eventTrainingCompleted, eventTrainingFailed}
	}
	for i, e := range req.Events {
		if e != eventTrainingCompleted && e != eventTrainingFailed {
			return fieldErr(fmt.Sprintf("events[%d]", i), "unknown event %q (%s, %s)", e, eventTrainingCompleted, eventTrainingFailed)
		}
	}
	ctx := r.Context()
	id, err := s.st.next(ctx, "webhook")
	if err != nil {
		return err
	}
	h := webhookRow{ID: id, ProjectID: pid, URL: req.URL, Events: req.Events, Secret: "whsec_" + newAPIKey()[3:], Created: time.Now().UTC()}
	if err := s.st.put(ctx, bucketHooks, pkey(pid, id), &h); err != nil {
		return err
	}
	writeData(w, http.StatusCreated, h.public(true), nil)
	return nil
}

func (s *Server) twinDeleteWebhook(w http.ResponseWriter, r *http.Request, c *call) error {
	pid, err := twinProject(c)
	if err != nil {
		return err
	}
	id, err := pathInt(r, "webhookId")
	if err != nil {
		return err
	}
	ctx := r.Context()
	var h webhookRow
	if _, err := s.st.get(ctx, bucketHooks, pkey(pid, id), &h); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return errorf(http.StatusNotFound, "webhook %d not found", id)
		}
		return err
	}
	if err := s.st.b[bucketHooks].Delete(ctx, pkey(pid, id)); err != nil {
		return err
	}
	writeData(w, http.StatusOK, map[string]any{"id": id, "deleted": true}, nil)
	return nil
}

func (s *Server) twinDeliveries(w http.ResponseWriter, r *http.Request, c *call) error {
	pid, err := twinProject(c)
	if err != nil {
		return err
	}
	id, err := pathInt(r, "webhookId")
	if err != nil {
		return err
	}
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	var h webhookRow
	if _, err := s.st.get(ctx, bucketHooks, pkey(pid, id), &h); err != nil {
		if errors.Is(err, engine.ErrNotFound) {
			return errorf(http.StatusNotFound, "webhook %d not found", id)
		}
		return err
	}
	all, err := list[deliveryRow](ctx, s.st, bucketDeliv, pid)
	if err != nil {
		return err
	}
	out := []deliveryRow{}
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].WebhookID == id {
			out = append(out, all[i])
		}
	}
	writeData(w, http.StatusOK, page(out, limit, offset), map[string]any{"total": len(out), "limit": limit, "offset": offset})
	return nil
}
