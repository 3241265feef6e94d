package mqtt

import (
	"errors"
	"strings"
	"testing"
	"time"

	"facmon/collectors"
	"facmon/collectors/payload"
)

// pv is the part of a point a decoding case checks.
type pv struct {
	device, signal string
	value          float64
	isBool         bool
}

func TestDecode(t *testing.T) {
	m, err := newMapping(testSite("tcp://x:1"))
	if err != nil {
		t.Fatal(err)
	}
	recv := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	devTime := time.Date(2026, 11, 27, 4, 59, 58, 0, time.UTC)
	tests := []struct {
		name, topic, body string
		want              []pv
		wantTime          time.Time
		errs              []string // "payload:<reason>" or "unknown:<what>"
	}{
		{"plain level scaled", "estate/pump-room/tank/tank-1/level", "250", []pv{{"tank-1", "level", 2.5, false}}, recv, nil},
		{"plain garbage", "estate/pump-room/tank/tank-1/level", "2,5m", nil, recv, []string{"payload:syntax"}},
		{"plain empty", "estate/pump-room/tank/tank-1/level", "", nil, recv, []string{"payload:missing"}},
		{"unknown device", "estate/pump-room/tank/tank-9/level", "1", nil, recv, []string{"unknown:device"}},
		{"json device payload with time", "estate/bins/bin-1",
			`{"data":{"fill":81.5},"lid":"OPEN","tilt":false,"rssi":-70,"ts":"2026-11-27T04:59:58Z"}`,
			[]pv{{"bin-1", "fill", 81.5, false}, {"bin-1", "lid", 1, false}, {"bin-1", "tilt", 0, true}}, devTime, nil},
		{"json epoch ms time", "estate/bins/bin-1", `{"data":{"fill":1},"ts":1795755598000}`,
			[]pv{{"bin-1", "fill", 1, false}}, devTime, nil},
		{"json numeric string", "estate/bins/bin-1", `{"data":{"fill":"12.5"}}`, []pv{{"bin-1", "fill", 12.5, false}}, recv, nil},
		{"json bad state keeps neighbours", "estate/bins/bin-1", `{"data":{"fill":3},"lid":"ajar"}`,
			[]pv{{"bin-1", "fill", 3, false}}, recv, []string{"payload:state"}},
		{"json bad time stores nothing", "estate/bins/bin-1", `{"data":{"fill":3},"ts":"yesterday"}`, nil, recv, []string{"payload:time"}},
		{"json truncated stores nothing", "estate/bins/bin-1", `{"data":{"fill":3}`, nil, recv, []string{"payload:syntax"}},
		{"json no known signal", "estate/bins/bin-1", `{"rssi":-70}`, nil, recv, []string{"payload:missing"}},
		{"json null value", "estate/bins/bin-1", `{"data":{"fill":null}}`, nil, recv, []string{"payload:missing"}},
		{"json fixed signal scalar", "estate/doors/gate/state", `true`, []pv{{"door-1", "open", 1, true}}, recv, nil},
		{"json fixed signal value key", "estate/doors/gate/state", `{"value":false}`, []pv{{"door-1", "open", 0, true}}, recv, nil},
		{"plain signal from topic", "estate/rooms/room-1/flood", "ON", []pv{{"room-1", "flood", 1, true}}, recv, nil},
		{"plain unknown signal", "estate/rooms/room-1/humidity", "40", nil, recv, []string{"unknown:signal"}},
		{"reserved status signal", "estate/rooms/room-1/_status", "0", nil, recv, []string{"unknown:signal"}},
		{"influx fields to signals", "estate/lp/pumps", "pump,device=pump-1 running=t,current=12.5 1795755598000000000",
			[]pv{{"pump-1", "running", 1, true}, {"pump-1", "current", 12.5, false}}, devTime, nil},
		{"influx unknown field", "estate/lp/pumps", "pump,device=pump-1 current=1,volts=230",
			[]pv{{"pump-1", "current", 1, false}}, recv, []string{"unknown:signal"}},
		{"influx no device", "estate/lp/pumps", "pump current=1", nil, recv, []string{"unknown:device"}},
		{"influx garbage", "estate/lp/pumps", "pump,device=pump-1 current=", nil, recv, []string{"payload:syntax"}},
		{"unmapped topic", "other/topic", "1", nil, recv, []string{"unknown:topic"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := m.decode(tc.topic, []byte(tc.body), recv, nil)
			checkPoints(t, d.points, tc.want, tc.wantTime)
			checkErrs(t, d.errs, tc.errs, tc.topic)
		})
	}
}

func checkPoints(t *testing.T, got []collectors.Point, want []pv, at time.Time) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d points %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i, p := range got {
		w := want[i]
		if p.Device != w.device || p.Signal != w.signal || p.Value != w.value || p.Bool != w.isBool || p.Site != "demo" {
			t.Errorf("point %d = %+v, want %+v", i, p, w)
		}
		if !p.Time.Equal(at) || p.Kind == "" || p.Area == "" || p.Quality != collectors.Good {
			t.Errorf("point %d time/kind/area/quality = %v %q %q %v", i, p.Time, p.Kind, p.Area, p.Quality)
		}
	}
}

func checkErrs(t *testing.T, got []error, want []string, topic string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("errors %v, want %v", got, want)
	}
	for i, err := range got {
		var label string
		var pe *PayloadError
		if what, ok := isUnknown(err); ok {
			label = "unknown:" + what
		} else if errors.As(err, &pe) {
			label = "payload:" + string(pe.Reason())
		}
		if label != want[i] {
			t.Errorf("error %d = %v (%s), want %s", i, err, label, want[i])
		}
		if !strings.Contains(err.Error(), topic) {
			t.Errorf("error %q does not name topic %q", err, topic)
		}
	}
}

func TestPayloadErrorQuotesHead(t *testing.T) {
	m, _ := newMapping(testSite("tcp://x:1"))
	body := strings.Repeat("x", 100)
	d := m.decode("estate/bins/bin-1", []byte(body), time.Now(), nil)
	var pe *PayloadError
	if len(d.errs) != 1 || !errors.As(d.errs[0], &pe) {
		t.Fatalf("errs = %v", d.errs)
	}
	if len(pe.Head) != headLen || pe.Reason() != payload.Syntax {
		t.Errorf("head %q reason %s", pe.Head, pe.Reason())
	}
	if !strings.Contains(pe.Error(), `device "bin-1"`) {
		t.Errorf("error %q does not name the device", pe)
	}
}
