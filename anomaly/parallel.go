package anomaly

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallel calls fn(w, i) for i in [0, n), spreading the calls over at most workers
// goroutines; w identifies the goroutine (0 <= w < workers) so that fn can use per-worker
// scratch space. Results must not depend on which worker runs which i: every reduction in
// this package is done per fixed block of rows and combined in block order, so the numbers
// are the same for any number of workers.
func parallel(workers, n int, fn func(w, i int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(w, i)
			}
		}()
	}
	wg.Wait()
}

// maxWorkers is the number of goroutines a fit uses.
func maxWorkers() int { return runtime.GOMAXPROCS(0) }
