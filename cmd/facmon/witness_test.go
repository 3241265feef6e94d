package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"facmon/deploy/testbed"
	"facmon/internal/testsupport"
)

// TestJournalWitness is issue 12's witness test with the real binary and
// a real Mosquitto and InfluxDB: facmon publishes the journal head retained
// on facmon/<site>/journal/head and as a journal_head point; after a kill -9 (an honest crash) `journal
// verify --witness` passes and the restart loses no acknowledged record;
// damaging, cutting or removing the newest record then exits 1 each time,
// where the plain verify took each for a torn append or a shorter journal.
func TestJournalWitness(t *testing.T) {
	mq := testbed.StartMosquitto(t, testbed.MosquittoOptions{})
	in := testbed.StartInflux(t)
	dir := t.TempDir()
	cfg := writeSite(t, dir, burstSite(2, mq.URL)+fmt.Sprintf("storage:\n  influx: {url: %q, bucket: %q, flush_interval: 200ms}\n", in.URL, in.Bucket()))
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(burstRules), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	fm := startFacmon(t, "--config", cfg, "--data-dir", data)
	testsupport.Eventually(t, 30*time.Second, "mqtt connected", func() bool { return fm.metric("facmon_mqtt_connected") == "1" }, fm.log)
	for _, z := range []string{"zone-d", "zone-b", "zone-0"} {
		if code, body := post(fm.url("/api/v1/zones/"+z+"/arm"), ""); code != 200 {
			t.Fatalf("arm %s: %d %s", z, code, body)
		}
	}
	verify := func(args ...string) (int, string) {
		var out bytes.Buffer
		cmd := exec.Command(facmonBin, append([]string{"journal", "verify", "--data-dir", data}, args...)...)
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return code, out.String()
	}
	witnessed := func() (int, string) { return verify("--witness", "--config", cfg) }
	// The head reaches the broker within seconds of the last action.
	testsupport.Eventually(t, 20*time.Second, "both witnesses to cover the arms", func() bool {
		code, out := witnessed()
		return code == 0 && strings.Contains(out, "witness mqtt: record 3") && strings.Contains(out, "witness influxdb: record 3")
	}, fm.log)
	_ = fm.cmd.Process.Signal(syscall.SIGKILL)
	_ = fm.cmd.Wait()
	code, out := witnessed()
	t.Logf("after kill -9: exit %d\n%s", code, out)
	if code != 0 {
		t.Fatalf("verify --witness after an honest kill -9: exit %d\n%s", code, out)
	}

	seg := newestSegment(t, filepath.Join(data, "journal"))
	orig, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	start, size := lastFrame(t, orig)
	for _, tc := range []struct {
		name  string
		bytes func() []byte
	}{
		{"damaged", func() []byte {
			b := bytes.Clone(orig)
			b[start+8+size/2] ^= 0xff
			return b
		}},
		{"cut", func() []byte { return bytes.Clone(orig[:start+8+size/2]) }},
		{"removed", func() []byte { return bytes.Clone(orig[:start]) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(seg, tc.bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(seg, orig, 0o600)
			plain, pout := verify()
			code, out := witnessed()
			t.Logf("plain verify: exit %d: %s\nwith the witness: exit %d: %s", plain, pout, code, out)
			if code != 1 || !strings.Contains(out, "BROKEN") {
				t.Fatalf("verify --witness with the newest record %s: exit %d\n%s", tc.name, code, out)
			}
		})
	}
	t.Run("removed, broker down: the InfluxDB witness", func(t *testing.T) {
		mq.Stop()
		if err := os.WriteFile(seg, orig[:start], 0o600); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(seg, orig, 0o600)
		code, out := witnessed()
		t.Logf("exit %d: %s", code, out)
		if code != 1 || !strings.Contains(out, "witness influxdb: record 3") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})
}

// newestSegment is the newest segment file of a journal directory.
func newestSegment(t *testing.T, dir string) string {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.jrn"))
	if len(segs) == 0 {
		t.Fatalf("no segments in %s", dir)
	}
	return segs[len(segs)-1]
}

// lastFrame finds the offset and payload size of the last whole frame
// (length + CRC + payload) after the segment's header.
func lastFrame(t *testing.T, b []byte) (int, int) {
	t.Helper()
	const segmentHeader = 52 // alarms/journal's segment header
	off, last, size := segmentHeader, -1, 0
	for off+8 <= len(b) {
		n := int(binary.LittleEndian.Uint32(b[off:]))
		if off+8+n > len(b) {
			break
		}
		last, size = off, n
		off += 8 + n
	}
	if last < 0 {
		t.Fatal("no frame in the newest segment")
	}
	return last, size
}
