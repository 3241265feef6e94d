package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// TestGroupConsole: the console served by `facmon centre` over a real
// central Mosquitto shows each site as a tile coloured by its worst alarm
// and saying how many of its devices are offline or faulty (from the
// sites' retained status, and live), lists each device under its site,
// names the site in each alarm's place, and its site filter narrows the
// list to one site.
func TestGroupConsole(t *testing.T) {
	needBrowser(t)
	central := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	empty := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"transitions":[],"more":false}`))
	}))
	t.Cleanup(empty.Close)
	dir := t.TempDir()
	conf := fmt.Sprintf("name: 集团监控中心\ntimezone: Asia/Shanghai\nbroker: {url: %q}\nsites:\n", central.URL)
	for _, s := range [][2]string{{"s1", "东区"}, {"s2", "西区"}} {
		if err := os.WriteFile(filepath.Join(dir, s[0]+".key"), []byte(strings.Repeat("k", 32)), 0o600); err != nil {
			t.Fatal(err)
		}
		conf += fmt.Sprintf("  - {id: %s, name: %s, url: %q, token_file: %s.key, key_file: %s.key}\n", s[0], s[1], empty.URL, s[0], s[0])
	}
	if err := os.WriteFile(filepath.Join(dir, "centre.yaml"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	bin := facmonBinary(t)
	add := exec.Command(bin, "user", "add", "op", "--role", "operator", "--data-dir", data)
	add.Stdin = strings.NewReader("op-password\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	f := &facmon{t: t, bin: bin, addr: fmt.Sprintf("127.0.0.1:%d", testbed.FreePort(t)), log: &testsupport.LockedBuffer{}, scheme: "http"}
	f.cmd = exec.Command(bin, "centre", "--config", filepath.Join(dir, "centre.yaml"), "--data-dir", data, "--listen", f.addr)
	f.cmd.Stdout, f.cmd.Stderr = f.log, f.log
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := f.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.stop)
	f.waitFor(30*time.Second, "centre up", func() bool { return get(f.url("/healthz"), "", "") != "" })

	cl := mqttClient(t, central.URL)
	send := func(topic, body string) {
		if tok := cl.Publish(topic, 1, false, body); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", topic, tok.Error())
		}
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	alarm := func(site, sev string) string {
		return fmt.Sprintf(`{"id":"intrusion/pz-1/1","rule":"intrusion","site":%q,"area":"wall","kind":"perimeter_zone","device":"pz-1","severity":%q,"message":"pz-1 入侵","change":"raise","from":"normal","to":"active-unacknowledged","time":%q,"active_since":%q,"seq":1}`, site, sev, now, now)
	}
	status := func(site, dev, st string) {
		body := fmt.Sprintf(`{"site":%q,"device":%q,"status":%q,"time":%q}`, site, dev, st, time.Now().UTC().Format(time.RFC3339Nano))
		if tok := cl.Publish("facmon/"+site+"/status/"+dev, 1, true, body); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			t.Fatalf("publish status: %v", tok.Error())
		}
	}
	status("s1", "pump-1", "offline")
	status("s2", "meter-1", "fault")
	f.waitFor(20*time.Second, "centre has both devices' status", func() bool {
		return strings.Count(get(f.url("/api/v1/devices"), "op", "op-password"), `"status"`) == 2
	})
	b := newBrowser(t)
	b.login(t, f, "op")
	until(t, b, 10*time.Second, "tiles count devices down",
		`document.querySelector('#map g[data-area="s1"]').textContent.includes("设备离线 1 · 故障 0") && document.querySelector('#map g[data-area="s2"]').textContent.includes("设备离线 0 · 故障 1")`)
	until(t, b, 10*time.Second, "devices listed under their site",
		`(() => { const r = document.querySelector('#device-rows tr[data-device="s1:pump-1"]'); return !!r && r.textContent.includes("东区") && r.textContent.includes("离线"); })()`)
	status("s1", "pump-1", "online") // a live change, through the event stream
	until(t, b, 10*time.Second, "tile back to no devices down", `!document.querySelector('#map g[data-area="s1"]').dataset.note`)
	send("facmon/s1/alarm", alarm("s1", "critical"))
	send("facmon/s2/alarm", alarm("s2", "minor"))
	f.waitFor(20*time.Second, "centre applied both", func() bool {
		return strings.Contains(get(f.url("/metrics"), "op", "op-password"), `facmon_centre_transitions_total{result="applied"} 2`)
	})
	deadline := time.Now().Add(20 * time.Second)
	for eval[float64](t, b, `document.querySelectorAll("#alarm-rows tr").length`) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("both sites' alarms not listed; page: %s\napi: %s", eval[string](t, b, `document.getElementById("alarm-table").innerText + " | conn " + window.facmon.connected`),
				get(f.url("/api/v1/alarms"), "op", "op-password"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	until(t, b, 10*time.Second, "tiles coloured by worst alarm",
		`document.querySelector('#map g[data-area="s1"]').classList.contains("worst-critical") && document.querySelector('#map g[data-area="s2"]').classList.contains("worst-minor")`)
	until(t, b, 10*time.Second, "the site named in the place column", `[...document.querySelectorAll("#alarm-rows tr")].some((r) => r.textContent.includes("东区 · wall"))`)
	b.do(t, "filter to 西区", chromedp.SetValue(chromedp.ID("site-filter"), "s2"))
	eval[bool](t, b, `document.getElementById("site-filter").dispatchEvent(new Event("change"))`)
	until(t, b, 10*time.Second, "only 西区 listed", `(() => { const rs = [...document.querySelectorAll("#alarm-rows tr")].filter((r) => !r.hidden && r.isConnected && r.offsetParent !== null); return rs.length === 1 && rs[0].textContent.includes("西区"); })()`)
}
