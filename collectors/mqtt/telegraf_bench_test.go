package mqtt

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"facmon/deploy/testbed"
)

// telegrafBin is Telegraf 1.37 built into the test cache
// (`go install github.com/influxdata/telegraf/cmd/telegraf@v1.37.2`, which
// `make bench-prereqs` does); without it the Telegraf mode is skipped.
func telegrafBin() string {
	p := filepath.Join(testbed.CacheDir(), "bin", "telegraf")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// telegrafConf is Telegraf with its default mqtt_consumer settings (as the
// issue's baseline: max_undelivered_messages 1000, json parser) writing to
// InfluxDB through outputs.influxdb_v2, into its own measurement.
func telegrafConf(mqttURL, influxURL, id string) string {
	return fmt.Sprintf(`[agent]
  interval = "1s"
  flush_interval = "1s"
  metric_batch_size = 5000
  metric_buffer_limit = 100000
  omit_hostname = true
[[outputs.influxdb_v2]]
  urls = [%q]
  token = "unused"
  organization = ""
  bucket = "facmon/autogen"
[[inputs.mqtt_consumer]]
  servers = [%q]
  topics = ["bench/+"]
  qos = 1
  persistent_session = true
  client_id = %q
  data_format = "json"
  name_override = "telegraf_pump"
`, influxURL, mqttURL, id)
}

// benchTelegraf runs Telegraf as the subscriber of one mode and reports it
// like the facmon children report themselves: messages that reached
// InfluxDB (Telegraf may lose some), seconds from start until the count
// stopped growing, its CPU seconds and peak RSS read from /proc.
func benchTelegraf(b *testing.B, broker, influxURL string, in *testbed.Influx, id string, n int, live bool) benchResult {
	b.Helper()
	dir := b.TempDir()
	conf := filepath.Join(dir, "telegraf.conf")
	if err := os.WriteFile(conf, []byte(telegrafConf(broker, influxURL, id)), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(telegrafBin(), "--config", conf)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if live {
		publishBench(b, broker, n)
	}
	var got int64
	last, lastChange := int64(-1), time.Now()
	for time.Since(lastChange) < 10*time.Second && got < int64(n) {
		time.Sleep(100 * time.Millisecond)
		got, _ = in.Count(`SELECT count("level") FROM "telegraf_pump"`)
		if got != last {
			last, lastChange = got, time.Now()
		}
	}
	secs := lastChange.Sub(start).Seconds()
	cpu, rss := procStats(cmd.Process.Pid)
	if _, err := in.Query(`DROP MEASUREMENT "telegraf_pump"`); err != nil {
		b.Fatal(err)
	}
	if got < int64(n) {
		b.Logf("telegraf lost %d of %d messages", int64(n)-got, n)
	}
	return benchResult{Mode: "telegraf", Messages: int(got), Seconds: secs, CPU: cpu, MaxRSSKB: rss}
}

// procStats reads a live process's CPU seconds and peak RSS (kB).
func procStats(pid int) (cpu float64, rssKB int64) {
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 12 {
			ut, _ := strconv.ParseFloat(f[11], 64)
			st, _ := strconv.ParseFloat(f[12], 64)
			cpu = (ut + st) / 100 // USER_HZ
		}
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmHWM:") {
				rssKB, _ = strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			}
		}
	}
	return cpu, rssKB
}
