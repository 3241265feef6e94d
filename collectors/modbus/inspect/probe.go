package inspect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"facmon/collectors/modbus"
	"facmon/collectors/modbus/codec"
)

// ProbeOptions say what to survey.
type ProbeOptions struct {
	Units []byte
	Table codec.Table
	Start uint16
	Count int
	// Timeout bounds each request (the site file's gateway timeout).
	Timeout time.Duration
	// Interval is the pause between two requests, so that a probe never
	// floods a live device or a shared RS-485 line (default 100 ms).
	Interval time.Duration
	// Wait pauses for d or until ctx ends; nil uses a timer. Tests inject
	// their own.
	Wait func(ctx context.Context, d time.Duration) error
}

// DefaultInterval is the pause between two probe requests.
const DefaultInterval = 100 * time.Millisecond

// Status is how an address range answered.
type Status uint8

// Range statuses.
const (
	// Answered: the range was read.
	Answered Status = iota
	// Illegal: the device answered exception 2 (illegal data address).
	Illegal
	// Failed: any other exception, a timeout or a bad frame.
	Failed
)

// String returns the status's name, or "unknown".
func (s Status) String() string {
	switch s {
	case Answered:
		return "answers"
	case Illegal:
		return "illegal address"
	case Failed:
		return "fails"
	}
	return "unknown"
}

// Range is a run of addresses [From, To) with one status.
type Range struct {
	From, To int
	Status   Status
	// Err is the error of a Failed range, Exception its exception code
	// (0: none).
	Err       string
	Exception byte
}

// UnitResult is what one unit did.
type UnitResult struct {
	Unit    byte
	Answers bool
	// Err says why a unit does not answer.
	Err    string
	Ranges []Range
}

// prober runs one probe.
type prober struct {
	ctx      context.Context
	c        modbus.Client
	o        ProbeOptions
	requests int
}

// Probe surveys each unit: a unit answers if it returns data or an
// exception of its own (not a gateway's 10 or 11); for each unit that
// answers, the range is read in chunks of the protocol's maximum, and a
// chunk answered with an illegal-address exception is bisected down to
// single addresses. It returns the results and the number of requests.
func Probe(ctx context.Context, c modbus.Client, o ProbeOptions) ([]UnitResult, int, error) {
	if o.Count < 1 || int(o.Start)+o.Count > 1<<16 {
		return nil, 0, fmt.Errorf("start %d count %d: outside the address space", o.Start, o.Count)
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.Wait == nil {
		o.Wait = sleep
	}
	p := &prober{ctx: ctx, c: c, o: o}
	var out []UnitResult
	for _, u := range o.Units {
		res, err := p.unit(u)
		if err != nil {
			return out, p.requests, err
		}
		out = append(out, res)
	}
	return out, p.requests, nil
}

// unit surveys one unit.
func (p *prober) unit(u byte) (UnitResult, error) {
	res := UnitResult{Unit: u}
	chunk := codec.MaxRegisters
	if p.o.Table.IsBits() {
		chunk = codec.MaxBits
	}
	end := int(p.o.Start) + p.o.Count
	for from := int(p.o.Start); from < end; from += chunk {
		to := min(from+chunk, end)
		rs, err := p.survey(u, from, to)
		if err != nil {
			return res, err
		}
		if from == int(p.o.Start) && !answered(rs) {
			res.Err = rs[0].Err
			return res, nil // a unit that does not answer is not asked again
		}
		res.Answers = true
		res.Ranges = merge(res.Ranges, rs...)
	}
	return res, nil
}

// answered reports whether the unit itself answered the first chunk: with
// data or an exception of its own, not a gateway's (10: path unavailable,
// 11: target failed to respond).
func answered(rs []Range) bool {
	r := rs[0]
	return len(rs) > 1 || r.Status != Failed || (r.Exception != 0 && r.Exception != 10 && r.Exception != 11)
}

// survey reads [from, to) and bisects illegal-address answers.
func (p *prober) survey(u byte, from, to int) ([]Range, error) {
	err := p.read(u, from, to)
	if p.ctx.Err() != nil {
		return nil, p.ctx.Err()
	}
	var ex modbus.ExceptionError
	switch {
	case err == nil:
		return []Range{{From: from, To: to, Status: Answered}}, nil
	case errors.As(err, &ex) && (ex.Code == 2 || ex.Code == 3) && to-from > 1:
		mid := from + (to-from)/2
		left, err := p.survey(u, from, mid)
		if err != nil {
			return nil, err
		}
		right, err := p.survey(u, mid, to)
		return merge(left, right...), err
	case errors.As(err, &ex) && ex.Code == 2:
		return []Range{{From: from, To: to, Status: Illegal}}, nil
	}
	r := Range{From: from, To: to, Status: Failed, Err: reason(err)}
	if errors.As(err, &ex) {
		r.Exception = ex.Code
	}
	return []Range{r}, nil
}

// read does one polite request.
func (p *prober) read(u byte, from, to int) error {
	if p.requests > 0 {
		if err := p.o.Wait(p.ctx, p.o.Interval); err != nil {
			return err
		}
	}
	p.requests++
	_, err := p.c.Read(u, p.o.Table, uint16(from), uint16(to-from), p.o.Timeout)
	return err
}

// reason is a short error for the report.
func reason(err error) string {
	var ex modbus.ExceptionError
	switch {
	case errors.As(err, &ex):
		return ex.Error()
	case errors.Is(err, modbus.ErrTimeout):
		return "no answer (timeout)"
	}
	return err.Error()
}

// merge appends rs to a, joining neighbours of the same status.
func merge(a []Range, rs ...Range) []Range {
	for _, r := range rs {
		if n := len(a); n > 0 && a[n-1].To == r.From && a[n-1].Status == r.Status && a[n-1].Err == r.Err && a[n-1].Exception == r.Exception {
			a[n-1].To = r.To
			continue
		}
		a = append(a, r)
	}
	return a
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// WriteProbe prints probe results.
func WriteProbe(w io.Writer, t codec.Table, res []UnitResult) {
	for _, r := range res {
		if !r.Answers {
			fmt.Fprintf(w, "unit %d: no answer: %s\n", r.Unit, r.Err)
			continue
		}
		fmt.Fprintf(w, "unit %d: answers\n", r.Unit)
		for _, rg := range r.Ranges {
			line := fmt.Sprintf("  %s %d..%d (%s..%s, %d): %s", t, rg.From, rg.To-1,
				Ref(t, uint16(rg.From)), Ref(t, uint16(rg.To-1)), rg.To-rg.From, rg.Status)
			if rg.Err != "" {
				line += ": " + rg.Err
			}
			fmt.Fprintln(w, line)
		}
	}
}
