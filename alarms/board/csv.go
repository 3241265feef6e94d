package board

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"facmon/alarms"
)

var csvHeader = []string{"time", "change", "id", "severity", "site", "area", "kind", "device", "rule",
	"signal", "value", "from", "to", "by", "hold", "active_since", "message", "cite"}

// writeCSV writes the history as CSV with a UTF-8 byte-order mark, so that
// spreadsheet programs open Chinese device names and messages correctly.
func writeCSV(w http.ResponseWriter, ts []alarms.Transition, more bool) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="alarm-history.csv"`)
	if more {
		h.Set("X-Facmon-More", "true")
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(w)
	_ = cw.Write(csvHeader)
	for i := range ts {
		_ = cw.Write(csvRow(&ts[i]))
	}
	cw.Flush()
}

func csvRow(t *alarms.Transition) []string {
	return []string{
		t.Time.Format(time.RFC3339Nano), t.Change.String(), text(t.ID), t.Severity.String(),
		text(t.Site), text(t.Area), text(t.Kind), text(t.Device), text(t.Rule), text(t.Signal),
		strconv.FormatFloat(t.Value, 'g', -1, 64), t.From.String(), t.To.String(), text(t.By),
		t.Hold.String(), t.ActiveSince.Format(time.RFC3339Nano), text(t.Message), text(t.Cite),
	}
}

// text defuses spreadsheet formulas (OWASP CSV injection): a cell that
// starts with = + - @ or a tab or carriage return gets a leading quote.
// Device names and messages can come from devices, so they are untrusted.
func text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
