// Package acklink makes and checks the signed, expiring, single-use links
// that let a duty person acknowledge an alarm from a phone, and serves them:
// GET /ack/{token} shows a confirm page, POST acknowledges as that person.
// A link that is expired, reused or tampered with gets a clear page in
// Chinese and English and changes nothing.
package acklink

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Claims are what a link says: acknowledge Alarm as User until Expires;
// Nonce makes it single-use.
type Claims struct {
	Alarm   string `json:"a"`
	User    string `json:"u"`
	Expires int64  `json:"e"` // Unix seconds
	Nonce   string `json:"n"`
}

// Errors a link can have, as callers tell them apart.
var (
	ErrMalformed = errors.New("link malformed")
	ErrTampered  = errors.New("link signature does not match")
	ErrExpired   = errors.New("link expired")
	ErrReused    = errors.New("link already used")
)

// maxToken bounds a token, so that parsing a huge path costs nothing.
const maxToken = 2048

// b64 is the token's encoding: URL-safe, no padding.
var b64 = base64.RawURLEncoding

// Signer makes links.
type Signer struct {
	Key []byte
	// Base is the public console URL; links are Base + "/ack/" + token.
	Base string
	TTL  time.Duration
}

// Link returns a link acknowledging alarm as user, valid for TTL after now.
func (s *Signer) Link(alarm, user string, now time.Time) string {
	nonce := make([]byte, 12)
	rand.Read(nonce)
	c := Claims{Alarm: alarm, User: user, Expires: now.Add(s.TTL).Unix(), Nonce: b64.EncodeToString(nonce)}
	return strings.TrimRight(s.Base, "/") + "/ack/" + Sign(s.Key, c)
}

// Sign returns the token for c: base64url(JSON) "." base64url(HMAC-SHA256).
func Sign(key []byte, c Claims) string {
	b, _ := json.Marshal(c)
	p := b64.EncodeToString(b)
	return p + "." + b64.EncodeToString(mac(key, p))
}

// mac is the HMAC-SHA256 of the encoded payload.
func mac(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// Parse checks a token's signature and expiry at now and returns its
// claims. The signature is checked before the payload is decoded.
func Parse(key []byte, token string, now time.Time) (Claims, error) {
	if len(token) > maxToken {
		return Claims{}, ErrMalformed
	}
	p, sig, ok := strings.Cut(token, ".")
	if !ok || p == "" {
		return Claims{}, ErrMalformed
	}
	got, err := b64.DecodeString(sig)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	if !hmac.Equal(got, mac(key, p)) {
		return Claims{}, ErrTampered
	}
	b, err := b64.DecodeString(p)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var c Claims
	if err := json.Unmarshal(b, &c); err != nil || c.Alarm == "" || c.User == "" || c.Nonce == "" {
		return Claims{}, fmt.Errorf("%w: payload", ErrMalformed)
	}
	if now.Unix() >= c.Expires {
		return c, ErrExpired
	}
	return c, nil
}
