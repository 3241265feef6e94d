package journal

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
)

// brokenName is the file in which Open records the first integrity break
// it found. A break stays reported, like a latched alarm, until a person
// who investigated it removes the file: the evidence of an edit must not
// vanish because the journal went on recording after it, or because the
// caps overwrote the damaged records.
const brokenName = "BROKEN"

// brokenMark is the content of the BROKEN file.
type brokenMark struct {
	Break
	Note string `json:"note"`
}

// writeBrokenMark records b unless a break is recorded already.
func writeBrokenMark(dir string, b *Break) error {
	if _, err := os.Stat(filepath.Join(dir, brokenName)); err == nil {
		return nil
	}
	data, err := json.MarshalIndent(brokenMark{Break: *b,
		Note: "facmon found the alarm journal's integrity chain broken here; remove this file once investigated"}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(dir, brokenName, append(data, '\n'))
}

// readBrokenMark returns the break recorded in dir, if any.
func readBrokenMark(dir string) *Break {
	data, err := os.ReadFile(filepath.Join(dir, brokenName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var m brokenMark
	if err != nil || json.Unmarshal(data, &m) != nil {
		return &Break{Segment: brokenName, Reason: "integrity break recorded on an earlier open (file unreadable)"}
	}
	m.Break.Reason = "recorded on an earlier open: " + m.Break.Reason
	return &m.Break
}
