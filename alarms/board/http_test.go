package board

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"facmon/alarms"
)

// engineAcker stands in for the engine's ack: it records the calls and,
// like the engine, emits the ack transition back to the board.
type engineAcker struct {
	mu    sync.Mutex
	b     *Board
	calls []string
	known map[string]alarms.Transition
	fail  error
}

func (e *engineAcker) Ack(ctx context.Context, id, user string, at time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, id+" by "+user+" at "+at.Format(time.RFC3339))
	if e.fail != nil {
		return e.fail
	}
	t, ok := e.known[id]
	if !ok || (t.To != alarms.ActiveUnacked && t.To != alarms.ClearedUnacked) {
		return ErrNotAckable
	}
	n := next(t, alarms.Ack, 0, user)
	n.Time = at
	e.known[id] = n
	return apply(ctx, e.b, []alarms.Transition{n})
}

type fixture struct {
	b     *Board
	acker *engineAcker
	srv   *httptest.Server
	ts    []alarms.Transition
}

// newFixture serves a board with five alarms on a real HTTP server. The
// user comes from the X-Test-User header, as the auth middleware will set
// it.
func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	f := &fixture{acker: &engineAcker{known: map[string]alarms.Transition{}}}
	if o.Acker == nil {
		o.Acker = f.acker
	}
	o.User = func(r *http.Request) string { return r.Header.Get("X-Test-User") }
	o.Now = func() time.Time { return t0.Add(time.Hour) }
	if o.Source == nil {
		o.Source = newHistory(DefaultHistory)
	}
	f.b = New(o)
	f.acker.b = f.b
	f.ts = []alarms.Transition{
		raised("tank-low", "tank-1", alarms.Major, 0),
		raised("zone", "zone-1", alarms.Critical, 10),
		raised("bin-full", "bin-1", alarms.Warning, 20),
		raised("tank-low", "tank-2", alarms.Major, 30),
		raised("door", "door-1", alarms.Minor, 40),
	}
	f.ts[2].Area, f.ts[4].Area = "south", "south"
	f.ts[4].Message = "=HYPERLINK(\"http://x\")"
	f.ts[4].Device = "门-1"
	for _, tr := range f.ts {
		f.acker.known[tr.ID] = tr
	}
	feed(t, f.b, f.ts...)
	f.srv = httptest.NewServer(f.b.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) get(t *testing.T, path string, v any) (int, string) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if v != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, body)
		}
	}
	return resp.StatusCode, string(body)
}

func (f *fixture) post(t *testing.T, path, user, ctype, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(body))
	if user != "" {
		req.Header.Set("X-Test-User", user)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestListFilters(t *testing.T) {
	f := newFixture(t, Options{})
	for _, tc := range []struct {
		name, query string
		code        int
		want        string // alarm order, or a fragment of the error
	}{
		{"all in board order", "", 200, "zone/zone-1 tank-low/tank-2 tank-low/tank-1 door/门-1 bin-full/bin-1"},
		{"severity", "?severity=major", 200, "tank-low/tank-2 tank-low/tank-1"},
		{"severity list", "?severity=critical,warning", 200, "zone/zone-1 bin-full/bin-1"},
		{"device", "?device=tank-1", 200, "tank-low/tank-1"},
		{"device repeated", "?device=tank-1&device=zone-1", 200, "zone/zone-1 tank-low/tank-1"},
		{"area", "?area=south", 200, "door/门-1 bin-full/bin-1"},
		{"rule", "?rule=tank-low", 200, "tank-low/tank-2 tank-low/tank-1"},
		{"combined", "?rule=tank-low&device=tank-2&area=north&severity=major", 200, "tank-low/tank-2"},
		{"chinese device", "?device=" + url.QueryEscape("门-1"), 200, "door/门-1"},
		{"no match", "?device=nope", 200, ""},
		{"bad severity", "?severity=urgent", 400, `severity \"urgent\" unknown`},
		{"unknown parameter", "?sevrity=major", 400, `unknown query parameter \"sevrity\"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lr ListResponse
			code, body := f.get(t, "/api/v1/alarms"+tc.query, &lr)
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, body)
			}
			if code != 200 {
				if !strings.Contains(body, tc.want) {
					t.Fatalf("body %s, want %s", body, tc.want)
				}
				return
			}
			if got := ids(lr.Alarms); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestListJSONShape(t *testing.T) {
	f := newFixture(t, Options{})
	_, body := f.get(t, "/api/v1/alarms?device=zone-1", nil)
	for _, want := range []string{`"id":"zone/zone-1/1795766410000"`, `"severity":"critical"`, `"state":"active-unacknowledged"`,
		`"change":"raise"`, `"active_since":"2026-11-27T08:00:10Z"`, `"cite":"篇3·十六·3"`, `"raise_value":0.5`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s:\n%s", want, body)
		}
	}
}

func TestHistoryFilters(t *testing.T) {
	f := newFixture(t, Options{})
	at := func(sec int) string {
		return url.QueryEscape(t0.Add(time.Duration(sec) * time.Second).Format(time.RFC3339))
	}
	for _, tc := range []struct {
		name, query string
		code        int
		want        string
		more        bool
	}{
		{"all newest first", "", 200, "door/门-1 tank-low/tank-2 bin-full/bin-1 zone/zone-1 tank-low/tank-1", false},
		{"from inclusive", "?from=" + at(30), 200, "door/门-1 tank-low/tank-2", false},
		{"to exclusive", "?to=" + at(20), 200, "zone/zone-1 tank-low/tank-1", false},
		{"window", "?from=" + at(10) + "&to=" + at(31), 200, "tank-low/tank-2 bin-full/bin-1 zone/zone-1", false},
		{"time zone offset", "?from=" + url.QueryEscape("2026-11-27T16:00:30+08:00"), 200, "door/门-1 tank-low/tank-2", false},
		{"device", "?device=tank-1", 200, "tank-low/tank-1", false},
		{"rule and severity", "?rule=tank-low&severity=major", 200, "tank-low/tank-2 tank-low/tank-1", false},
		{"limit", "?limit=2", 200, "door/门-1 tank-low/tank-2", true},
		{"bad from", "?from=yesterday", 400, "want an RFC 3339 time", false},
		{"from after to", "?from=" + at(30) + "&to=" + at(10), 400, "must be before", false},
		{"limit zero", "?limit=0", 400, "from 1 to 10000", false},
		{"limit too big", "?limit=10001", 400, "from 1 to 10000", false},
		{"limit twice", "?limit=1&limit=2", 400, "given 2 times", false},
		{"bad format", "?format=xml", 400, "want json or csv", false},
		{"unknown parameter", "?area=north", 400, `unknown query parameter \"area\"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hr HistoryResponse
			code, body := f.get(t, "/api/v1/alarms/history"+tc.query, &hr)
			if code != tc.code {
				t.Fatalf("status %d, want %d: %s", code, tc.code, body)
			}
			if code != 200 {
				if !strings.Contains(body, tc.want) {
					t.Fatalf("body %s, want %s", body, tc.want)
				}
				return
			}
			var got []string
			for _, tr := range hr.Transitions {
				got = append(got, tr.Rule+"/"+tr.Device)
			}
			if strings.Join(got, " ") != tc.want || hr.More != tc.more {
				t.Fatalf("got  %s (more %v)\nwant %s (more %v)", strings.Join(got, " "), hr.More, tc.want, tc.more)
			}
		})
	}
}

func TestHistoryCSV(t *testing.T) {
	f := newFixture(t, Options{})
	resp, err := http.Get(f.srv.URL + "/api/v1/alarms/history?format=csv&severity=minor,critical")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "alarm-history.csv") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(string(body), "\uFEFF") {
		t.Fatal("no UTF-8 byte-order mark")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(body), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		csvHeader,
		{"2026-11-27T08:00:40Z", "raise", "door/door-1/1795766440000", "minor", "demo", "south", "water_tank", "门-1", "door",
			"", "0.5", "normal", "active-unacknowledged", "", "", "2026-11-27T08:00:40Z", `'=HYPERLINK("http://x")`, "篇3·十六·3"},
		{"2026-11-27T08:00:10Z", "raise", "zone/zone-1/1795766410000", "critical", "demo", "north", "water_tank", "zone-1", "zone",
			"", "0.5", "normal", "active-unacknowledged", "", "", "2026-11-27T08:00:10Z", "zone on zone-1", "篇3·十六·3"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %q", len(rows), len(want), rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Fatalf("row %d\n got %q\nwant %q", i, rows[i], want[i])
		}
	}
}

func TestAckOne(t *testing.T) {
	f := newFixture(t, Options{})
	id := f.ts[1].ID // "zone/zone-1/..." has slashes: the client escapes them
	path := "/api/v1/alarms/" + url.PathEscape(id) + "/ack"
	for _, tc := range []struct {
		name, user, ctype, body string
		code                    int
		want                    string
	}{
		{"no user", "", "", "", 401, "log in"},
		{"bad json", "op1", "application/json", "{", 400, "JSON ends early"},
		{"unknown field", "op1", "application/json", `{"note":"x"}`, 400, `unknown field \"note\"`},
		{"not json", "op1", "text/plain", "hello", 415, "application/json"},
		{"acked", "op1", "", "", 200, `"acked":["` + id + `"]`},
		{"again", "op2", "application/json", "{}", 404, "awaiting acknowledgement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.post(t, path, tc.user, tc.ctype, tc.body)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d body %s, want %d with %s", code, body, tc.code, tc.want)
			}
		})
	}
	f.acker.mu.Lock()
	calls := strings.Join(f.acker.calls, "; ")
	f.acker.mu.Unlock()
	want := id + " by op1 at 2026-11-27T09:00:00Z; " + id + " by op2 at 2026-11-27T09:00:00Z"
	if calls != want {
		t.Fatalf("acker calls\n got %s\nwant %s", calls, want)
	}
	got := f.b.Alarms(ListFilter{Device: []string{"zone-1"}})
	if len(got) != 1 || got[0].State != alarms.ActiveAcked || got[0].AckedBy != "op1" || !got[0].AckedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("board after ack: %+v", got)
	}
}

func TestAckMany(t *testing.T) {
	f := newFixture(t, Options{MaxBody: 1024, MaxAckIDs: 3})
	const path = "/api/v1/alarms/ack"
	a, b := f.ts[0].ID, f.ts[2].ID
	for _, tc := range []struct {
		name, user, ctype, body string
		code                    int
		want                    string
	}{
		{"no user", "", "application/json", `{"ids":["` + a + `"]}`, 401, "log in"},
		{"no content type", "op1", "", `{"ids":["` + a + `"]}`, 415, "application/json"},
		{"syntax error", "op1", "application/json", `{"ids":[`, 400, "request body"},
		{"wrong type", "op1", "application/json", `{"ids":"x"}`, 400, `field \"ids\": want []string`},
		{"unknown field", "op1", "application/json", `{"ids":["x"],"all":true}`, 400, `unknown field \"all\"`},
		{"trailing data", "op1", "application/json", `{"ids":["x"]} {}`, 400, "data after the JSON value"},
		{"empty body", "op1", "application/json", ``, 400, "empty, want a JSON object"},
		{"no ids", "op1", "application/json", `{"ids":[]}`, 400, "want 1 to 3 alarm ids"},
		{"too many ids", "op1", "application/json", `{"ids":["a","b","c","d"]}`, 400, "want 1 to 3 alarm ids, got 4"},
		{"empty id", "op1", "application/json", `{"ids":["a",""]}`, 400, "ids[1]: empty"},
		{"huge body", "op1", "application/json", `{"ids":["` + strings.Repeat("x", 2000) + `"]}`, 413, "larger than 1024 bytes"},
		{"some acked", "op1", "application/json; charset=utf-8", `{"ids":["` + a + `","nope","` + b + `","` + a + `"]}`, 200,
			`{"acked":["` + a + `","` + b + `"],"failed":[{"id":"nope","error":"alarm \"nope\": no such alarm awaiting acknowledgement"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.post(t, path, tc.user, tc.ctype, tc.body)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d body %s, want %d with %s", code, body, tc.code, tc.want)
			}
		})
	}
	if n := len(f.b.Alarms(ListFilter{Severity: []alarms.Severity{alarms.Major, alarms.Warning}})); n != 3 {
		t.Fatalf("%d alarms", n)
	}
	var lr ListResponse
	f.get(t, "/api/v1/alarms", &lr)
	if got := ids(lr.Alarms); got != "zone/zone-1 tank-low/tank-2 door/门-1 tank-low/tank-1 bin-full/bin-1" {
		t.Fatalf("acked alarms should sort last: %s", got)
	}
}

func TestAckFailures(t *testing.T) {
	for _, tc := range []struct {
		name  string
		acker Acker
		code  int
		want  string
	}{
		{"engine error", AckerFunc(func(context.Context, string, string, time.Time) error { return errors.New("disk full") }),
			500, "internal error"},
		{"wrapped not ackable", AckerFunc(func(_ context.Context, id string, _ string, _ time.Time) error {
			return errors.Join(errors.New("engine"), ErrNotAckable)
		}), 404, "awaiting acknowledgement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{Acker: tc.acker})
			code, body := f.post(t, "/api/v1/alarms/x/ack", "op1", "", "")
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d body %s", code, body)
			}
		})
	}
	t.Run("no acker", func(t *testing.T) {
		b := New(Options{User: func(*http.Request) string { return "op1" }})
		srv := httptest.NewServer(b.Handler())
		defer srv.Close()
		resp, err := http.Post(srv.URL+"/api/v1/alarms/x/ack", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("status %s", resp.Status)
		}
	})
}

// A float register can read NaN; one such alarm must not break the list.
func TestNonFiniteValuesAsNull(t *testing.T) {
	f := newFixture(t, Options{})
	nan := raised("sensor", "tank-9", alarms.Minor, 50)
	nan.Value = math.NaN()
	inf := next(nan, alarms.Ack, 1, "op1")
	inf.Value = math.Inf(1)
	feed(t, f.b, nan, inf)
	for _, path := range []string{"/api/v1/alarms?device=tank-9", "/api/v1/alarms/history?device=tank-9"} {
		code, body := f.get(t, path, nil)
		if code != 200 || !strings.Contains(body, `"value":null`) {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
	}
	var lr ListResponse
	if code, body := f.get(t, "/api/v1/alarms?device=tank-9", &lr); code != 200 || len(lr.Alarms) != 1 ||
		!strings.Contains(body, `"raise_value":null`) || !strings.Contains(body, `"state":"active-acknowledged"`) {
		t.Fatalf("list: %s", body)
	}
}
