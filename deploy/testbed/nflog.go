package testbed

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// NflogEntry is one entry of an Alertmanager's notification log: a
// receiver was notified of an alert group (by this member, or by a peer
// whose entry this member merged from the cluster's gossip).
type NflogEntry struct {
	// GroupKey is the route's key and the group's labels,
	// `{}:{alertname="intrusion", device="pz-1", ...}`.
	GroupKey string
	// Receiver is group/integration/index, "duty/webhook/0".
	Receiver string
	// Timestamp is when the notification succeeded, at the member that
	// sent it: a merged entry keeps the sender's timestamp.
	Timestamp time.Time
	// Firing and Resolved count the alerts the notification carried.
	Firing, Resolved int
}

// HasLabel reports whether the entry's group has label name = value.
func (e NflogEntry) HasLabel(name, value string) bool {
	l := name + "=" + strconv.Quote(value)
	return strings.Contains(e.GroupKey, "{"+l) || strings.Contains(e.GroupKey, " "+l)
}

// Matches reports whether the entry's group has every label of labels.
func (e NflogEntry) Matches(labels map[string]string) bool {
	for name, value := range labels {
		if !e.HasLabel(name, value) {
			return false
		}
	}
	return true
}

func (e NflogEntry) String() string {
	return fmt.Sprintf("%s %s firing=%d resolved=%d at %s", e.Receiver, e.GroupKey, e.Firing, e.Resolved,
		e.Timestamp.UTC().Format("15:04:05.000000"))
}

// NotificationLog is the notification log as Alertmanager last wrote it
// to its storage: it snapshots the log every --data.maintenance-interval
// (250 ms here), so the entries are at most that old. None before the
// first snapshot.
func (am *Alertmanager) NotificationLog() ([]NflogEntry, error) {
	b, err := os.ReadFile(filepath.Join(am.dataDir, "nflog"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeNflog(b)
}

// HoldsEntries reports whether am's notification log holds an entry of
// each group (an entry Matches its labels) and, with other not nil, one
// as new as other's, which must hold one too: am will not notify again
// what other notified or merged. Alertmanager logs a notification after
// it was delivered, so by then any copy am sent has arrived.
func (am *Alertmanager) HoldsEntries(other *Alertmanager, groups []map[string]string) (bool, error) {
	have, err := am.NotificationLog()
	if err != nil {
		return false, err
	}
	var sent []NflogEntry
	if other != nil {
		if sent, err = other.NotificationLog(); err != nil {
			return false, err
		}
	}
	for _, g := range groups {
		h, ok := entryOf(have, g)
		if !ok || h.Firing+h.Resolved == 0 {
			return false, nil
		}
		if other == nil {
			continue
		}
		if s, ok := entryOf(sent, g); !ok || h.Timestamp.Before(s.Timestamp) {
			return false, nil
		}
	}
	return true, nil
}

func entryOf(log []NflogEntry, labels map[string]string) (NflogEntry, bool) {
	for _, e := range log {
		if e.Matches(labels) {
			return e, true
		}
	}
	return NflogEntry{}, false
}

// NotificationLogs shows Alertmanagers' notification logs, for a failure
// message.
type NotificationLogs []*Alertmanager

func (ams NotificationLogs) String() string {
	var b strings.Builder
	for i, am := range ams {
		log, err := am.NotificationLog()
		fmt.Fprintf(&b, "alertmanager %d notification log", i)
		if err != nil {
			fmt.Fprintf(&b, " (%v)", err)
		}
		b.WriteString(":\n")
		for _, e := range log {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	return b.String()
}

// decodeNflog decodes an nflog snapshot (Alertmanager nflog/nflogpb): a
// sequence of varint-length-delimited MeshEntry messages.
func decodeNflog(b []byte) ([]NflogEntry, error) {
	var out []NflogEntry
	for off := 0; len(b) > 0; {
		m, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return out, fmt.Errorf("nflog: entry at byte %d: %w", off, protowire.ParseError(n))
		}
		e, err := decodeMeshEntry(m)
		if err != nil {
			return out, fmt.Errorf("nflog: entry at byte %d: %w", off, err)
		}
		out = append(out, e)
		b, off = b[n:], off+n
	}
	return out, nil
}

// decodeMeshEntry decodes MeshEntry{Entry entry = 1; Timestamp expires_at = 2}
// and its Entry{group_key = 1; receiver = 2; timestamp = 5;
// firing_alerts = 6; resolved_alerts = 7}.
func decodeMeshEntry(b []byte) (NflogEntry, error) {
	var e NflogEntry
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != 1 || typ != protowire.BytesType {
			return nil
		}
		return eachField(v, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
			var err error
			switch {
			case num == 1 && typ == protowire.BytesType:
				e.GroupKey = string(v)
			case num == 2 && typ == protowire.BytesType:
				e.Receiver, err = decodeReceiver(v)
			case num == 5 && typ == protowire.BytesType:
				e.Timestamp, err = decodeTimestamp(v)
			case num == 6:
				e.Firing += countUint64s(typ, v)
			case num == 7:
				e.Resolved += countUint64s(typ, v)
			}
			return err
		})
	})
	return e, err
}

// decodeReceiver decodes Receiver{group_name = 1; integration = 2; idx = 3}.
func decodeReceiver(b []byte) (string, error) {
	var group, integration string
	var idx uint64
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			group = string(v)
		case num == 2 && typ == protowire.BytesType:
			integration = string(v)
		case num == 3 && typ == protowire.VarintType:
			idx = x
		}
		return nil
	})
	return fmt.Sprintf("%s/%s/%d", group, integration, idx), err
}

// decodeTimestamp decodes google.protobuf.Timestamp{seconds = 1; nanos = 2}.
func decodeTimestamp(b []byte) (time.Time, error) {
	var sec, nsec int64
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			sec = int64(x)
		case num == 2 && typ == protowire.VarintType:
			nsec = int64(int32(x))
		}
		return nil
	})
	return time.Unix(sec, nsec), err
}

// countUint64s counts a repeated uint64 field's values: one varint, or a
// packed run of them.
func countUint64s(typ protowire.Type, v []byte) int {
	if typ == protowire.VarintType {
		return 1
	}
	if typ != protowire.BytesType {
		return 0
	}
	n := 0
	for len(v) > 0 {
		_, k := protowire.ConsumeVarint(v)
		if k < 0 {
			break
		}
		v, n = v[k:], n+1
	}
	return n
}

// eachField calls f with each field of message b: a length-delimited
// field's bytes in v, a varint's or fixed number's value in x.
func eachField(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var x32 uint32
			x32, n = protowire.ConsumeFixed32(b)
			x = uint64(x32)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		if err := f(num, typ, v, x); err != nil {
			return fmt.Errorf("field %d: %w", num, err)
		}
		b = b[n:]
	}
	return nil
}
