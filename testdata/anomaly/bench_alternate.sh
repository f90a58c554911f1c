#!/bin/bash
# Alternates single fits of scikit-learn and of the Go package on the same data and settings,
# ROUNDS times per configuration, and prints the minimum and median wall time of each; on a
# shared machine the minimum is the figure least disturbed by other load.
# Run from the repository root: testdata/anomaly/bench_alternate.sh [ROUNDS]
set -euo pipefail
rounds=${1:-5}
bin=$(mktemp -d)/anomaly.test
go test -c -o "$bin" ./anomaly
py=/usr/bin/python3
stats() { sort -g | awk '{a[NR]=$1} END {printf "min %8.1f ms  median %8.1f ms", a[1]*1e3, (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)*1e3}'; }
for cfg in "kmeans10 FitKMeans" "kmeans1 FitKMeansSingleInit" "gmm FitGMM"; do
  set -- $cfg
  for n in 5000 50000; do
    sk=(); gt=()
    for r in $(seq 1 "$rounds"); do
      sk+=("$($py testdata/anomaly/bench_sklearn.py one "$1" "$n" "$r")")
      ns=$(cd anomaly && "$bin" -test.run XXX -test.bench "^Benchmark$2\$/n=$n/" -test.benchtime 1x -benchseed "$r" | awk '/^Benchmark/ {print $3}')
      gt+=("$(awk -v ns="$ns" 'BEGIN {printf "%.6f", ns/1e9}')")
    done
    printf "%-9s n=%-6d scikit-learn: %s | Go: %s\n" "$1" "$n" \
      "$(printf '%s\n' "${sk[@]}" | stats)" "$(printf '%s\n' "${gt[@]}" | stats)"
  done
done
