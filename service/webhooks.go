package service

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Webhook events.
const (
	eventTrainingCompleted = "training.completed"
	eventTrainingFailed    = "training.failed"
)

// Webhook request headers. The signature is
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
const (
	headerSignature = "X-TwinEdge-Signature"
	headerTimestamp = "X-TwinEdge-Timestamp"
	headerEvent     = "X-TwinEdge-Event"
	headerDelivery  = "X-TwinEdge-Delivery"
)

type webhookRow struct {
	ID        int       `json:"id"`
	ProjectID int       `json:"projectId"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Secret    string    `json:"secret"`
	Created   time.Time `json:"createdAt"`
}

// public is the webhook as the API shows it; the secret only when it is
// created.
func (h *webhookRow) public(withSecret bool) map[string]any {
	out := map[string]any{"id": h.ID, "url": h.URL, "events": h.Events, "createdAt": h.Created}
	if withSecret {
		out["secret"] = h.Secret
	}
	return out
}

type deliveryAttempt struct {
	At         time.Time `json:"at"`
	StatusCode int       `json:"statusCode,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMs int64     `json:"durationMs"`
}

type deliveryRow struct {
	ID        int               `json:"id"`
	WebhookID int               `json:"webhookId"`
	Event     string            `json:"event"`
	Payload   json.RawMessage   `json:"payload"`
	Status    string            `json:"status"` // pending, delivered, failed
	Attempts  []deliveryAttempt `json:"attempts"`
	CreatedAt time.Time         `json:"createdAt"`
}

// webhooks delivers events in the background.
type webhooks struct {
	s        *node
	client   *http.Client
	attempts int
	backoff  time.Duration // first retry delay; doubles each time
	wg       sync.WaitGroup
}

func newWebhooks(s *node) *webhooks {
	return &webhooks{s: s, client: &http.Client{Timeout: 10 * time.Second}, attempts: 5, backoff: time.Second}
}

func (h *webhooks) wait() { h.wg.Wait() }

// jobFinished sends training.completed or training.failed to the
// project's webhooks.
func (h *webhooks) jobFinished(j *jobRow) {
	if !isTraining(j.Kind) {
		return // the events are about training
	}
	ctx := context.Background()
	hooks, err := list[webhookRow](ctx, h.s.st, bucketHooks, j.ProjectID)
	if err != nil || len(hooks) == 0 {
		return
	}
	event := eventTrainingFailed
	if j.FinishedSuccessful != nil && *j.FinishedSuccessful {
		event = eventTrainingCompleted
	}
	data := twinJobJSON(j)
	for _, hook := range hooks {
		subscribed := false
		for _, e := range hook.Events {
			subscribed = subscribed || e == event
		}
		if !subscribed {
			continue
		}
		id, err := h.s.st.next(ctx, "delivery")
		if err != nil {
			h.s.log.Error("webhook delivery", "err", err.Error())
			continue
		}
		payload, _ := json.Marshal(map[string]any{"id": id, "event": event, "createdAt": time.Now().UTC(), "projectId": j.ProjectID, "data": data})
		d := &deliveryRow{ID: id, WebhookID: hook.ID, Event: event, Payload: payload, Status: "pending", CreatedAt: time.Now().UTC()}
		h.s.st.put(ctx, bucketDeliv, pkey(j.ProjectID, id), d)
		h.wg.Add(1)
		go h.deliver(hook, d)
	}
}

// sign returns the signature header value of body at timestamp ts.
func sign(secret string, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// deliver posts the delivery, retrying with exponential backoff, and
// records every attempt.
func (h *webhooks) deliver(hook webhookRow, d *deliveryRow) {
	defer h.wg.Done()
	delay := h.backoff
	for attempt := 1; attempt <= h.attempts; attempt++ {
		start := time.Now()
		ts := strconv.FormatInt(start.Unix(), 10)
		a := deliveryAttempt{At: start.UTC()}
		req, err := http.NewRequestWithContext(h.s.ctx, http.MethodPost, hook.URL, bytes.NewReader(d.Payload))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "tinyimpulse-webhooks")
			req.Header.Set(headerTimestamp, ts)
			req.Header.Set(headerSignature, sign(hook.Secret, ts, d.Payload))
			req.Header.Set(headerEvent, d.Event)
			req.Header.Set(headerDelivery, strconv.Itoa(d.ID))
			var resp *http.Response
			resp, err = h.client.Do(req)
			if err == nil {
				a.StatusCode = resp.StatusCode
				resp.Body.Close()
				if resp.StatusCode < 200 || resp.StatusCode > 299 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
		}
		a.DurationMs = time.Since(start).Milliseconds()
		if err != nil {
			a.Error = err.Error()
		}
		d.Attempts = append(d.Attempts, a)
		switch {
		case err == nil:
			d.Status = "delivered"
		case attempt == h.attempts:
			d.Status = "failed"
		}
		h.s.st.put(context.Background(), bucketDeliv, pkey(hook.ProjectID, d.ID), d)
		if err == nil || attempt == h.attempts {
			return
		}
		select {
		case <-time.After(delay):
		case <-h.s.ctx.Done():
			return
		}
		delay *= 2
	}
}
