package tune

// dominates reports whether a is at least as good as b in every objective
// and better in one; every objective is minimised.
func dominates(a, b []float64) bool {
	better := false
	for i := range a {
		if a[i] > b[i] {
			return false
		}
		if a[i] < b[i] {
			better = true
		}
	}
	return better
}

// paretoFront returns the indices of the points no other point dominates,
// in input order (every objective is minimised). Equal points are all on
// the front.
func paretoFront(points [][]float64) []int {
	var front []int
	for i, p := range points {
		dominated := false
		for j, q := range points {
			if j != i && dominates(q, p) {
				dominated = true
				break
			}
		}
		if !dominated {
			front = append(front, i)
		}
	}
	return front
}
