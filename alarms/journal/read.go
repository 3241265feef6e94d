package journal

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// ReadRange is Range on the journal in dir, read without changing it: it
// may run beside the facmon that appends to the journal (a report, an
// audit), and never cuts, renames or locks anything. It sees the records
// that were complete when it scanned the files; a torn append at the end
// is skipped, a broken chain is read as far as the records decode.
func ReadRange(dir string, from, to time.Time, f Filter) ([]Record, error) {
	var err error
	for range 3 {
		var recs []Record
		if recs, err = readRange(dir, from, to, f); !errors.Is(err, errVanished) {
			return recs, err
		}
	}
	return nil, err
}

func readRange(dir string, from, to time.Time, f Filter) ([]Record, error) {
	s, err := scanDir(dir)
	if err != nil {
		return nil, err
	}
	j := &Journal{dir: dir, durable: s.lastSeq}
	defer func() {
		for _, sg := range j.segs {
			sg.f.Close()
		}
	}()
	for _, sg := range s.segs {
		if sg.badHead || len(sg.entries) == 0 {
			continue
		}
		fh, err := os.Open(j.segPath(sg.first))
		if errors.Is(err, os.ErrNotExist) {
			return nil, errVanished
		}
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		j.segs = append(j.segs, &segment{first: sg.first, head: sg.head, f: fh, size: sg.size, entries: sg.entries})
	}
	return j.Range(from, to, f)
}
