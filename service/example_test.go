package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/tinyimpulse/tinyimpulse/service"
)

// A platform creates a project with the admin key and talks to it with
// the project's key.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "service")
	defer os.RemoveAll(dir)
	srv, err := service.New(context.Background(), service.Config{DataDir: dir, AdminKey: "ei_example_admin_key_0123", Workers: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()

	req, _ := http.NewRequest("POST", ts.URL+"/v1/api/projects/create", strings.NewReader(`{"projectName":"gestures"}`))
	req.Header.Set("x-api-key", "ei_example_admin_key_0123")
	resp, _ := http.DefaultClient.Do(req)
	var created struct {
		Success bool
		ID      int
		APIKey  string
	}
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	fmt.Println(created.Success, created.ID, strings.HasPrefix(created.APIKey, "ei_"))

	req, _ = http.NewRequest("GET", ts.URL+"/v1/ml/models", nil)
	req.Header.Set("Authorization", "Bearer "+created.APIKey)
	resp, _ = http.DefaultClient.Do(req)
	var models struct {
		Data []any
		Meta struct{ Total int }
	}
	json.NewDecoder(resp.Body).Decode(&models)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, len(models.Data), resp.Header.Get("X-RateLimit-Limit"))
	// Output:
	// true 1 true
	// 200 0 1200
}
