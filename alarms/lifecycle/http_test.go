package lifecycle

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestAPI drives the routes through a real HTTP server.
func TestAPI(t *testing.T) {
	x := newH(t)
	x.point("pz-3", "tamper", 1)
	id := url.PathEscape(x.id("tamper", "pz-3"))
	api := &API{M: x.m, Passwords: okPW{}, User: func(r *http.Request) string { return r.Header.Get("X-User") }}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	cases := []struct {
		name, method, path, user, body string
		code                           int
	}{
		{"no user", "GET", "/api/v1/zones", "", "", 401},
		{"zones", "GET", "/api/v1/zones", "op", "", 200},
		{"disarm without password", "POST", "/api/v1/zones/zone-3/disarm", "op", `{}`, 403},
		{"disarm wrong password", "POST", "/api/v1/zones/zone-3/disarm", "op", `{"password":"x"}`, 403},
		{"disarm", "POST", "/api/v1/zones/zone-3/disarm", "op", `{"password":"pw"}`, 200},
		{"disarm 24-hour zone", "POST", "/api/v1/zones/sos/disarm", "op", `{"password":"pw"}`, 409},
		{"arm again", "POST", "/api/v1/zones/zone-3/arm", "op", ``, 200},
		{"bypass without password", "POST", "/api/v1/zones/zone-3/bypass", "op", `{"reason":"ladder"}`, 403},
		{"bypass wrong password", "POST", "/api/v1/zones/zone-3/bypass", "op", `{"reason":"ladder","password":"x"}`, 403},
		{"bypass without reason", "POST", "/api/v1/zones/zone-3/bypass", "op", `{"password":"pw"}`, 400},
		{"bypass 24-hour zone", "POST", "/api/v1/zones/sos/bypass", "op", `{"reason":"test","password":"pw"}`, 409},
		{"bypass", "POST", "/api/v1/zones/zone-3/bypass", "op", `{"reason":"ladder","password":"pw"}`, 200},
		{"unknown zone", "POST", "/api/v1/zones/nope/arm", "op", ``, 404},
		{"arm all", "POST", "/api/v1/zones/arm-all", "op", ``, 200},
		{"shelve without reason", "POST", "/api/v1/alarms/" + id + "/shelve", "eng", `{"minutes":5}`, 400},
		{"shelve", "POST", "/api/v1/alarms/" + id + "/shelve", "eng", `{"reason":"works","minutes":5}`, 200},
		{"unknown field", "POST", "/api/v1/alarms/" + id + "/note", "op", `{"txt":"x"}`, 400},
		{"note", "POST", "/api/v1/alarms/" + id + "/note", "op", `{"text":"guard sent"}`, 200},
		{"resolve", "POST", "/api/v1/alarms/" + id + "/resolve", "op", `{"result":"false alarm","note":"cat"}`, 200},
		{"reset non-latched", "POST", "/api/v1/alarms/" + id + "/reset", "op", ``, 409},
		{"out of service", "POST", "/api/v1/alarms/" + id + "/out-of-service", "eng", `{"reason":"rewiring"}`, 200},
		{"in service", "POST", "/api/v1/alarms/" + id + "/in-service", "eng", ``, 200},
		{"unshelve", "POST", "/api/v1/alarms/" + id + "/unshelve", "eng", ``, 200},
		{"unknown alarm", "POST", "/api/v1/alarms/nope%2Fx/note", "op", `{"text":"x"}`, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, srv.URL+c.path, strings.NewReader(c.body))
			if c.user != "" {
				req.Header.Set("X-User", c.user)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var v map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
				t.Fatalf("answer is not JSON: %v", err)
			}
			if resp.StatusCode != c.code {
				t.Fatalf("%s %s: %d %v, want %d", c.method, c.path, resp.StatusCode, v, c.code)
			}
		})
	}
	a, _ := x.alarm("tamper", "pz-3")
	if len(a.Notes) != 2 || a.Resolution != "false alarm" {
		t.Fatalf("alarm notes %+v resolution %q", a.Notes, a.Resolution)
	}
	refused := 0
	for _, e := range x.j.entries() {
		if e.Type == Refused {
			refused++
		}
	}
	if refused != 6 {
		t.Fatalf("%d refused attempts journaled, want 6 (3 disarms, 3 bypasses)", refused)
	}
	var bypass *Entry
	for _, e := range x.j.entries() {
		if e.Type == Action && e.Action == "bypass" {
			bypass = &e
		}
	}
	if bypass == nil || bypass.User != "op" || bypass.Subject != "zone-3" || bypass.Reason != "ladder" {
		t.Fatalf("bypass journaled as %+v, want who, zone and reason", bypass)
	}
}

// FuzzActionBody: any request body is either decoded or refused, never a
// panic.
func FuzzActionBody(f *testing.F) {
	f.Add([]byte(`{"reason":"r","minutes":5}`))
	f.Add([]byte(`{"password":"pw"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b body
		r := httptest.NewRequest("POST", "/", strings.NewReader(string(data)))
		_ = readBody(r, &b)
	})
}
