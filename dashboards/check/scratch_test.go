package check

import (
	"os"
	"strings"
	"testing"

	"facmon/deploy/testbed"
)

func TestScratch(t *testing.T) {
	qs := os.Getenv("SCRATCH")
	if qs == "" {
		t.Skip()
	}
	in := testbed.StartInflux(t)
	r := fillDay(t, in)
	for _, q := range strings.Split(qs, ";;") {
		q = Interpolate(q, map[string][]string{"site": {"demo"}}, r, 0)
		res, err := in.Query(q)
		t.Logf("%s\n => err=%v", q, err)
		if res != nil {
			for _, rr := range res.Results {
				for _, s := range rr.Series {
					n := len(s.Values)
					t.Logf("  %s %v cols=%v rows=%d first=%v", s.Name, s.Tags, s.Columns, n, s.Values[:min(n, 3)])
				}
			}
		}
	}
}
