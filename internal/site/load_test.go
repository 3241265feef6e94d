package site

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const demoFile = "../../seeds/sites/demo.yaml"

func TestDemoLoadsClean(t *testing.T) {
	s, err := Load(demoFile)
	if err != nil {
		t.Fatalf("demo.yaml:\n%v", err)
	}
	if s.ID != "demo" || s.Location == nil || s.Location.String() != "Asia/Shanghai" {
		t.Errorf("site %q location %v", s.ID, s.Location)
	}
	if len(s.Areas) < 5 || len(s.Devices) < 5 || len(s.MQTT.Subscriptions) == 0 || len(s.Modbus.Gateways) == 0 {
		t.Errorf("demo too small: %d areas, %d devices", len(s.Areas), len(s.Devices))
	}
	d, ok := s.Device("fire-tank-1")
	if !ok || d.Pos.File != demoFile || d.Pos.Line == 0 {
		t.Fatalf("fire-tank-1 missing or without position: %+v", d)
	}
	if sg, ok := d.Signal("level"); !ok || sg.Modbus == nil || sg.Modbus.Pos.Line <= d.Pos.Line {
		t.Errorf("level signal: %+v", sg)
	}
}

// small is a valid site for tests to change.
const small = `site: t
timezone: UTC
areas: [{id: a}]
modbus:
  gateways:
    - {id: g, transport: tcp, address: "127.0.0.1:502"}
devices:
  - id: d
    kind: pump
    area: a
    modbus: {gateway: g, unit: 1}
    signals:
      - {name: s, type: state, modbus: {table: coil, address: 0}}
`

func mustParse(t *testing.T, src string, e env) *Site {
	t.Helper()
	s, err := parse("t.yaml", []byte(src), e)
	if err != nil {
		t.Fatalf("parse:\n%v", err)
	}
	return s
}

func TestDefaults(t *testing.T) {
	s := mustParse(t, small, noEnv)
	in, sp := s.Storage.Influx, s.Storage.Spool
	g, m := s.Modbus.Gateways[0], s.Devices[0].Modbus
	checks := []struct {
		name      string
		got, want any
	}{
		{"http.listen", s.HTTP.Listen, "127.0.0.1:8080"},
		{"spool.max_bytes", sp.MaxBytes, ByteSize(1 << 30)},
		{"spool.segment_bytes", sp.SegmentBytes, ByteSize(16 << 20)},
		{"spool.sync_window", sp.SyncWindow, Duration(0)},
		{"influx.batch_size", in.BatchSize, 5000},
		{"influx.flush_interval", in.FlushInterval, Duration(time.Second)},
		{"influx.timeout", in.Timeout, Duration(10 * time.Second)},
		{"influx.gzip", *in.Gzip, true},
		{"gateway.timeout", g.Timeout, Duration(time.Second)},
		{"gateway.max_gap", *g.MaxGap, 10},
		{"device.modbus.interval", m.Interval, Duration(time.Second)},
		{"device.modbus.timeout", m.Timeout, Duration(time.Second)},
		{"device.modbus.retries", m.Retries, 1},
		{"device.modbus.offline_after", m.OfflineAfter, 3},
		{"mqtt.client_id", s.MQTT.ClientID, "facmon-t"},
		{"signal.scale", *s.Devices[0].Signals[0].Scale, 1.0},
		{"register.type", s.Devices[0].Signals[0].Modbus.Type, "bool"},
		{"register.order", s.Devices[0].Signals[0].Modbus.Order, "ABCD"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v (%T), want %v (%T)", c.got, c.got, c.want, c.want)
			}
		})
	}
}

func TestDefaultsKeepExplicitZero(t *testing.T) {
	src := strings.Replace(small, "unit: 1}", "unit: 1, retries: 0}", 1) + `mqtt:
  url: tcp://127.0.0.1:1883
  subscriptions:
    - {topic: "x/{device}", format: json, qos: 0}
storage:
  influx: {gzip: false}
  spool: {sync_window: 5ms}
`
	s := mustParse(t, src, noEnv)
	if r := s.Devices[0].Modbus.Retries; r != 0 {
		t.Errorf("retries = %d, want the written 0", r)
	}
	if q := s.MQTT.Subscriptions[0].QoS; q != 0 {
		t.Errorf("qos = %d, want the written 0", q)
	}
	if *s.Storage.Influx.Gzip {
		t.Error("gzip = true, want the written false")
	}
	if w := s.Storage.Spool.SyncWindow; w != Duration(5*time.Millisecond) {
		t.Errorf("sync_window = %v, want the written 5ms", w)
	}
}

func TestManyErrorsAllReported(t *testing.T) {
	src := `site: Bad Site
timezone: Mars/Olympus
areas:
  - id: a
  - id: a
devices:
  - id: d
    kind: pumpp
    area: nowhere
    colour: red
    signals:
      - {name: level, type: analog}
      - {name: level, type: state}
      - {name: _status, type: state}
storage:
  spool: {max_bytes: lots}
`
	_, err := parse("many.yaml", []byte(src), noEnv)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %T, want Errors: %v", err, err)
	}
	want := []string{
		`many.yaml:1:7: site id invalid`,
		`many.yaml:2:11: timezone "Mars/Olympus" unknown`,
		`many.yaml:5:9: area "a": defined twice (first at line 4)`,
		`many.yaml:8:11: device "d": kind "pumpp" unknown`,
		`many.yaml:9:11: device "d": area "nowhere" not defined`,
		`many.yaml:10:5: device "d": unknown key "colour"`,
		`many.yaml:12:9: device "d": signal "level": unit missing`,
		`many.yaml:13:16: device "d": signal "level": defined twice (first at line 12)`,
		`many.yaml:14:16: device "d": signal "_status": name is reserved`,
		`many.yaml:16:22: storage.spool.max_bytes: size "lots" invalid`,
	}
	if len(errs) != len(want) {
		t.Errorf("got %d errors, want %d:\n%v", len(errs), len(want), err)
	}
	for i, w := range want {
		if i < len(errs) && !strings.HasPrefix(errs[i].Error(), w) {
			t.Errorf("error %d = %q, want prefix %q", i, errs[i].Error(), w)
		}
	}
	if lines := strings.Split(err.Error(), "\n"); len(lines) != len(errs) {
		t.Errorf("Error() has %d lines for %d errors", len(lines), len(errs))
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 1 || !strings.Contains(errs[0].Error(), "nope.yaml: cannot read site file") {
		t.Fatalf("got %v", err)
	}
}

func TestMergeKeys(t *testing.T) {
	src := `site: t
timezone: UTC
areas: [{id: a}, {id: b}]
devices:
  - &zone {id: z1, kind: perimeter_zone, area: a, signals: [{name: alarm, type: state}]}
  - <<: *zone
    id: z2
    area: b
`
	s := mustParse(t, src, noEnv)
	z2, ok := s.Device("z2")
	if !ok || z2.Kind != "perimeter_zone" || z2.Area != "b" || len(z2.Signals) != 1 {
		t.Fatalf("z2 = %+v", z2)
	}
	if z2.Pos.Line != 6 {
		t.Errorf("z2 at line %d, want 6 (its own mapping, not the anchor)", z2.Pos.Line)
	}
}

func TestLookups(t *testing.T) {
	s := mustParse(t, small, noEnv)
	tests := []struct {
		name string
		ok   bool
	}{
		{"device d", must2(s.Device("d"))},
		{"device x", !must2(s.Device("x"))},
		{"area a", must2(s.Area("a"))},
		{"area x", !must2(s.Area("x"))},
		{"gateway g", must2(s.Gateway("g"))},
		{"gateway x", !must2(s.Gateway("x"))},
		{"signal s", must2(s.Devices[0].Signal("s"))},
		{"signal x", !must2(s.Devices[0].Signal("x"))},
		{"devices in a", len(s.DevicesIn("a")) == 1},
		{"kind pump known", KnownKind("pump")},
		{"kind pumpp unknown", !KnownKind("pumpp")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Fail()
			}
		})
	}
}

func must2[T any](_ T, ok bool) bool { return ok }

func TestSignalApply(t *testing.T) {
	scale := 0.1
	tests := []struct {
		name string
		sg   Signal
		raw  float64
		want float64
	}{
		{"unset scale", Signal{Offset: 2}, 10, 12},
		{"scale and offset", Signal{Scale: &scale, Offset: -5}, 100, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sg.Apply(tt.raw); got != tt.want {
				t.Errorf("Apply(%v) = %v, want %v", tt.raw, got, tt.want)
			}
		})
	}
}

func TestKindsDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds {
		if k.Description == "" || !idPattern.MatchString(k.Name) || seen[k.Name] {
			t.Errorf("kind %+v: empty description, bad name or repeated", k)
		}
		seen[k.Name] = true
	}
	doc, err := os.ReadFile("../../docs/site-file.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds {
		if !bytes.Contains(doc, []byte("`"+k.Name+"`")) {
			t.Errorf("kind %s not in docs/site-file.md", k.Name)
		}
	}
}

func TestRedactedRoundTrip(t *testing.T) {
	s, err := Load(demoFile)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Redacted()
	if err != nil {
		t.Fatal(err)
	}
	again, err := parse(demoFile, out, noEnv)
	if err != nil {
		t.Fatalf("Redacted output does not load:\n%v\n%s", err, out)
	}
	a, _ := again.Redacted()
	if !bytes.Equal(out, a) {
		t.Errorf("second round differs:\n%s\n---\n%s", out, a)
	}
}

// secretEnv serves secret files from a map and variables from another.
func secretEnv(files, vars map[string]string) env {
	return env{
		readFile: func(p string) ([]byte, error) {
			if v, ok := files[p]; ok {
				return []byte(v), nil
			}
			return nil, &os.PathError{Op: "open", Path: p, Err: os.ErrNotExist}
		},
		getenv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
	}
}

func TestSecrets(t *testing.T) {
	src := small + `storage:
  influx: {url: "http://127.0.0.1:8086", bucket: facmon/autogen, token_file: secrets/influx}
mqtt:
  url: tcp://127.0.0.1:1883
  password_file: /run/mqtt-pass
`
	files := map[string]string{"conf/secrets/influx": "tok-from-file\n", "/run/mqtt-pass": "pw-from-file"}
	tests := []struct {
		name          string
		vars          map[string]string
		token, passwd string
	}{
		{"files, relative to the site file", nil, "tok-from-file", "pw-from-file"},
		{"env overrides", map[string]string{EnvInfluxToken: "tok-env", EnvMQTTPassword: "pw-env"}, "tok-env", "pw-env"},
		{"empty env ignored", map[string]string{EnvInfluxToken: ""}, "tok-from-file", "pw-from-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parse("conf/site.yaml", []byte(src), secretEnv(files, tt.vars))
			if err != nil {
				t.Fatal(err)
			}
			if s.Storage.Influx.Token.Reveal() != tt.token || s.MQTT.Password.Reveal() != tt.passwd {
				t.Errorf("token %q password %q", s.Storage.Influx.Token.Reveal(), s.MQTT.Password.Reveal())
			}
			out, _ := s.Redacted()
			if bytes.Contains(out, []byte(tt.token)) || bytes.Contains(out, []byte(tt.passwd)) ||
				!bytes.Contains(out, []byte("token: <secret>")) || !bytes.Contains(out, []byte("password: <secret>")) {
				t.Errorf("Redacted:\n%s", out)
			}
		})
	}
}

func TestTLSPathsResolved(t *testing.T) {
	src := small + "mqtt:\n  url: ssl://h:8883\n  tls: {ca_file: ca.pem, cert_file: /etc/c.pem}\n"
	s, err := parse("conf/site.yaml", []byte(src), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if tls := s.MQTT.TLS; tls.CAFile != "conf/ca.pem" || tls.CertFile != "/etc/c.pem" || tls.KeyFile != "" {
		t.Errorf("tls = %+v", tls)
	}
}

func TestEnvSecretWithoutFile(t *testing.T) {
	src := small + "storage:\n  influx: {url: \"http://h:8086\", bucket: b, token_file: missing}\n"
	s, err := parse("site.yaml", []byte(src), secretEnv(nil, map[string]string{EnvInfluxToken: "t"}))
	if err != nil || s.Storage.Influx.Token.Reveal() != "t" {
		t.Fatalf("env must win over an unreadable file: %v", err)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	sec := Secret("hunter2")
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "token", sec)
	js, _ := json.Marshal(struct{ T Secret }{sec})
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", sec),
		"%s":   fmt.Sprintf("%s", sec),
		"%q":   fmt.Sprintf("%q", sec),
		"%#v":  fmt.Sprintf("%#v", sec),
		"%+v":  fmt.Sprintf("%+v", struct{ T Secret }{sec}),
		"slog": logBuf.String(),
		"json": string(js),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, "hunter2") || !strings.Contains(out, "secret") {
				t.Errorf("%s printed %q", name, out)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		e    Error
		want string
	}{
		{"full", Error{Pos: Pos{File: "a.yaml", Line: 4, Col: 7}, Msg: "m"}, "a.yaml:4:7: m"},
		{"no column", Error{Pos: Pos{File: "a.yaml", Line: 4, Col: 0}, Msg: "m"}, "a.yaml:4: m"},
		{"no line", Error{Pos: Pos{File: "a.yaml", Line: 0, Col: 0}, Msg: "m"}, "a.yaml: m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
