package influxout

import "testing"

func BenchmarkEncode(b *testing.B) {
	e := newEncoder()
	tr := raise()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tr.Time = t0.Add(1000 * 1000 * 1000)
		if _, ok := e.line(&tr); !ok {
			b.Fatal("not encoded")
		}
	}
}
