package latest

import (
	"encoding/json"
	"net/http"
)

// Handler serves GET /api/v1/signals: the latest values as JSON, filtered
// by the query parameters device, kind, area and signal; trend=1 adds the
// last hour's trend.
func (t *Table) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		q := r.URL.Query()
		f := Filter{Device: q.Get("device"), Kind: q.Get("kind"), Area: q.Get("area"), Signal: q.Get("signal"),
			Trend: q.Get("trend") == "1" || q.Get("trend") == "true"}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_ = json.NewEncoder(w).Encode(map[string]any{"signals": t.Snapshot(f)})
	})
}
