package board

import (
	"net/url"
	"testing"
)

// FuzzDecodeAckRequest: any body is either refused with a client error or
// gives 1..max distinct non-empty ids.
func FuzzDecodeAckRequest(f *testing.F) {
	f.Add([]byte(`{"ids":["zone/zone-1/1795766410000"]}`))
	f.Add([]byte(`{"ids":["a","a",""]}`))
	f.Add([]byte(`{"ids":["a"]} trailing`))
	f.Add([]byte(`{"ids":null,"x":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeAckRequest(body, 5)
		if err != nil {
			he, ok := err.(*httpError)
			if !ok || he.code != 400 {
				t.Fatalf("error %v is not a 400", err)
			}
			return
		}
		if len(req.IDs) < 1 || len(req.IDs) > 5 {
			t.Fatalf("%d ids accepted", len(req.IDs))
		}
		seen := map[string]bool{}
		for _, id := range req.IDs {
			if id == "" || seen[id] {
				t.Fatalf("ids %q: empty or repeated", req.IDs)
			}
			seen[id] = true
		}
	})
}

// FuzzParseQuery: any query string is either refused or gives filters
// whose limit is in range.
func FuzzParseQuery(f *testing.F) {
	f.Add("severity=critical,major&device=tank-1&area=north&rule=tank-low")
	f.Add("from=2026-11-27T08:00:00Z&to=2026-11-27T09:00:00%2B08:00&limit=10&format=csv")
	f.Add("limit=-1&limit=2&format=xml&x=%ZZ")
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		_, _ = ParseListFilter(v)
		q, err := ParseHistoryQuery(v, 100)
		if err != nil {
			return
		}
		if q.Limit < 1 || q.Limit > 100 {
			t.Fatalf("limit %d accepted", q.Limit)
		}
		if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
			t.Fatalf("from %v not before to %v", q.From, q.To)
		}
	})
}
