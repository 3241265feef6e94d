package outbox

import (
	"bytes"
	"testing"
)

// FuzzReplay reads an outbox log of arbitrary bytes (a torn or corrupted
// file after a crash or a bad disk): no panic, no huge allocation, and
// every entry kept is complete.
func FuzzReplay(f *testing.F) {
	var good []byte
	good = appendRecord(good, record{Op: "add", Entry: &Entry{ID: "a", Receiver: "r", Body: []byte(`{}`)}})
	good = appendRecord(good, record{Op: "add", Entry: &Entry{ID: "b", Receiver: "r", Body: []byte(`{"x":1}`)}})
	good = appendRecord(good, record{Op: "done", ID: "a", Receiver: "r"})
	f.Add(good)
	f.Add(good[:len(good)-2])
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		o := &Outbox{pending: map[key]*Entry{}, seqOf: map[key]uint64{}}
		o.replayFrom(bytes.NewReader(data))
		for k, e := range o.pending {
			if e == nil || e.ID != k.id || e.Receiver != k.receiver {
				t.Fatalf("pending %v holds %+v", k, e)
			}
		}
		if len(o.pendingLocked()) != len(o.pending) {
			t.Fatal("order lost an entry")
		}
	})
}
