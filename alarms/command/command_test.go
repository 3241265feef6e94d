package command

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	key   = []byte(strings.Repeat("k", 32))
	t0    = time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	win   = 5 * time.Minute
	other = []byte(strings.Repeat("o", 32))
)

func signed(t *testing.T, a Ack, k []byte) []byte {
	t.Helper()
	b, err := Sign(a, k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerify(t *testing.T) {
	good := NewAck("s1", "fire/tank-1/1", "alice", t0)
	tampered := bytes.Replace(signed(t, good, key), []byte(`"alice"`), []byte(`"mallory"`), 1)
	for _, tc := range []struct {
		name string
		msg  []byte
		now  time.Time
		want error
	}{
		{"good", signed(t, good, key), t0.Add(time.Minute), nil},
		{"clock behind", signed(t, good, key), t0.Add(-time.Minute), nil},
		{"other key", signed(t, good, other), t0, ErrSignature},
		{"tampered user", tampered, t0, ErrSignature},
		{"other site", signed(t, NewAck("s2", "a", "alice", t0), key), t0, ErrOtherSite},
		{"stale", signed(t, good, key), t0.Add(6 * time.Minute), ErrStale},
		{"future", signed(t, good, key), t0.Add(-6 * time.Minute), ErrStale},
		{"not json", []byte("ack!"), t0, ErrMalformed},
		{"no nonce", signed(t, Ack{Site: "s1", Alarm: "a", User: "u", Time: t0}, key), t0, ErrMalformed},
		{"huge", append([]byte(`{"site":"`), bytes.Repeat([]byte("x"), MaxBytes)...), t0, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Verify(tc.msg, key, "s1", tc.now, win)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want == nil && (a.User != "alice" || a.Alarm != good.Alarm || a.Nonce != good.Nonce) {
				t.Fatalf("ack = %+v", a)
			}
		})
	}
}

func TestNoncesDiffer(t *testing.T) {
	if NewAck("s", "a", "u", t0).Nonce == NewAck("s", "a", "u", t0).Nonce {
		t.Fatal("two acks share a nonce")
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(signed(&testing.T{}, NewAck("s1", "a/b/1", "alice", t0), key))
	f.Add([]byte(`{"site":"s1","alarm":"x","user":"u","nonce":"00112233445566778899","time":"2026-12-06T08:00:00Z","sig":"zz"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		a, err := Verify(msg, key, "s1", t0, win)
		if err == nil {
			again, err := Sign(a, key)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(again, key, "s1", t0, win); err != nil {
				t.Fatalf("re-signed accepted command refused: %v", err)
			}
		}
	})
}
