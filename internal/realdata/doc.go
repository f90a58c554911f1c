// Package realdata holds the project's end-to-end check on real recordings
// (issue 7, "Real data"): every dataset in ../shared/datasets is trained with
// Studio's default impulse for its kind (testdata/impulses/<dataset>.json),
// tested on its testing category, and compared with an equivalent PyTorch +
// scikit-learn pipeline trained on the same features
// (testdata/realdata/reference.py, its figures in reference.json).
//
// The package has no API; it holds tests only. They skip when
// ../shared/datasets is absent.
//
// # Running
//
//	go test -v ./internal/realdata/             # the reference's seeds (1..25), prints the table
//	REALDATA_SEEDS=60 go test -v -timeout 30m ./internal/realdata/   # more seeds on the Go side
//	REALDATA_EXPORT=/tmp/realdata go test -run Export ./internal/realdata/
//	/usr/bin/python3 testdata/realdata/reference.py /tmp/realdata --seeds 25 > testdata/realdata/reference.json
//
// testdata/realdata/README.md explains the reference pipeline and records
// the table.
package realdata
