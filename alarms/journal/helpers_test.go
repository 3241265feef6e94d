package journal

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"facmon/alarms"
)

// crcTab is the frames' checksum table (CRC-32C), to forge frames.
var crcTab = crc32.MakeTable(crc32.Castagnoli)

// testClock is a clock that advances one second per reading.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time {
	c.t = c.t.Add(time.Second)
	return c.t
}

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

// open opens a journal in dir with a fresh registry, closed at cleanup.
func open(t testing.TB, dir string, o Options) (*Journal, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	o.Dir, o.Registerer = dir, reg
	if o.VerifyInterval == 0 {
		o.VerifyInterval = -1
	}
	j, err := Open(o)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { j.Close() })
	return j, reg
}

func chainOK(t testing.TB, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "facmon_journal_chain_ok" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("facmon_journal_chain_ok not registered")
	return -1
}

func metric(t testing.TB, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	v, err := testutil.GatherAndCount(reg, name)
	if err != nil || v != 1 {
		t.Fatalf("metric %s: %d series, %v", name, v, err)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		switch {
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		}
	}
	return -1
}

// transition returns the record of the i-th test transition: raises on
// even i, the ack of the alarm before on odd i.
func transition(i int) Record {
	tr := alarms.Transition{
		ID: fmt.Sprintf("intrusion/zone-%d/%d", i/2, i/2), Rule: "intrusion", Site: "demo",
		Device: fmt.Sprintf("zone-%d", i/2), Severity: alarms.Critical, Change: alarms.Raise,
		Message: "周界入侵", Cite: "篇3·二十二·5", Value: 41, Time: t0.Add(time.Duration(i) * time.Second),
		From: alarms.Normal, To: alarms.ActiveUnacked,
	}
	if i%2 == 1 {
		tr.Change, tr.By, tr.From, tr.To = alarms.Ack, "operator-wang", alarms.ActiveUnacked, alarms.ActiveAcked
	}
	r, err := FromTransition(tr)
	if err != nil {
		panic(err)
	}
	return r
}

// appendN appends transitions from..to-1, batch records per Append.
func appendN(t testing.TB, j *Journal, from, to, batch int) {
	t.Helper()
	for i := from; i < to; i += batch {
		var recs []Record
		for k := i; k < min(i+batch, to); k++ {
			recs = append(recs, transition(k))
		}
		if _, err := j.Append(context.Background(), recs...); err != nil {
			t.Fatal(err)
		}
	}
}

// frameLoc is where one frame sits in a segment file.
type frameLoc struct {
	off, size int64 // frame offset and payload size
}

// framesOf walks the well-formed frames of a segment file.
func framesOf(t testing.TB, path string) []frameLoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []frameLoc
	for off := int64(headerSize); off+frameHeader <= int64(len(b)); {
		n := int64(binary.LittleEndian.Uint32(b[off:]))
		out = append(out, frameLoc{off, n})
		off += frameHeader + n
	}
	return out
}

// segments returns the segment paths of dir, oldest first.
func segments(t testing.TB, dir string) []string {
	t.Helper()
	ids, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, id := range ids {
		out = append(out, filepath.Join(dir, segName(id)))
	}
	return out
}

// fixCRC recomputes the CRC of the frame at f in b.
func fixCRC(b []byte, f frameLoc) {
	p := b[f.off+frameHeader : f.off+frameHeader+f.size]
	binary.LittleEndian.PutUint32(b[f.off+4:], crc32.Checksum(p, crcTab))
}
