// Package outbox is the durable queue of notifications: an entry added is
// on disk (fsync) before Add returns, survives a restart, and stays pending
// until Done. Concurrent Adds share one fsync (group commit). The log is one
// file of durable frames (length + CRC-32C, internal/durable); a torn tail is cut off on open,
// and the file is rewritten with only the pending entries when it grows.
package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"facmon/internal/durable"
)

// Entry is one notification for one receiver.
type Entry struct {
	// ID is the idempotency key; (ID, Receiver) is unique.
	ID       string          `json:"id"`
	Receiver string          `json:"receiver"`
	Added    time.Time       `json:"added"`
	Body     json.RawMessage `json:"body"`
}

// key identifies an entry.
type key struct{ id, receiver string }

// record is one line of the log.
type record struct {
	Op       string `json:"op"` // "add" or "done"
	Entry    *Entry `json:"entry,omitempty"`
	ID       string `json:"id,omitempty"`
	Receiver string `json:"receiver,omitempty"`
}

// fileName is the log inside the outbox directory.
const fileName = "outbox.log"

// maxRecord bounds one record, so that a corrupt length cannot make Open
// allocate gigabytes.
const maxRecord = 4 << 20

// Outbox is an open outbox directory.
type Outbox struct {
	dir         string
	compact     int64
	nextCompact int64

	mu      sync.Mutex
	cond    *sync.Cond
	f       *os.File
	size    int64
	buf     []byte
	seq     uint64 // Adds buffered so far
	synced  uint64 // Adds on disk
	syncing bool
	err     error // a write or fsync failed: the outbox is broken
	pending map[key]*Entry
	order   uint64
	seqOf   map[key]uint64
}

// Options tune an outbox.
type Options struct {
	// CompactBytes: when the log passes this size it is rewritten with the
	// pending entries only. Default 8 MiB.
	CompactBytes int64
}

// Open opens (creating) the outbox in dir and returns the entries still
// pending, oldest first.
func Open(dir string, opt Options) (*Outbox, []Entry, error) {
	if opt.CompactBytes <= 0 {
		opt.CompactBytes = 8 << 20
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("outbox %s: %w", dir, err)
	}
	o := &Outbox{dir: dir, compact: opt.CompactBytes, pending: map[key]*Entry{}, seqOf: map[key]uint64{}}
	o.cond = sync.NewCond(&o.mu)
	if err := o.replay(); err != nil {
		return nil, nil, err
	}
	if err := o.rewrite(); err != nil {
		return nil, nil, err
	}
	return o, o.Pending(), nil
}

// Pending returns the entries not yet done, oldest first.
func (o *Outbox) Pending() []Entry {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pendingLocked()
}

// Len returns how many entries are pending.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.pending)
}

// replay reads the log, keeping what is pending and cutting a torn tail.
func (o *Outbox) replay() error {
	path := filepath.Join(o.dir, fileName)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("outbox %s: %w", path, err)
	}
	defer f.Close()
	o.replayFrom(f)
	return nil
}

// replayFrom applies the records of r up to its end or the first torn or
// corrupt record; the rewrite after it drops the rest.
func (o *Outbox) replayFrom(r io.ReaderAt) {
	fr := durable.NewReader(r, 0, -1, maxRecord)
	for {
		b, err := fr.Next()
		if err != nil {
			return
		}
		var rec record
		if json.Unmarshal(b, &rec) != nil {
			return
		}
		o.apply(rec)
	}
}

// apply applies one record to the pending set.
func (o *Outbox) apply(rec record) {
	switch rec.Op {
	case "add":
		if rec.Entry == nil {
			return
		}
		k := key{rec.Entry.ID, rec.Entry.Receiver}
		if _, ok := o.pending[k]; !ok {
			o.order++
			o.seqOf[k] = o.order
		}
		o.pending[k] = rec.Entry
	case "done":
		k := key{rec.ID, rec.Receiver}
		delete(o.pending, k)
		delete(o.seqOf, k)
	}
}

// appendRecord frames rec onto buf.
func appendRecord(buf []byte, rec record) []byte {
	b, _ := json.Marshal(rec)
	return durable.AppendFrame(buf, b)
}

// rewrite writes the pending entries to a new log and renames it over the
// old one, fsyncing file and directory. The caller holds mu or is Open.
func (o *Outbox) rewrite() error {
	var buf []byte
	for _, e := range o.pendingLocked() {
		buf = appendRecord(buf, record{Op: "add", Entry: &e})
	}
	path := filepath.Join(o.dir, fileName)
	if err := durable.WriteFile(path, buf); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("outbox %s: %w", path, err)
	}
	if o.f != nil {
		o.f.Close()
	}
	o.f, o.size = f, int64(len(buf))
	// Rewrite again only once the log doubled, so that a large pending
	// set (a long outage) is not rewritten on every Done.
	o.nextCompact = max(o.compact, 2*o.size)
	return nil
}

// pendingLocked is Pending without the lock.
func (o *Outbox) pendingLocked() []Entry {
	out := make([]Entry, 0, len(o.pending))
	for _, e := range o.pending {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		return o.seqOf[key{out[i].ID, out[i].Receiver}] < o.seqOf[key{out[j].ID, out[j].Receiver}]
	})
	return out
}

// Add stores entries durably: when it returns nil they are on disk. An
// entry already pending under the same ID and receiver is kept as it was
// and left out of the entries returned, which are the new ones.
func (o *Outbox) Add(entries ...Entry) ([]Entry, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return nil, o.err
	}
	added := entries[:0:0]
	for i := range entries {
		e := entries[i]
		k := key{e.ID, e.Receiver}
		if _, dup := o.pending[k]; dup {
			continue
		}
		added = append(added, e)
		o.order++
		o.seqOf[k] = o.order
		o.pending[k] = &e
		o.buf = appendRecord(o.buf, record{Op: "add", Entry: &e})
	}
	o.seq++
	mine := o.seq
	for o.synced < mine && o.err == nil {
		if o.syncing {
			o.cond.Wait()
			continue
		}
		o.flushLocked(true)
	}
	if o.err != nil {
		return nil, o.err
	}
	return added, nil
}

// flushLocked writes the buffer (and fsyncs it when sync) with the lock
// released during the I/O, so that Adds arriving meanwhile gather for the
// next fsync.
func (o *Outbox) flushLocked(sync bool) {
	o.syncing = true
	b, upto, f := o.buf, o.seq, o.f
	o.buf = nil
	o.mu.Unlock()
	_, err := f.Write(b)
	if err == nil && sync {
		err = f.Sync()
	}
	o.mu.Lock()
	o.syncing = false
	o.size += int64(len(b))
	if err != nil {
		o.err = fmt.Errorf("outbox %s: %w", o.dir, err)
	} else if sync {
		o.synced = upto
	}
	o.cond.Broadcast()
}

// Done marks an entry delivered (or given up). It is written without an
// fsync: a done lost in a crash means one more delivery, which receivers
// drop by the entry's ID.
func (o *Outbox) Done(id, receiver string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := key{id, receiver}
	if _, ok := o.pending[k]; !ok {
		return nil
	}
	delete(o.pending, k)
	delete(o.seqOf, k)
	o.buf = appendRecord(o.buf, record{Op: "done", ID: id, Receiver: receiver})
	for o.syncing {
		o.cond.Wait()
	}
	if o.err != nil {
		return o.err
	}
	if o.size > o.nextCompact {
		o.buf = nil // the rewrite holds every pending entry
		if err := o.rewrite(); err != nil {
			o.err = err
		}
		o.synced = o.seq
		return o.err
	}
	if len(o.buf) > 0 {
		o.flushLocked(false)
	}
	return o.err
}

// Close writes what is buffered and closes the log.
func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for o.syncing {
		o.cond.Wait()
	}
	if o.f == nil {
		return nil
	}
	if len(o.buf) > 0 && o.err == nil {
		o.flushLocked(true)
	}
	err := o.f.Close()
	o.f = nil
	if o.err != nil {
		return o.err
	}
	o.err = ErrClosed
	return err
}

// ErrClosed is returned by Add and Done after Close.
var ErrClosed = errors.New("outbox closed")
