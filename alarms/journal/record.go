package journal

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Type says what kind of event a record holds.
type Type uint8

// Record types. The zero value is not a type.
const (
	// TypeTransition: an alarm transition emitted by the engine (raise,
	// clear) or caused by an operator (ack); the payload is an
	// alarms.Transition.
	TypeTransition Type = iota + 1
	// TypeAction: an operator or engineer action that was carried out
	// (shelve, out of service, arm, disarm, bypass, note, resolve, reset).
	TypeAction
	// TypeRefusedAction: an action that was refused (disarm without the
	// password, disarm of a 24-hour zone), with the reason (篇3·二十二·5).
	TypeRefusedAction
	// TypeLinkage: a linkage write (floodlight on, pump stop) and its result.
	TypeLinkage
	// TypeSystem: facmon itself (start, stop, restore, rule reload).
	TypeSystem
)

var typeNames = [...]string{"unknown", "transition", "action", "refused-action", "linkage", "system"}

// String returns the type's name, or "unknown".
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType returns the type named s.
func ParseType(s string) (Type, error) {
	for i := 1; i < len(typeNames); i++ {
		if typeNames[i] == s {
			return Type(i), nil
		}
	}
	return 0, fmt.Errorf("journal record type %q unknown (want transition, action, refused-action, linkage or system)", s)
}

func (t Type) valid() bool { return t >= TypeTransition && t <= TypeSystem }

// MarshalText writes the type's name.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads a type's name.
func (t *Type) UnmarshalText(b []byte) error {
	v, err := ParseType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Hash is a SHA-256 link of the integrity chain.
type Hash [sha256.Size]byte

// String returns the hash in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// MarshalText writes the hash in hex.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads a hash in hex.
func (h *Hash) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(h) {
		return fmt.Errorf("hash %q: want %d hex digits", b, 2*len(h))
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// Record is one journal entry: who did what to what, when and why. The
// journal sets Seq, Prev and Hash on Append (and Time, if zero).
type Record struct {
	// Seq numbers the records from 1 without gaps.
	Seq uint64 `json:"seq"`
	// Time is when it happened (the journal's clock if the caller left it
	// zero).
	Time time.Time `json:"time"`
	Type Type      `json:"type"`
	// User is who: the operator's name, "engine" or "facmon".
	User string `json:"user"`
	// Action is what: raise, clear, ack, shelve, disarm, floodlight-on...
	Action string `json:"action"`
	// Subject is what it was done to: an alarm id, a zone, a device.
	Subject string `json:"subject,omitempty"`
	// Reason is why: the operator's reason, why it was refused, a linkage
	// write's result.
	Reason string `json:"reason,omitempty"`
	// Payload is the transition or action itself, as JSON.
	Payload json.RawMessage `json:"payload,omitempty"`
	// Prev is the Hash of the record before (or the anchor's).
	Prev Hash `json:"prev"`
	// Hash is SHA-256 over the record's canonical bytes, which include Prev.
	Hash Hash `json:"hash"`
}

// Canonical record body (all integers big-endian); the frame payload is
// the body followed by its SHA-256:
//
//	version(1) type(1) seq(8) time-unix-ns(8) prev(32)
//	then user, action, subject, reason, payload, each uvarint length + bytes
const (
	recVersion  = 1
	fixedBody   = 1 + 1 + 8 + 8 + sha256.Size
	maxField    = 64 << 10 // user, action, subject, reason
	maxPayload  = 1 << 20
	maxRecBytes = fixedBody + 4*(binary.MaxVarintLen32+maxField) + binary.MaxVarintLen32 + maxPayload + sha256.Size
)

var errRecord = errors.New("bad record")

// check reports why r cannot be journaled.
func (r *Record) check() error {
	if !r.Type.valid() {
		return fmt.Errorf("record type %d unknown", r.Type)
	}
	for _, f := range [...]struct{ name, v string }{{"user", r.User}, {"action", r.Action}, {"subject", r.Subject}, {"reason", r.Reason}} {
		if len(f.v) > maxField || !utf8.ValidString(f.v) {
			return fmt.Errorf("record %s: not UTF-8 or longer than %d bytes", f.name, maxField)
		}
	}
	if r.Action == "" {
		return errors.New("record has no action")
	}
	if len(r.Payload) > maxPayload || (len(r.Payload) > 0 && !json.Valid(r.Payload)) {
		return fmt.Errorf("record payload: not JSON or longer than %d bytes", maxPayload)
	}
	return nil
}

// encode appends r's canonical body and its hash to dst and sets r.Hash.
func (r *Record) encode(dst []byte) []byte {
	start := len(dst)
	dst = append(dst, recVersion, byte(r.Type))
	dst = binary.BigEndian.AppendUint64(dst, r.Seq)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Time.UnixNano()))
	dst = append(dst, r.Prev[:]...)
	for _, s := range [...]string{r.User, r.Action, r.Subject, r.Reason} {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(r.Payload)))
	dst = append(dst, r.Payload...)
	r.Hash = sha256.Sum256(dst[start:])
	return append(dst, r.Hash[:]...)
}

// decodeRecord reads a frame payload. selfOK reports whether the stored
// hash matches the body (false: the record was edited).
func decodeRecord(b []byte) (r Record, selfOK bool, err error) {
	if len(b) < fixedBody+5+sha256.Size || b[0] != recVersion {
		return r, false, errRecord
	}
	body := b[:len(b)-sha256.Size]
	r.Type = Type(b[1])
	r.Seq = binary.BigEndian.Uint64(b[2:])
	r.Time = time.Unix(0, int64(binary.BigEndian.Uint64(b[10:]))).UTC()
	copy(r.Prev[:], b[18:fixedBody])
	rest := body[fixedBody:]
	var fields [5][]byte
	for i, limit := range [...]int{maxField, maxField, maxField, maxField, maxPayload} {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > uint64(limit) || n > uint64(len(rest)-k) {
			return r, false, errRecord
		}
		fields[i], rest = rest[k:k+int(n)], rest[k+int(n):]
	}
	if len(rest) != 0 {
		return r, false, errRecord
	}
	r.User, r.Action, r.Subject, r.Reason = string(fields[0]), string(fields[1]), string(fields[2]), string(fields[3])
	if len(fields[4]) > 0 {
		r.Payload = json.RawMessage(fields[4])
	}
	if err := r.check(); err != nil {
		return r, false, errRecord
	}
	copy(r.Hash[:], b[len(body):])
	return r, sha256.Sum256(body) == r.Hash, nil
}
