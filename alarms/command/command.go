// Package command is the grammar of the commands a group monitoring centre
// sends a site (docs/centre.md): today one, the acknowledgement of an
// alarm, published on facmon/<site>/command/ack. A command is JSON signed
// with HMAC-SHA256 under the site's key; Sign makes one and Verify is the
// one parser the edge uses, checking the signature, the site and the
// time window. Replays within the window are caught by the nonce, which
// the edge remembers (alarms/uplink).
package command

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// MaxBytes bounds a command message; a larger one is refused unread.
const MaxBytes = 4 << 10

// Ack asks a site to acknowledge an alarm on behalf of a centre user.
type Ack struct {
	// Site is the site's id; a command for another site is refused.
	Site string `json:"site"`
	// Alarm is the alarm's id at the site.
	Alarm string `json:"alarm"`
	// User is the centre user who acknowledged; the site journals the
	// acknowledgement as centre:<user>.
	User string `json:"user"`
	// Nonce is 16 random bytes in hex, never used twice.
	Nonce string `json:"nonce"`
	// Time is when the centre signed it.
	Time time.Time `json:"time"`
	// Sig is the HMAC-SHA256 of the other fields (signed), in hex.
	Sig string `json:"sig"`
}

// Reasons a command is refused; Verify's errors wrap one of them.
var (
	ErrMalformed = errors.New("malformed command")
	ErrSignature = errors.New("bad signature")
	ErrOtherSite = errors.New("command for another site")
	ErrStale     = errors.New("command time outside the window")
)

// NewAck returns an unsigned acknowledgement with a fresh nonce.
func NewAck(site, alarm, user string, now time.Time) Ack {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return Ack{Site: site, Alarm: alarm, User: user, Nonce: hex.EncodeToString(b[:]), Time: now}
}

// signed is the byte string the signature covers: each field with its
// length, so no two commands share it.
func (a *Ack) signed() []byte {
	var out []byte
	out = append(out, "facmon-ack-v1"...)
	for _, f := range []string{a.Site, a.Alarm, a.User, a.Nonce} {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return binary.BigEndian.AppendUint64(out, uint64(a.Time.UnixNano()))
}

func (a *Ack) mac(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(a.signed())
	return m.Sum(nil)
}

// Sign signs a under key and returns the message to publish.
func Sign(a Ack, key []byte) ([]byte, error) {
	if len(key) == 0 {
		return nil, errors.New("sign command: no key")
	}
	a.Sig = hex.EncodeToString(a.mac(key))
	return json.Marshal(a)
}

// Verify parses a message for site, checks its signature under key and
// that its time is within window of now. The error wraps ErrMalformed,
// ErrSignature, ErrOtherSite or ErrStale; the Ack is returned as far as it
// was read, for the journal.
func Verify(msg []byte, key []byte, site string, now time.Time, window time.Duration) (Ack, error) {
	var a Ack
	if len(msg) > MaxBytes {
		return a, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(msg), MaxBytes)
	}
	if err := json.Unmarshal(msg, &a); err != nil {
		return Ack{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if a.Alarm == "" || a.User == "" || len(a.Nonce) < 16 || a.Time.IsZero() {
		return a, fmt.Errorf("%w: alarm, user, nonce and time are required", ErrMalformed)
	}
	sig, err := hex.DecodeString(a.Sig)
	if err != nil || !hmac.Equal(sig, a.mac(key)) {
		return a, ErrSignature
	}
	if a.Site != site {
		return a, fmt.Errorf("%w: %q, this is %q", ErrOtherSite, a.Site, site)
	}
	if d := now.Sub(a.Time); d > window || d < -window {
		return a, fmt.Errorf("%w: signed %s, %s from this site's clock (window %s)", ErrStale,
			a.Time.UTC().Format(time.RFC3339), d.Round(time.Second), window)
	}
	return a, nil
}
