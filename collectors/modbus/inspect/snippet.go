package inspect

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"facmon/collectors/modbus"
	"facmon/collectors/modbus/codec"
)

// SnippetOptions name the device of a site-file snippet.
type SnippetOptions struct {
	Device, Kind, Area, Gateway string
	Unit                        byte
	Timeout                     time.Duration
}

// Snippet reads every named signal from the device and writes a
// site-file devices: block for them, each signal with the value the
// device returned as a comment, so the file is written from what the
// device really holds. A signal that cannot be read is an error naming it.
func Snippet(w io.Writer, c modbus.Client, o SnippetOptions, specs []Spec) error {
	fmt.Fprintf(w, "devices:\n  - id: %s\n    kind: %s\n    area: %s\n", o.Device, o.Kind, o.Area)
	fmt.Fprintf(w, "    modbus: {gateway: %s, unit: %d}\n    signals:\n", o.Gateway, o.Unit)
	for _, sp := range specs {
		f := sp.Field
		data, err := c.Read(o.Unit, f.Table, f.Address, uint16(f.Width()), o.Timeout)
		if err != nil {
			return fmt.Errorf("signal %q: unit %d %s %d: %w", sp.Name, o.Unit, f.Table, f.Address, err)
		}
		raw, err := f.Decode(data, f.Address)
		if err != nil {
			return fmt.Errorf("signal %q: unit %d %s %d: %w", sp.Name, o.Unit, f.Table, f.Address, err)
		}
		fmt.Fprintf(w, "      - %s # read %s\n", signalYAML(sp), readNote(sp, raw))
	}
	return nil
}

// signalYAML is one signal as a flow mapping.
func signalYAML(sp Spec) string {
	f := sp.Field
	reg := fmt.Sprintf("table: %s, address: %d", f.Table, f.Address)
	if !f.Table.IsBits() {
		reg += ", type: " + f.Type.String()
		if f.Bit >= 0 {
			reg += fmt.Sprintf(", bit: %d", f.Bit)
		}
		if f.Order != codec.ABCD {
			reg += ", order: " + f.Order.String()
		}
	}
	if f.Type == codec.Bool {
		return fmt.Sprintf("{name: %s, type: state, states: {0: \"off\", 1: \"on\"}, modbus: {%s}}", sp.Name, reg)
	}
	s := "{name: " + sp.Name + ", type: analog"
	if sp.Unit != "" {
		s += fmt.Sprintf(", unit: %q", sp.Unit) // without one, facmon check asks for it
	}
	if sp.Scale != 1 {
		s += ", scale: " + strconv.FormatFloat(sp.Scale, 'g', -1, 64)
	}
	return s + ", modbus: {" + reg + "}}"
}

// readNote is the value read, raw and scaled.
func readNote(sp Spec, raw float64) string {
	if sp.Scale == 1 {
		return strconv.FormatFloat(raw, 'g', 7, 64)
	}
	return fmt.Sprintf("raw %s → %s %s", strconv.FormatFloat(raw, 'g', 7, 64),
		strconv.FormatFloat(raw*sp.Scale, 'g', 7, 64), sp.Unit)
}
