package modbus

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHexBytes(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, ""},
		{"short", []byte{0xde, 0xad}, "de ad"},
		{"capped at 256 bytes", make([]byte, 300), strings.Repeat("00 ", 255) + "00 ...(300 bytes)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := hexBytes(tc.in); got != tc.want {
				t.Errorf("hexBytes = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name     string
		n        int
		interval time.Duration
		want     time.Duration
	}{
		{"first retry", 1, 10 * time.Second, 100 * time.Millisecond},
		{"doubles", 3, 10 * time.Second, 400 * time.Millisecond},
		{"half the interval at most", 5, time.Second, 500 * time.Millisecond},
		{"doubling stops at 1024x", 100, time.Hour, 102400 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := backoff(tc.n, tc.interval); got != tc.want {
				t.Errorf("backoff(%d, %v) = %v, want %v", tc.n, tc.interval, got, tc.want)
			}
		})
	}
}

func TestRequestErrorNamesThePlace(t *testing.T) {
	err := &RequestError{Gateway: "gw1", Device: "pump-1", Unit: 3, Op: "read", Table: 2, Start: 100, Count: 10, Err: ErrTimeout}
	want := `gateway "gw1" unit 3 device "pump-1": read holding 100+10: modbus: timeout`
	if err.Error() != want || !errors.Is(err, ErrTimeout) || Kind(err) != "timeout" {
		t.Errorf("%v (kind %s), want %s", err, Kind(err), want)
	}
}
