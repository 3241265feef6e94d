package lifecycle

import (
	"testing"
)

// FuzzRestore: a damaged snapshot or journal payload (read from disk) is
// an error or ignored, never a panic.
func FuzzRestore(f *testing.F) {
	f.Add([]byte(`{"alarms":[{"id":"a/b/1","rule":"tamper","device":"pz-3","to":"active-unacknowledged","hold":"shelved"}],"zones":{"zone-3":"bypassed"}}`),
		uint8(1), "raise", []byte(`{"id":"a/b/1","rule":"r","device":"d","change":"raise","to":"latched"}`))
	f.Add([]byte(nil), uint8(2), "disarm", []byte(`{"zone":"zone-3","state":"disarmed"}`))
	f.Add([]byte(`{"points":{"r\u0000d":{"shelved_until":"2026-01-01T00:00:00Z"}}}`), uint8(2), "shelve",
		[]byte(`{"id":"x","change":"shelve","shelved_until":"2026-01-01T00:00:00Z"}`))
	f.Fuzz(func(t *testing.T, snap []byte, typ uint8, action string, payload []byte) {
		x := newH(t)
		_ = x.m.Restore(snap, 0, []Entry{{Seq: 1, Type: EntryType(typ), Action: action, Payload: payload}})
		_ = x.m.Board()
		_ = x.m.Zones()
		_ = x.m.Adopted()
	})
}
