package engine_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/tinyimpulse/tinyimpulse/service/engine"
)

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "engine")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()

	jobs, _ := e.Bucket(ctx, "jobs")
	rev, _ := jobs.Create(ctx, "1.1", []byte(`{"status":"queued"}`))
	_, err = jobs.Update(ctx, "1.1", []byte(`{"status":"running"}`), rev)
	fmt.Println("update:", err)
	_, err = jobs.Update(ctx, "1.1", []byte(`{"status":"lost"}`), rev)
	fmt.Println("stale update:", err)

	e.Logs().Append(ctx, "1.1", engine.LogEntry{Data: "Epoch 1/30\n"})
	e.Logs().Append(ctx, "1.1", engine.LogEntry{Finished: true, Success: true})
	log, _ := e.Logs().Read(ctx, "1.1", time.Time{})
	fmt.Printf("%q finished=%v\n", log[0].Data, log[1].Finished)
	// Output:
	// update: <nil>
	// stale update: engine: revision conflict
	// "Epoch 1/30\n" finished=true
}
