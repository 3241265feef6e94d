package report

import (
	"fmt"
	"html"
	"html/template"
	"strings"
)

// bar is one row of a horizontal bar chart: a label and stacked segments
// (or, with from set, one floating segment from..to).
type bar struct {
	label string
	segs  []seg
	// note is written after the bar (the total, a range).
	note string
}

type seg struct {
	from, value float64
	class       string
}

// Chart geometry, in SVG user units (px at 100%).
const (
	chartWidth = 720
	labelWidth = 200
	noteWidth  = 110
	rowHeight  = 22
)

// barChart draws rows as horizontal bars scaled to the largest end; lo
// is the left end of the scale (0 for counts).
func barChart(title string, rows []bar, lo float64) template.HTML {
	if len(rows) == 0 {
		return ""
	}
	hi := lo
	for _, r := range rows {
		for _, s := range r.segs {
			hi = max(hi, s.from+s.value)
		}
	}
	if hi == lo {
		hi = lo + 1
	}
	plot := float64(chartWidth - labelWidth - noteWidth)
	x := func(v float64) float64 { return labelWidth + (v-lo)/(hi-lo)*plot }
	h := len(rows)*rowHeight + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg"><title>%s</title>`,
		chartWidth, h, chartWidth, h, html.EscapeString(title))
	for i, r := range rows {
		y := i*rowHeight + 4
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="label">%s</text>`, labelWidth-6, y+15, html.EscapeString(clip(r.label, 16)))
		start := 0.0
		for _, s := range r.segs {
			from := start
			if s.from != 0 {
				from = s.from
			}
			w := x(from+s.value) - x(from)
			if s.value > 0 && w < 1 {
				w = 1
			}
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" class="%s"/>`, x(from), y+3, w, rowHeight-8, s.class)
			start = from + s.value
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="note">%s</text>`, x(hi)+6, y+15, html.EscapeString(r.note))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// clip shortens s to n runes with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
