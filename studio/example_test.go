package studio_test

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/tinyimpulse/tinyimpulse/learn"
	"github.com/tinyimpulse/tinyimpulse/studio"
)

// A job's events in the form the command prints with --json-progress: the
// log text as Studio's socket sends it, and the structured progress beside
// it (undefined figures, here the validation ones, are left out).
func ExampleEvent() {
	epoch := learn.EpochStats{Epoch: 3, Epochs: 30, Steps: 14, Loss: 0.8612, Accuracy: 0.75, ValLoss: nan(), ValAccuracy: nan()}
	for _, e := range []studio.Event{
		{Type: studio.EventData, JobID: 7, Data: epoch.String() + "\n",
			Progress: &studio.Progress{Phase: studio.PhaseTraining, LearnBlockID: 3, Fraction: 0.12, Epoch: &epoch}},
		{Type: studio.EventFinished, JobID: 7, Success: true},
	} {
		b, _ := json.Marshal(e)
		fmt.Println(string(b))
	}
	// Output:
	// {"event":"job-data","jobId":7,"data":"Epoch 3/30\n14/14 - 0s - loss: 0.8612 - accuracy: 0.7500\n","progress":{"phase":"training","learnBlockId":3,"fraction":0.12,"epoch":{"epoch":3,"epochs":30,"steps":14,"loss":0.8612,"accuracy":0.75}}}
	// {"event":"job-finished","jobId":7,"success":true}
}

func nan() float64 { return math.NaN() }
