package board

import (
	"encoding/json"
	"errors"
	"net/http"

	"facmon/alarms"
)

// Mount registers the board's routes with handle, which is
// internal/web.Server.Handle or a wrapper that adds authentication.
func (b *Board) Mount(handle func(pattern string, h http.Handler)) {
	handle("GET /api/v1/alarms", http.HandlerFunc(b.serveList))
	handle("GET /api/v1/alarms/history", http.HandlerFunc(b.serveHistory))
	handle("POST /api/v1/alarms/{id}/ack", http.HandlerFunc(b.serveAckOne))
	handle("POST /api/v1/alarms/ack", http.HandlerFunc(b.serveAckMany))
}

// Handler is the board's routes on their own mux (tests, tools).
func (b *Board) Handler() http.Handler {
	mux := http.NewServeMux()
	b.Mount(mux.Handle)
	return mux
}

// ListResponse is the body of GET /api/v1/alarms.
type ListResponse struct {
	Alarms []Alarm `json:"alarms"`
}

// HistoryResponse is the JSON body of GET /api/v1/alarms/history. More
// says that the limit cut the answer short.
type HistoryResponse struct {
	Transitions []alarms.Transition `json:"transitions"`
	More        bool                `json:"more"`
}

// historyWire is HistoryResponse as written, NaN values as null.
type historyWire struct {
	Transitions []wireTransition `json:"transitions"`
	More        bool             `json:"more"`
}

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Error string `json:"error"`
}

func (b *Board) serveList(w http.ResponseWriter, r *http.Request) {
	f, err := ParseListFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, ListResponse{Alarms: b.Alarms(f)})
}

func (b *Board) serveHistory(w http.ResponseWriter, r *http.Request) {
	q, err := ParseHistoryQuery(r.URL.Query(), b.o.History)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ts, more, err := b.History(r.Context(), q)
	switch {
	case errors.Is(err, errNoHistory):
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil:
		b.log.Error("alarm history", "err", err)
		writeError(w, http.StatusInternalServerError, "reading the alarm history failed")
		return
	}
	if q.CSV {
		writeCSV(w, ts, more)
		return
	}
	writeJSON(w, http.StatusOK, historyWire{Transitions: wire(ts), More: more})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, ErrorResponse{Error: msg})
}
