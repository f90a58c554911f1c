package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// apiKind is the family of a route, which decides the error shape.
type apiKind int

const (
	apiEI     apiKind = iota // Edge Impulse's Studio API: {"success": false, "error": "..."}
	apiIngest                // Edge Impulse's ingestion API: same shape
	apiTwin                  // TwinEdge: {"error": {"code", "message", "details"}}
	apiPublic                // documents (/openapi.json)
)

// httpError is an error with the status it answers with. Code is
// TwinEdge's error code; Details its optional details.
type httpError struct {
	Status  int
	Message string
	Details any
}

func (e *httpError) Error() string { return e.Message }

func errorf(status int, format string, args ...any) *httpError {
	return &httpError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// twinCode is TwinEdge's error code of a status.
func twinCode(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusMethodNotAllowed, http.StatusConflict:
		return "VALIDATION_ERROR"
	case http.StatusUnauthorized:
		return "UNAUTHORIZED"
	case http.StatusForbidden:
		return "FORBIDDEN"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusTooManyRequests:
		return "RATE_LIMITED"
	}
	return "INTERNAL_ERROR"
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status, data = http.StatusInternalServerError, []byte(`{"success":false,"error":"cannot encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)+1))
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// writeError writes err in the shape of the route family. Errors that are
// not *httpError are internal: their text is logged by the caller, never
// sent.
func writeError(w http.ResponseWriter, kind apiKind, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{Status: http.StatusInternalServerError, Message: "internal error"}
	}
	if he.Status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", he.Details.(string))
	}
	if kind == apiTwin {
		body := map[string]any{"code": twinCode(he.Status), "message": he.Message}
		if he.Details != nil && he.Status != http.StatusMethodNotAllowed {
			body["details"] = he.Details
		}
		writeJSON(w, he.Status, map[string]any{"error": body})
		return
	}
	writeJSON(w, he.Status, map[string]any{"success": false, "error": he.Message})
}

// decodeJSON reads a JSON request body into v. Unknown fields are refused
// when strict; the errors name the field and what was wrong.
func decodeJSON(r *http.Request, v any, strict bool) error {
	data, err := readBody(r)
	if err != nil {
		return err
	}
	return unmarshalStrict(data, v, strict)
}

// readBody reads the request body (already limited by the server).
func readBody(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", mbe.Limit)
		}
		return nil, errorf(http.StatusBadRequest, "cannot read the request body: %v", err)
	}
	return data, nil
}

// unmarshalStrict decodes one JSON value into v with clear errors.
func unmarshalStrict(data []byte, v any, strict bool) error {
	if len(strings.TrimSpace(string(data))) == 0 {
		return errorf(http.StatusBadRequest, "request body is empty; expected a JSON object")
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "request body: unexpected data after the JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, "request body: unexpected data after the JSON value")
	}
	return nil
}

// jsonError turns an encoding/json error into a 400 naming the field.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return errorf(http.StatusBadRequest, "request body is not valid JSON: %v (at byte %d)", se, se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return errorf(http.StatusBadRequest, "request body: expected %s, got JSON %s", typeName(te.Type.String()), te.Value)
		}
		return errorf(http.StatusBadRequest, "request body: field %q: expected %s, got JSON %s", field, typeName(te.Type.String()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "request body is truncated JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errorf(http.StatusBadRequest, "request body: unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	var he *httpError
	if errors.As(err, &he) {
		return he
	}
	return errorf(http.StatusBadRequest, "request body: %v", err)
}

func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"), strings.HasPrefix(goType, "[") && strings.Contains(goType, "]"):
		return "an array"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "struct"), strings.Contains(goType, "."):
		return "an object"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "a boolean"
	}
	return goType
}

// pathInt reads a numeric path parameter.
func pathInt(r *http.Request, name string) (int, error) {
	v := r.PathValue(name)
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > 1<<40 {
		return 0, errorf(http.StatusBadRequest, "%s %q: must be a positive integer", name, v)
	}
	return n, nil
}
