package durable

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRecoverTail writes good frames followed by arbitrary bytes (a torn
// append, a damaged sector, garbage) as a segment and recovers it. It
// checks that recovery never panics, keeps exactly the frames that are
// whole and correct from the start (the good ones first of all), cuts the
// file there, and that the in-memory parser and the file reader agree on
// every frame and on why they stop.
func FuzzRecoverTail(f *testing.F) {
	good, _ := frames(3)
	f.Add(uint8(3), []byte{})
	f.Add(uint8(3), good[:5])
	f.Add(uint8(2), good[len(good)-6:])
	f.Add(uint8(1), []byte{0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})
	f.Add(uint8(0), []byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(1), AppendFrame(nil, []byte("more"))[:11])
	f.Fuzz(func(t *testing.T, n uint8, tail []byte) {
		const maxPayload = 64
		prefix, ends := frames(int(n % 8))
		data := append(append([]byte("HDR!"), prefix...), tail...)
		path := filepath.Join(t.TempDir(), "seg")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var visited [][]byte
		got, err := RecoverTail(path, 4, maxPayload, func(p []byte) { visited = append(visited, p) })
		if err != nil {
			t.Fatal(err)
		}
		var parsed [][]byte
		stop := ScanFrames(data, 4, maxPayload, func(fr Frame) { parsed = append(parsed, fr.Payload) })
		if got.Good != stop.Off || got.Stop != stop.Status || len(visited) != len(parsed) {
			t.Fatalf("reader: %+v with %d frames; parser: stop %d %v with %d", got, len(visited), stop.Off, stop.Status, len(parsed))
		}
		for i := range visited {
			if !bytes.Equal(visited[i], parsed[i]) {
				t.Fatalf("frame %d: reader %q, parser %q", i, visited[i], parsed[i])
			}
		}
		if len(ends) > 0 && got.Good < 4+ends[len(ends)-1] {
			t.Fatalf("lost good frames: kept up to %d, good ones end at %d", got.Good, 4+ends[len(ends)-1])
		}
		after, _ := os.ReadFile(path)
		if int64(len(after)) != got.Good || !bytes.Equal(after, data[:got.Good]) || got.Cut != int64(len(data))-got.Good {
			t.Fatalf("file is %d bytes after recovery, want the first %d", len(after), got.Good)
		}
		if again, err := RecoverTail(path, 4, maxPayload, nil); err != nil || again.Cut != 0 || again.Frames != got.Frames {
			t.Fatalf("second recovery: %+v %v", again, err)
		}
	})
}
