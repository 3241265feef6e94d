package site

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		name, in string
		want     time.Duration
		wantErr  bool
	}{
		{"millis", "500ms", 500 * time.Millisecond, false},
		{"seconds", "30s", 30 * time.Second, false},
		{"minutes", "3m", 3 * time.Minute, false},
		{"hours", "1h", time.Hour, false},
		{"mixed", "1h30m", 90 * time.Minute, false},
		{"day", "1d", 24 * time.Hour, false},
		{"week in days", "7d", 7 * 24 * time.Hour, false},
		{"zero", "0", 0, false},
		{"negative", "-1s", 0, true},
		{"negative days", "-2d", 0, true},
		{"no unit", "30", 0, true},
		{"word", "1 second", 0, true},
		{"fraction of day", "1.5d", 0, true},
		{"days overflow", "999999999999d", 0, true},
		{"empty", "", 0, true},
		{"bare d", "d", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if (err != nil) != tt.wantErr || got.Std() != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tt.in, got.Std(), err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		name string
		in   time.Duration
		want string
	}{
		{"zero", 0, "0s"},
		{"millis", 2 * time.Millisecond, "2ms"},
		{"seconds", time.Second, "1s"},
		{"minutes", 3 * time.Minute, "3m"},
		{"hours", time.Hour, "1h"},
		{"hours and minutes", 90 * time.Minute, "1h30m"},
		{"days", 48 * time.Hour, "2d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Duration(tt.in).String()
			if got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			back, err := ParseDuration(got)
			if err != nil || back.Std() != tt.in {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v", got, back.Std(), err, tt.in)
			}
		})
	}
}

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		name, in string
		want     int64
		wantErr  bool
	}{
		{"plain", "1048576", 1 << 20, false},
		{"bytes unit", "512B", 512, false},
		{"KB", "512KB", 512_000, false},
		{"KiB", "4KiB", 4096, false},
		{"MiB", "64MiB", 64 << 20, false},
		{"GiB", "1GiB", 1 << 30, false},
		{"TB", "2TB", 2e12, false},
		{"space before unit", "16 MiB", 16 << 20, false},
		{"zero", "0", 0, false},
		{"negative", "-1GiB", 0, true},
		{"fraction", "1.5MiB", 0, true},
		{"unknown unit", "1XB", 0, true},
		{"lower case", "1gib", 0, true},
		{"plus sign", "+5", 0, true},
		{"overflow", "9999999999TiB", 0, true},
		{"empty", "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseByteSize(tt.in)
			if (err != nil) != tt.wantErr || int64(got) != tt.want {
				t.Errorf("ParseByteSize(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		name string
		in   ByteSize
		want string
	}{
		{"zero", 0, "0"},
		{"odd", 1536, "1536"},
		{"KiB", 4096, "4KiB"},
		{"MiB", 16 << 20, "16MiB"},
		{"GiB", 1 << 30, "1GiB"},
		{"TiB", 3 << 40, "3TiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.String()
			if got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if back, err := ParseByteSize(got); err != nil || back != tt.in {
				t.Errorf("ParseByteSize(%q) = %d, %v", got, back, err)
			}
		})
	}
}

func TestDidYouMean(t *testing.T) {
	tests := []struct {
		name, word string
		want       string
	}{
		{"swap", "unti", ` (did you mean "unit"?)`},
		{"extra letter", "pumpp", ` (did you mean "pump"?)`},
		{"far", "colour", ""},
		{"long", string(make([]byte, 100)), ""},
	}
	cands := []string{"unit", "pump", "name", "type"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := didYouMean(tt.word, cands); got != tt.want {
				t.Errorf("didYouMean(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}
