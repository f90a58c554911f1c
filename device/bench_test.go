package device

import "testing"

func BenchmarkProfileNetwork(b *testing.B) {
	nets := mlperfModels(b)
	for _, k := range []string{"ad-int8", "vww-int8"} {
		b.Run(k, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ProfileNetwork(nets[k], ProfileConfig{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
