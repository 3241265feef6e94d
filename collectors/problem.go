package collectors

import (
	"errors"
	"fmt"
	"strings"
)

// Problem is one mistake a collector's grammar (collectors/modbus/modbusconf,
// collectors/mqtt/mqttconf) finds in its block of the site file. Key is
// the key it is about (written wrong, or missing); Msg says what is wrong
// in the file's own names, without the place: internal/site puts it at the
// key's file:line:col, the collector's constructor at the block's line.
type Problem struct {
	Key string
	Msg string
}

// Problems is every mistake of one block.
type Problems []Problem

// Add records a mistake about key.
func (ps *Problems) Add(key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// Err joins the problems into one error ("; "), or nil.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Msg
	}
	return errors.New(strings.Join(msgs, "; "))
}
