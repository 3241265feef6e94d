package board

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"facmon/alarms"
)

// DefaultHistoryLimit is how many transitions a history request returns
// when it names no limit.
const DefaultHistoryLimit = 1000

// set is a filter on one field: empty matches everything.
type set []string

func (s set) has(v string) bool { return len(s) == 0 || slices.Contains(s, v) }

// ListFilter selects alarms on the board. Each field matches any of its
// values; an empty field matches all.
type ListFilter struct {
	Severity []alarms.Severity
	Device   []string
	Area     []string
	Rule     []string
}

func (f *ListFilter) match(t *alarms.Transition) bool {
	return hasSeverity(f.Severity, t.Severity) && set(f.Device).has(t.Device) &&
		set(f.Area).has(t.Area) && set(f.Rule).has(t.Rule)
}

func hasSeverity(ss []alarms.Severity, s alarms.Severity) bool {
	return len(ss) == 0 || slices.Contains(ss, s)
}

// HistoryQuery selects past transitions: those at or after From and before
// To (zero: unbounded), of the devices, rules and severities named, at
// most Limit of them.
type HistoryQuery struct {
	From, To time.Time
	Device   []string
	Rule     []string
	Severity []alarms.Severity
	Limit    int
	// CSV asks for text/csv instead of JSON.
	CSV bool
	// AfterSeq, when BySeq is set (?after_seq=N), asks for the journal's
	// transitions with seq > N, oldest first: how the group centre fills a
	// gap in what it received (docs/centre.md).
	AfterSeq uint64
	BySeq    bool
}

// Match reports whether t is selected by q (all but the limit).
func (q *HistoryQuery) Match(t *alarms.Transition) bool {
	return (q.From.IsZero() || !t.Time.Before(q.From)) && (q.To.IsZero() || t.Time.Before(q.To)) &&
		set(q.Device).has(t.Device) && set(q.Rule).has(t.Rule) && hasSeverity(q.Severity, t.Severity)
}

// query is the parameters of one request, consumed as they are read so
// that what is left over is unknown.
type query url.Values

// ParseListFilter reads ?severity=&device=&area=&rule= (each repeatable or
// comma-separated). Unknown parameters are errors.
func ParseListFilter(v url.Values) (ListFilter, error) {
	q := query(cloneValues(v))
	var f ListFilter
	var err error
	if f.Severity, err = q.severities(); err != nil {
		return f, err
	}
	f.Device, f.Area, f.Rule = q.list("device"), q.list("area"), q.list("rule")
	return f, q.rest("severity, device, area, rule")
}

// ParseHistoryQuery reads ?from=&to= (RFC 3339), device, rule, severity,
// limit (1..maxLimit, default DefaultHistoryLimit or maxLimit if less) and
// format (json or csv). Unknown parameters are errors.
func ParseHistoryQuery(v url.Values, maxLimit int) (HistoryQuery, error) {
	q := query(cloneValues(v))
	var h HistoryQuery
	var err error
	if h.From, err = q.time("from"); err != nil {
		return h, err
	}
	if h.To, err = q.time("to"); err != nil {
		return h, err
	}
	if !h.From.IsZero() && !h.To.IsZero() && !h.From.Before(h.To) {
		return h, fmt.Errorf("from (%s) must be before to (%s)", h.From.Format(time.RFC3339), h.To.Format(time.RFC3339))
	}
	if h.Severity, err = q.severities(); err != nil {
		return h, err
	}
	h.Device, h.Rule = q.list("device"), q.list("rule")
	if h.Limit, err = q.limit(maxLimit); err != nil {
		return h, err
	}
	if h.CSV, err = q.format(); err != nil {
		return h, err
	}
	if h.AfterSeq, h.BySeq, err = q.seq("after_seq"); err != nil {
		return h, err
	}
	return h, q.rest("from, to, device, rule, severity, limit, format, after_seq")
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = vs
	}
	return out
}

// list takes a parameter's values, split at commas, empty ones dropped.
func (q query) list(key string) []string {
	var out []string
	for _, v := range q[key] {
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	delete(q, key)
	return out
}

// single takes a parameter given at most once.
func (q query) single(key string) (string, error) {
	vs := q[key]
	delete(q, key)
	if len(vs) > 1 {
		return "", fmt.Errorf("query parameter %q given %d times", key, len(vs))
	}
	if len(vs) == 0 {
		return "", nil
	}
	return strings.TrimSpace(vs[0]), nil
}

func (q query) severities() ([]alarms.Severity, error) {
	var out []alarms.Severity
	for _, s := range q.list("severity") {
		v, err := alarms.ParseSeverity(s)
		if err != nil {
			return nil, fmt.Errorf("query parameter severity: %w", err)
		}
		out = append(out, v)
	}
	return out, nil
}

func (q query) time(key string) (time.Time, error) {
	s, err := q.single(key)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("query parameter %s=%q: want an RFC 3339 time such as 2026-11-27T08:00:00+08:00", key, s)
	}
	return t, nil
}

func (q query) limit(maxLimit int) (int, error) {
	s, err := q.single("limit")
	if err != nil {
		return 0, err
	}
	if s == "" {
		return min(DefaultHistoryLimit, maxLimit), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		return 0, fmt.Errorf("query parameter limit=%q: want a whole number from 1 to %d", s, maxLimit)
	}
	return n, nil
}

// seq takes a journal sequence number; ok is false when it is absent.
func (q query) seq(key string) (uint64, bool, error) {
	s, err := q.single(key)
	if err != nil || s == "" {
		return 0, false, err
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("query parameter %s=%q: want a journal sequence number (0 or more)", key, s)
	}
	return n, true, nil
}

func (q query) format() (bool, error) {
	s, err := q.single("format")
	switch {
	case err != nil:
		return false, err
	case s == "" || s == "json":
		return false, nil
	case s == "csv":
		return true, nil
	}
	return false, fmt.Errorf("query parameter format=%q: want json or csv", s)
}

// rest reports the first parameter nobody read.
func (q query) rest(want string) error {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	return fmt.Errorf("unknown query parameter %q (want %s)", keys[0], want)
}
