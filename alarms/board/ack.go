package board

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// AckRequest is the body of POST /api/v1/alarms/ack.
type AckRequest struct {
	IDs []string `json:"ids"`
}

// AckResponse is the answer to an ack: the ids acknowledged and those not.
type AckResponse struct {
	Acked  []string    `json:"acked"`
	Failed []AckFailed `json:"failed,omitempty"`
}

// AckFailed is one id that was not acknowledged, and why.
type AckFailed struct {
	ID    string `json:"id"`
	Error string `json:"error"`

	internal bool // the Acker failed, not the request
}

// httpError is an error with the status the API answers.
type httpError struct {
	code int
	msg  string
}

// Error returns the message.
func (e *httpError) Error() string { return e.msg }

func (b *Board) serveAckOne(w http.ResponseWriter, r *http.Request) {
	user, ok := b.user(w, r)
	if !ok {
		return
	}
	if err := b.readEmpty(w, r); err != nil {
		writeHTTPError(w, err)
		return
	}
	res := b.ack(r, user, []string{r.PathValue("id")})
	switch {
	case len(res.Failed) == 0:
		writeJSON(w, http.StatusOK, res)
	case res.Failed[0].internal:
		writeError(w, http.StatusInternalServerError, res.Failed[0].Error)
	default:
		writeError(w, http.StatusNotFound, res.Failed[0].Error)
	}
}

func (b *Board) serveAckMany(w http.ResponseWriter, r *http.Request) {
	user, ok := b.user(w, r)
	if !ok {
		return
	}
	req, err := b.readAckRequest(w, r)
	if err != nil {
		writeHTTPError(w, err)
		return
	}
	res := b.ack(r, user, req.IDs)
	code := http.StatusOK
	for _, f := range res.Failed {
		if f.internal {
			code = http.StatusInternalServerError
		}
	}
	writeJSON(w, code, res)
}

// user resolves the request's user or answers 401.
func (b *Board) user(w http.ResponseWriter, r *http.Request) (string, bool) {
	if b.o.Acker == nil {
		writeError(w, http.StatusServiceUnavailable, "acknowledging is not available")
		return "", false
	}
	var u string
	if b.o.User != nil {
		u = b.o.User(r)
	}
	if u == "" {
		writeError(w, http.StatusUnauthorized, "log in to acknowledge alarms")
		return "", false
	}
	return u, true
}

// ack acknowledges each id in order, at one time, on behalf of user.
func (b *Board) ack(r *http.Request, user string, ids []string) AckResponse {
	at := b.o.Now()
	res := AckResponse{Acked: []string{}}
	for _, id := range ids {
		err := b.o.Acker.Ack(r.Context(), id, user, at)
		switch {
		case err == nil:
			res.Acked = append(res.Acked, id)
			b.log.Info("alarm acknowledged", "id", id, "user", user)
		case errors.Is(err, ErrNotAckable):
			res.Failed = append(res.Failed, AckFailed{ID: id, Error: fmt.Sprintf("alarm %q: %v", id, ErrNotAckable)})
		default:
			b.log.Error("alarm ack failed", "id", id, "user", user, "err", err)
			res.Failed = append(res.Failed, AckFailed{ID: id, Error: "internal error acknowledging the alarm", internal: true})
		}
	}
	return res
}

// readEmpty accepts an empty body or an empty JSON object.
func (b *Board) readEmpty(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, b.o.MaxBody))
	if err != nil {
		return bodyError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := checkJSONType(r); err != nil {
		return err
	}
	var empty struct{}
	return decodeStrict(body, &empty)
}

func (b *Board) readAckRequest(w http.ResponseWriter, r *http.Request) (AckRequest, error) {
	var req AckRequest
	if err := checkJSONType(r); err != nil {
		return req, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, b.o.MaxBody))
	if err != nil {
		return req, bodyError(err)
	}
	return DecodeAckRequest(body, b.o.MaxAckIDs)
}

// DecodeAckRequest decodes a bulk-ack body strictly: one JSON object with
// only "ids", non-empty ids, 1..maxIDs of them once duplicates are
// removed.
func DecodeAckRequest(body []byte, maxIDs int) (AckRequest, error) {
	var req AckRequest
	if err := decodeStrict(body, &req); err != nil {
		return req, err
	}
	seen := make(map[string]bool, len(req.IDs))
	ids := req.IDs[:0]
	for i, id := range req.IDs {
		if id == "" {
			return req, &httpError{http.StatusBadRequest, fmt.Sprintf("ids[%d]: empty", i)}
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	req.IDs = ids
	if len(ids) == 0 || len(ids) > maxIDs {
		return req, &httpError{http.StatusBadRequest, fmt.Sprintf("ids: want 1 to %d alarm ids, got %d", maxIDs, len(ids))}
	}
	return req, nil
}

// decodeStrict decodes exactly one JSON value with no unknown fields.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &httpError{http.StatusBadRequest, "request body: " + jsonMessage(err)}
	}
	if dec.More() {
		return &httpError{http.StatusBadRequest, "request body: data after the JSON value"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &httpError{http.StatusBadRequest, "request body: data after the JSON value"}
	}
	return nil
}

// jsonMessage says where a JSON error is, in the client's terms.
func jsonMessage(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q: want %s, got JSON %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "JSON ends early"
	case errors.Is(err, io.EOF):
		return "empty, want a JSON object"
	}
	return err.Error()
}

func checkJSONType(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return &httpError{http.StatusUnsupportedMediaType, "request body: want Content-Type application/json"}
	}
	return nil
}

func bodyError(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", mb.Limit)}
	}
	return &httpError{http.StatusBadRequest, "request body: " + err.Error()}
}

func writeHTTPError(w http.ResponseWriter, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeError(w, he.code, he.msg)
		return
	}
	writeError(w, http.StatusBadRequest, err.Error())
}
