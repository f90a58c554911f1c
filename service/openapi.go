package service

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// routes is every route of the service: Edge Impulse's, TwinEdge's and the
// documents. The mux and the OpenAPI document are both built from it.
var routes []route

var publicRoutes = []route{
	{"GET", "/openapi.json", apiPublic, authNone, "This document (OpenAPI 3.0, JSON).", "", "OpenAPI", (*Server).serveOpenAPIJSON},
	{"GET", "/openapi.yaml", apiPublic, authNone, "This document (OpenAPI 3.0, YAML).", "", "OpenAPI", (*Server).serveOpenAPIYAML},
}

func init() {
	routes = append(append(append(append(routes, eiRoutes...), exportRoutes...), twinRoutes...), publicRoutes...)
}

// twinSchemas are the TwinEdge bodies, described here; Edge Impulse's are
// named after the types of its published API.
var twinSchemas = map[string]any{
	"Error": obj(map[string]any{"error": obj(map[string]any{
		"code":    map[string]any{"type": "string", "enum": []string{"VALIDATION_ERROR", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "RATE_LIMITED", "INTERNAL_ERROR"}},
		"message": str(), "details": map[string]any{"type": "object"},
	}, "code", "message")}, "error"),
	"Meta":  map[string]any{"type": "object", "additionalProperties": true},
	"Model": obj(map[string]any{"id": integer(), "projectId": integer(), "name": str(), "createdAt": dateTime(), "labels": arr(str()), "trainingJobId": integer(), "current": boolean(), "validationAccuracy": number()}, "id", "projectId", "createdAt", "labels"),
	"TrainingRequest": obj(map[string]any{
		"impulse": map[string]any{"type": "object", "description": "An impulse definition: {impulse: CreateImpulseRequest, dsp: {blockId: DSPConfigRequest.config}, learn: {blockId: SetKerasParameterRequest | StartTrainingRequestAnomaly}}; default: the project's impulse."},
		"seed":    integer(),
	}),
	"TrainingJob": obj(map[string]any{"id": integer(), "projectId": integer(), "kind": str(), "status": map[string]any{"type": "string", "enum": []string{"queued", "running", "completed", "failed", "cancelled"}},
		"createdAt": dateTime(), "startedAt": dateTime(), "finishedAt": dateTime(), "error": str(), "modelId": integer()}, "id", "status"),
	"PredictionRequest": obj(map[string]any{"modelId": integer(), "values": arr(arr(number())), "intervalMs": number(), "axes": arr(str())}, "values"),
	"Prediction": obj(map[string]any{"id": integer(), "modelId": integer(), "result": str(), "results": map[string]any{"type": "object", "additionalProperties": integer()},
		"windows": arr(obj(map[string]any{"startMs": integer(), "endMs": integer(), "classification": map[string]any{"type": "object", "additionalProperties": number()}, "anomaly": number(), "result": str()}))}, "id", "result", "windows"),
	"WebhookRequest": obj(map[string]any{"url": str(), "events": arr(map[string]any{"type": "string", "enum": []string{eventTrainingCompleted, eventTrainingFailed}})}, "url"),
	"Webhook":        obj(map[string]any{"id": integer(), "url": str(), "events": arr(str()), "secret": str(), "createdAt": dateTime()}, "id", "url", "events"),
	"Delivery": obj(map[string]any{"id": integer(), "webhookId": integer(), "event": str(), "payload": map[string]any{"type": "object"}, "status": str(),
		"attempts": arr(obj(map[string]any{"at": dateTime(), "statusCode": integer(), "error": str(), "durationMs": integer()})), "createdAt": dateTime()}),
	"Empty": obj(map[string]any{}),
}

// listSchemas wrap TwinEdge list responses.
var listSchemas = map[string]string{"ModelList": "Model", "PredictionList": "Prediction", "WebhookList": "Webhook", "DeliveryList": "Delivery"}

func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}
func str() map[string]any      { return map[string]any{"type": "string"} }
func integer() map[string]any  { return map[string]any{"type": "integer"} }
func number() map[string]any   { return map[string]any{"type": "number"} }
func boolean() map[string]any  { return map[string]any{"type": "boolean"} }
func dateTime() map[string]any { return map[string]any{"type": "string", "format": "date-time"} }
func arr(items any) map[string]any {
	return map[string]any{"type": "array", "items": items}
}
func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

var pathParam = regexp.MustCompile(`\{([A-Za-z]+)\}`)

// openAPI builds the document of every route.
func openAPI() map[string]any {
	schemas := map[string]any{}
	for k, v := range twinSchemas {
		schemas[k] = v
	}
	for k, item := range listSchemas {
		schemas[k] = obj(map[string]any{"data": arr(ref(item)), "meta": ref("Meta")}, "data", "meta")
	}
	schemas["EIError"] = obj(map[string]any{"success": boolean(), "error": str()}, "success", "error")
	schemas["OpenAPI"] = map[string]any{"type": "object"}
	paths := map[string]any{}
	for _, rt := range routes {
		p, _ := paths[rt.path].(map[string]any)
		if p == nil {
			p = map[string]any{}
			paths[rt.path] = p
		}
		op := map[string]any{"summary": rt.summary, "operationId": operationID(rt)}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			schema := integer()
			switch m[1] {
			case "category":
				schema = map[string]any{"type": "string", "enum": []string{"training", "testing", "split"}}
			case "modelDownloadId":
				schema = map[string]any{"type": "string", "enum": []string{"tflite-int8", "tflite-float32"}}
			}
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": schema})
		}
		params = append(params, exportQueryParams(rt)...)
		errSchema := ref("EIError")
		switch rt.api {
		case apiEI:
			op["tags"] = []string{"Edge Impulse"}
		case apiIngest:
			op["tags"] = []string{"Edge Impulse ingestion"}
			params = append(params,
				map[string]any{"name": "x-label", "in": "header", "schema": str(), "description": "Label of the samples (default: inferred from the file name)."},
				map[string]any{"name": "x-file-name", "in": "header", "schema": str(), "description": "File name (the data route)."})
		case apiTwin:
			op["tags"] = []string{"TwinEdge ML"}
			errSchema = ref("Error")
			if rt.method == "GET" && strings.HasSuffix(rt.response, "List") {
				params = append(params,
					map[string]any{"name": "limit", "in": "query", "schema": integer()},
					map[string]any{"name": "offset", "in": "query", "schema": integer()})
			}
		case apiPublic:
			op["tags"] = []string{"Documents"}
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.auth == authNone {
			op["security"] = []any{}
		}
		if rt.request != "" {
			ct := "application/json"
			schema := schemaOf(rt.request, schemas)
			if rt.request == "multipart/form-data" {
				ct = rt.request
				schema = obj(map[string]any{"data": arr(map[string]any{"type": "string", "format": "binary"})}, "data")
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{ct: map[string]any{"schema": schema}}}
		}
		ok := "200"
		if rt.method == "POST" && (rt.response == "Webhook") {
			ok = "201"
		}
		if rt.response == "TrainingJob" && rt.method == "POST" {
			ok = "202"
		}
		var okBody any
		switch {
		case rt.response == "text/plain", rt.response == "text/html":
			okBody = map[string]any{rt.response: map[string]any{"schema": str()}}
		case rt.response == "application/octet-stream":
			binary := map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
			okBody = map[string]any{"application/octet-stream": binary, "application/zip": binary}
		case rt.path == "/openapi.yaml":
			okBody = map[string]any{"application/yaml": map[string]any{"schema": ref("OpenAPI")}}
		case rt.api == apiTwin:
			data := schemaOf(rt.response, schemas)
			if _, isList := listSchemas[rt.response]; isList {
				okBody = map[string]any{"application/json": map[string]any{"schema": data}}
			} else {
				okBody = map[string]any{"application/json": map[string]any{"schema": obj(map[string]any{"data": data, "meta": ref("Meta")}, "data", "meta")}}
			}
		default:
			okBody = map[string]any{"application/json": map[string]any{"schema": schemaOf(rt.response, schemas)}}
		}
		responses := map[string]any{ok: map[string]any{"description": "Success", "content": okBody}}
		errResp := func(desc string) map[string]any {
			return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": errSchema}}}
		}
		if rt.api != apiPublic {
			responses["400"] = errResp("Invalid request (VALIDATION_ERROR)")
			responses["401"] = errResp("Missing or invalid key (UNAUTHORIZED)")
			responses["404"] = errResp("Unknown project, job, block or route (NOT_FOUND)")
			responses["429"] = errResp("Rate limit reached (RATE_LIMITED); see X-RateLimit-* and Retry-After")
			responses["500"] = errResp("Internal error (INTERNAL_ERROR)")
			if rt.auth == authAdmin || rt.api == apiTwin {
				responses["403"] = errResp("The key may not use this route (FORBIDDEN)")
			}
			if rt.request != "" {
				responses["413"] = errResp("Request body too large")
			}
		}
		op["responses"] = responses
		p[strings.ToLower(rt.method)] = op
	}
	paths["/socket.io/"] = map[string]any{"get": map[string]any{
		"summary":     "socket.io (Engine.IO 3 and 4, websocket and polling transports): hello on connect, start-log-stream, job-data-{jobId}, job-finished-{jobId}, job-cancel.",
		"operationId": "socketIO", "tags": []string{"Edge Impulse"}, "security": []any{},
		"parameters": []any{
			map[string]any{"name": "token", "in": "query", "required": true, "schema": str(), "description": "From GET /v1/api/{projectId}/socket-token."},
			map[string]any{"name": "EIO", "in": "query", "required": true, "schema": map[string]any{"type": "integer", "enum": []int{3, 4}}},
			map[string]any{"name": "transport", "in": "query", "required": true, "schema": map[string]any{"type": "string", "enum": []string{"websocket", "polling"}}},
			map[string]any{"name": "onDemandLogs", "in": "query", "schema": boolean(), "description": "true: only the jobs asked for with start-log-stream; otherwise every job of the project."},
		},
		"responses": map[string]any{"101": map[string]any{"description": "WebSocket"}, "200": map[string]any{"description": "Polling payload"},
			"401": map[string]any{"description": "Invalid or expired token", "content": map[string]any{"application/json": map[string]any{"schema": ref("EIError")}}}},
	}}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "tinyimpulse service",
			"version":     "1",
			"description": "Edge Impulse's jobs API and WebSocket events (bodies and responses are the types of the npm package edge-impulse-api 1.95.13, sdk/model), and TwinEdge's ML API. Every route but the documents takes a key: x-api-key or Authorization: Bearer. Responses carry X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset.",
		},
		"servers":  []any{map[string]any{"url": "/"}},
		"security": []any{map[string]any{"apiKey": []string{}}, map[string]any{"bearer": []string{}}},
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "x-api-key"},
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			},
			"schemas": schemas,
		},
		"paths": paths,
	}
}

// schemaOf returns a reference to a named schema, declaring Edge Impulse's
// types (which the published package defines) by name.
func schemaOf(name string, schemas map[string]any) map[string]any {
	if _, ok := schemas[name]; !ok {
		schemas[name] = map[string]any{"type": "object", "additionalProperties": true,
			"description": "Edge Impulse's " + name + " (npm edge-impulse-api 1.95.13, build/library/sdk/model)."}
	}
	return ref(name)
}

func operationID(rt route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.method))
	for _, seg := range strings.Split(rt.path, "/") {
		seg = strings.Trim(seg, "{}")
		if seg == "" || seg == "v1" {
			continue
		}
		for _, part := range strings.FieldsFunc(seg, func(r rune) bool { return r == '-' || r == '.' }) {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

func (s *Server) serveOpenAPIJSON(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, openAPI())
	return nil
}

func (s *Server) serveOpenAPIYAML(w http.ResponseWriter, r *http.Request, c *call) error {
	// Through JSON, so that the YAML holds exactly the JSON document's values.
	data, err := json.Marshal(openAPI())
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	var b strings.Builder
	writeYAML(&b, v, 0)
	w.Header().Set("Content-Type", "application/yaml")
	w.Write([]byte(b.String()))
	return nil
}

// writeYAML writes a JSON value as block YAML; strings are double-quoted
// JSON strings, which YAML reads as the same strings.
func writeYAML(b *strings.Builder, v any, indent int) {
	pad := strings.Repeat("  ", indent)
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(pad + "{}\n")
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			kq, _ := json.Marshal(k)
			b.WriteString(pad + string(kq) + ":")
			writeYAMLValue(b, x[k], indent)
		}
	case []any:
		if len(x) == 0 {
			b.WriteString(pad + "[]\n")
			return
		}
		for _, e := range x {
			b.WriteString(pad + "-")
			writeYAMLValue(b, e, indent)
		}
	default:
		b.WriteString(pad + scalarYAML(v) + "\n")
	}
}

// writeYAMLValue writes the value after "key:" or "-".
func writeYAMLValue(b *strings.Builder, v any, indent int) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteString("\n")
		writeYAML(b, x, indent+1)
	case []any:
		if len(x) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteString("\n")
		writeYAML(b, x, indent+1)
	default:
		b.WriteString(" " + scalarYAML(v) + "\n")
	}
}

func scalarYAML(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		q, _ := json.Marshal(x)
		return string(q)
	}
	q, _ := json.Marshal(v)
	return string(q)
}
