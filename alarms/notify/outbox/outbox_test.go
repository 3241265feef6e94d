package outbox

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func entry(id, recv string) Entry {
	return Entry{ID: id, Receiver: recv, Body: []byte(`{"id":"` + id + `"}`)}
}

func open(t *testing.T, dir string, opt Options) (*Outbox, []Entry) {
	t.Helper()
	o, pend, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o, pend
}

func ids(es []Entry) string {
	s := ""
	for _, e := range es {
		s += e.ID + "@" + e.Receiver + " "
	}
	return s
}

func TestOutbox(t *testing.T) {
	tests := []struct {
		name string
		run  func(o *Outbox)
		want string
	}{
		{"added entries survive", func(o *Outbox) {
			o.Add(entry("a", "r1"), entry("a", "r2"))
			o.Add(entry("b", "r1"))
		}, "a@r1 a@r2 b@r1 "},
		{"done entries are gone", func(o *Outbox) {
			o.Add(entry("a", "r1"), entry("b", "r1"))
			o.Done("a", "r1")
		}, "b@r1 "},
		{"duplicate add keeps one", func(o *Outbox) {
			o.Add(entry("a", "r1"))
			if added, _ := o.Add(entry("a", "r1"), entry("b", "r1")); len(added) != 1 || added[0].ID != "b" {
				panic("duplicate reported as added")
			}
		}, "a@r1 b@r1 "},
		{"done of unknown is harmless", func(o *Outbox) {
			o.Done("x", "r1")
			o.Add(entry("a", "r1"))
		}, "a@r1 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o, _, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			tt.run(o)
			if err := o.Close(); err != nil {
				t.Fatal(err)
			}
			_, pend := open(t, dir, Options{})
			if got := ids(pend); got != tt.want {
				t.Errorf("pending after reopen = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestAddIsDurableBeforeClose reopens without closing: Add's fsync alone
// must have put the entry on disk.
func TestAddIsDurableBeforeClose(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, dir, Options{})
	if _, err := o.Add(entry("a", "r")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, fileName))
	if err != nil || len(b) == 0 {
		t.Fatalf("log after Add: %d bytes, %v", len(b), err)
	}
	o2, pend2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Close()
	if ids(pend2) != "a@r " {
		t.Fatalf("pending = %q", ids(pend2))
	}
}

func TestTornTailIsCut(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, dir, Options{})
	o.Add(entry("a", "r"))
	o.Add(entry("b", "r"))
	o.Close()
	path := filepath.Join(dir, fileName)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)-3], 0o600)
	_, pend := open(t, dir, Options{})
	if ids(pend) != "a@r " {
		t.Fatalf("pending = %q, want a@r only", ids(pend))
	}
}

func TestCompaction(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, dir, Options{CompactBytes: 4096})
	for i := range 500 {
		id := fmt.Sprint(i)
		o.Add(entry(id, "r"))
		if i%10 != 0 {
			o.Done(id, "r")
		}
	}
	o.Close()
	st, _ := os.Stat(filepath.Join(dir, fileName))
	if st.Size() > 8192 {
		t.Errorf("log is %d bytes after compaction", st.Size())
	}
	_, pend := open(t, dir, Options{})
	if len(pend) != 50 || pend[0].ID != "0" || pend[49].ID != "490" {
		t.Fatalf("pending = %d entries: %s", len(pend), ids(pend))
	}
}

func TestConcurrentAdds(t *testing.T) {
	dir := t.TempDir()
	o, _ := open(t, dir, Options{CompactBytes: 1 << 14})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				id := fmt.Sprintf("%d-%d", g, i)
				if _, err := o.Add(entry(id, "r")); err != nil {
					t.Error(err)
				}
				if i%2 == 0 {
					o.Done(id, "r")
				}
			}
		})
	}
	wg.Wait()
	o.Close()
	_, pend := open(t, dir, Options{})
	if len(pend) != 200 {
		t.Fatalf("pending = %d, want 200", len(pend))
	}
}

func BenchmarkAddParallel(b *testing.B) {
	o, _, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	var n sync.Mutex
	i := 0
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n.Lock()
			i++
			id := fmt.Sprint(i)
			n.Unlock()
			if _, err := o.Add(entry(id, "r")); err != nil {
				b.Error(err)
			}
			o.Done(id, "r")
		}
	})
}
