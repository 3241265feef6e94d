package lifecycle

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// maxBody bounds a request body.
const maxBody = 16 << 10

// API serves the lifecycle and zone routes:
//
//	GET  /api/v1/zones                       zones and their states
//	POST /api/v1/zones/arm-all               arm every zone
//	POST /api/v1/zones/{id}/arm              arm one zone
//	POST /api/v1/zones/{id}/bypass           {"reason","password"} bypass, password checked again (not 24-hour zones)
//	POST /api/v1/zones/{id}/disarm           {"password","reason"} disarm, password checked again (not 24-hour zones)
//	POST /api/v1/alarms/{id}/shelve          {"reason","minutes"}
//	POST /api/v1/alarms/{id}/unshelve
//	POST /api/v1/alarms/{id}/note            {"text"}
//	POST /api/v1/alarms/{id}/resolve         {"result","note"}
//	POST /api/v1/alarms/{id}/reset           latched alarms
//	POST /api/v1/alarms/{id}/out-of-service  {"reason"}
//	POST /api/v1/alarms/{id}/in-service
//
// Roles (engineer for shelve and out of service) are checked by the
// console's middleware around the handler; the API needs only the user.
type API struct {
	M *Manager
	// User names the request's authenticated user, "" if none (401).
	User func(*http.Request) string
	// Passwords checks the password of a disarm or a bypass.
	Passwords PasswordChecker
}

// Mount registers the routes with handle (internal/web.Server.Handle or
// the console's authenticating wrapper).
func (a *API) Mount(handle func(pattern string, h http.Handler)) {
	handle("GET /api/v1/zones", http.HandlerFunc(a.zones))
	routes := map[string]func(r *http.Request, user string, b *body) error{
		"POST /api/v1/zones/arm-all": func(r *http.Request, u string, _ *body) error { return a.M.ArmAll(r.Context(), u) },
		"POST /api/v1/zones/{id}/arm": func(r *http.Request, u string, _ *body) error {
			return a.M.Arm(r.Context(), u, r.PathValue("id"))
		},
		"POST /api/v1/zones/{id}/bypass": func(r *http.Request, u string, b *body) error {
			return a.M.Bypass(r.Context(), u, r.PathValue("id"), b.Reason, b.Password, a.Passwords)
		},
		"POST /api/v1/zones/{id}/disarm": func(r *http.Request, u string, b *body) error {
			return a.M.Disarm(r.Context(), u, r.PathValue("id"), b.Reason, b.Password, a.Passwords)
		},
		"POST /api/v1/alarms/{id}/shelve": func(r *http.Request, u string, b *body) error {
			return a.M.Shelve(r.Context(), u, r.PathValue("id"), b.Reason, time.Duration(b.Minutes*float64(time.Minute)))
		},
		"POST /api/v1/alarms/{id}/unshelve": func(r *http.Request, u string, _ *body) error {
			return a.M.Unshelve(r.Context(), u, r.PathValue("id"))
		},
		"POST /api/v1/alarms/{id}/note": func(r *http.Request, u string, b *body) error {
			return a.M.Note(r.Context(), u, r.PathValue("id"), b.Text)
		},
		"POST /api/v1/alarms/{id}/resolve": func(r *http.Request, u string, b *body) error {
			return a.M.Resolve(r.Context(), u, r.PathValue("id"), b.Result, b.Note)
		},
		"POST /api/v1/alarms/{id}/reset": func(r *http.Request, u string, _ *body) error {
			return a.M.Reset(r.Context(), u, r.PathValue("id"))
		},
		"POST /api/v1/alarms/{id}/out-of-service": func(r *http.Request, u string, b *body) error {
			return a.M.OutOfService(r.Context(), u, r.PathValue("id"), b.Reason)
		},
		"POST /api/v1/alarms/{id}/in-service": func(r *http.Request, u string, _ *body) error {
			return a.M.InService(r.Context(), u, r.PathValue("id"))
		},
	}
	for pattern, f := range routes {
		handle(pattern, a.action(f))
	}
}

// Handler is the routes on their own mux.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	a.Mount(mux.Handle)
	return mux
}

// body is every field an action request may carry.
type body struct {
	Reason   string  `json:"reason"`
	Minutes  float64 `json:"minutes"`
	Text     string  `json:"text"`
	Result   string  `json:"result"`
	Note     string  `json:"note"`
	Password string  `json:"password"`
}

// ZonesResponse is the body of GET /api/v1/zones.
type ZonesResponse struct {
	Zones []Zone `json:"zones"`
}

func (a *API) zones(w http.ResponseWriter, r *http.Request) {
	if a.user(w, r) == "" {
		return
	}
	writeJSON(w, http.StatusOK, ZonesResponse{Zones: a.M.Zones()})
}

// action wraps an action: user, body, error mapping; 200 {"ok":true}.
func (a *API) action(f func(r *http.Request, user string, b *body) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user := a.user(w, r)
		if user == "" {
			return
		}
		var b body
		if err := readBody(r, &b); err != nil {
			writeJSON(w, http.StatusBadRequest, errorBody{err.Error()})
			return
		}
		if err := f(r, user, &b); err != nil {
			writeJSON(w, statusOf(err), errorBody{err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	})
}

// user returns the request's user or answers 401.
func (a *API) user(w http.ResponseWriter, r *http.Request) string {
	u := ""
	if a.User != nil {
		u = a.User(r)
	}
	if u == "" {
		writeJSON(w, http.StatusUnauthorized, errorBody{"authentication required"})
	}
	return u
}

// readBody decodes an optional JSON body strictly.
func readBody(r *http.Request, b *body) error {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return errors.New("request body too large or unreadable")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(b); err != nil {
		return errors.New("request body: " + err.Error())
	}
	return nil
}

// statusOf maps an action's error to its HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrNoAlarm), errors.Is(err, ErrNoZone):
		return http.StatusNotFound
	case errors.Is(err, ErrBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, ErrPassword):
		return http.StatusForbidden
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
