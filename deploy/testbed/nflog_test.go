package testbed

import (
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// meshEntry encodes an nflog MeshEntry as Alertmanager's nflogpb does,
// firing alerts packed.
func meshEntry(gk string, ts time.Time, firing ...uint64) []byte {
	var rcv, stamp, packed, entry, mesh []byte
	rcv = protowire.AppendTag(rcv, 1, protowire.BytesType)
	rcv = protowire.AppendString(rcv, "duty")
	rcv = protowire.AppendTag(rcv, 2, protowire.BytesType)
	rcv = protowire.AppendString(rcv, "webhook")
	stamp = protowire.AppendTag(stamp, 1, protowire.VarintType)
	stamp = protowire.AppendVarint(stamp, uint64(ts.Unix()))
	stamp = protowire.AppendTag(stamp, 2, protowire.VarintType)
	stamp = protowire.AppendVarint(stamp, uint64(ts.Nanosecond()))
	for _, f := range firing {
		packed = protowire.AppendVarint(packed, f)
	}
	entry = protowire.AppendTag(entry, 1, protowire.BytesType)
	entry = protowire.AppendString(entry, gk)
	entry = protowire.AppendTag(entry, 2, protowire.BytesType)
	entry = protowire.AppendBytes(entry, rcv)
	entry = protowire.AppendTag(entry, 5, protowire.BytesType)
	entry = protowire.AppendBytes(entry, stamp)
	entry = protowire.AppendTag(entry, 6, protowire.BytesType)
	entry = protowire.AppendBytes(entry, packed)
	mesh = protowire.AppendTag(mesh, 1, protowire.BytesType)
	mesh = protowire.AppendBytes(mesh, entry)
	mesh = protowire.AppendTag(mesh, 2, protowire.BytesType)
	mesh = protowire.AppendBytes(mesh, stamp)
	return protowire.AppendBytes(nil, mesh)
}

func TestDecodeNflog(t *testing.T) {
	ts := time.Date(2026, 12, 7, 0, 1, 2, 345000000, time.UTC)
	gk := `{}:{alertname="intrusion", device="pz-1", site="s0", site_name="小区s0"}`
	b := append(meshEntry(gk, ts, 1<<63+5, 7), meshEntry(`{}:{alertname="x"}`, ts.Add(time.Second))...)
	got, err := decodeNflog(b)
	if err != nil || len(got) != 2 {
		t.Fatalf("decodeNflog = %v, %v; want 2 entries", got, err)
	}
	e := got[0]
	if e.GroupKey != gk || e.Receiver != "duty/webhook/0" || !e.Timestamp.Equal(ts) || e.Firing != 2 || e.Resolved != 0 {
		t.Errorf("entry = %+v", e)
	}
	if !e.HasLabel("site", "s0") || !e.HasLabel("alertname", "intrusion") || e.HasLabel("site", "小区s0") || e.HasLabel("name", "小区s0") {
		t.Errorf("HasLabel wrong on %s", gk)
	}
	if _, err := decodeNflog(b[:len(b)-3]); err == nil {
		t.Error("truncated snapshot decoded without error")
	}
}

// FuzzDecodeNflog: a snapshot file is outside input; any bytes give
// entries or an error, never a panic.
func FuzzDecodeNflog(f *testing.F) {
	f.Add(meshEntry(`{}:{alertname="intrusion"}`, time.Unix(1, 2), 3))
	f.Add([]byte{0x05, 0x0a, 0x03, 0x0a, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeNflog(b)
	})
}
