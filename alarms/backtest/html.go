package backtest

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"
)

// Drawing sizes of one timeline, in SVG user units.
const (
	svgW     = 960.0
	plotH    = 140.0
	bandH    = 14.0
	svgH     = plotH + 2*bandH + 24
	oldColor = "#c0392b"
	newColor = "#2471a3"
	gapColor = "#e3e3e3"
)

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.W.title}} {{.R.Site}}</title>
<style>body{font:14px sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}
.legend span{display:inline-block;width:1em;height:.8em;margin:0 .3em 0 1em}svg{background:#fafafa;border:1px solid #ddd}</style></head>
<body><h1>{{.W.title}} {{.R.Site}}</h1>
<p>{{.W.period}}: {{.From}} — {{.To}}; {{.R.Points}} {{.W.points}}</p>
<table><tr><th>{{.W.rule}}</th><th>{{.W.device}}</th><th>{{.W.raised}}</th><th>{{.W.inAlarm}}</th><th>{{.W.chatter}}</th><th>{{.W.longest}}</th><th>{{.W.median}}</th></tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table><p>({{.W.old}} → {{.W.new}})</p>
<h2>{{.W.changed}}</h2>
<p class="legend"><span style="background:{{.OldColor}}"></span>{{.W.oldBand}}<span style="background:{{.NewColor}}"></span>{{.W.newBand}}<span style="background:#555"></span>{{.W.value}}<span style="background:#e3e3e3"></span>{{.W.gapShade}}</p>
{{range .Timelines}}<h3>{{.Rule}} · {{.Device}}</h3>{{.SVG}}
{{end}}
<h2>{{.W.appeared}} ({{len .Appeared}})</h2><ul>{{range .Appeared}}<li>{{.}}</li>{{end}}</ul>
<h2>{{.W.disappeared}} ({{len .Disappeared}})</h2><ul>{{range .Disappeared}}<li>{{.}}</li>{{end}}</ul>
<h2>{{.W.gaps}} ({{len .Gaps}})</h2><ul>{{range .Gaps}}<li>{{.}}</li>{{end}}</ul>
</body></html>
`))

// WriteHTML writes the report as one self-contained HTML page with an SVG
// timeline per changed rule and device: the value envelope, the current
// and new thresholds, and the current and new alarm bands.
func WriteHTML(w io.Writer, r *Report, l Lang) error {
	wd := wordsFor(l)
	type tl struct {
		Rule, Device string
		SVG          template.HTML
	}
	data := struct {
		Lang, From, To, OldColor, NewColor string
		W                                  map[string]string
		R                                  *Report
		Rows                               [][]string
		Timelines                          []tl
		Appeared, Disappeared, Gaps        []string
	}{Lang: string(l), From: r.stamp(r.From), To: r.stamp(r.To), OldColor: oldColor, NewColor: newColor,
		W: wd.m(), R: r}
	for _, row := range r.Rows {
		o, n := row.Old, row.New
		data.Rows = append(data.Rows, []string{row.Rule, row.Device, pair(o.Raised, n.Raised), pair(o.InAlarm, n.InAlarm),
			pair(o.Chattering, n.Chattering), pair(o.Longest, n.Longest), pair(o.Median, n.Median)})
	}
	for _, t := range r.Timelines {
		data.Timelines = append(data.Timelines, tl{t.Rule, t.Device, template.HTML(r.svg(&t))}) // numbers and fixed colours only
	}
	data.Appeared, data.Disappeared = r.alarmLines(r.Appeared, wd), r.alarmLines(r.Disappeared, wd)
	for _, g := range r.Gaps {
		data.Gaps = append(data.Gaps, fmt.Sprintf("%s  %s — %s (%s)", g.Device, r.stamp(g.From), r.stamp(g.To), Dur(g.Duration())))
	}
	return page.Execute(w, data)
}

func (wd labels) m() map[string]string {
	return map[string]string{"title": wd.title, "period": wd.period, "points": wd.points, "rule": wd.rule,
		"device": wd.device, "raised": wd.raised, "inAlarm": wd.inAlarm, "chatter": wd.chatter, "longest": wd.longest,
		"median": wd.median, "old": wd.old, "new": wd.new, "appeared": wd.appeared, "disappeared": wd.disappeared,
		"gaps": wd.gaps, "value": wd.value, "oldBand": wd.oldBand, "newBand": wd.newBand, "changed": wd.changed, "gapShade": wd.gaps}
}

func (r *Report) alarmLines(as []Alarm, wd labels) []string {
	var out []string
	for _, a := range as {
		end := r.stamp(a.End)
		if a.End.IsZero() {
			end = wd.active
		}
		s := fmt.Sprintf("%s · %s  %s — %s (%s)", a.Rule, a.Device, r.stamp(a.Start), end, a.Duration)
		if a.AcrossGap {
			s += ", " + wd.gap
		}
		out = append(out, s)
	}
	return out
}

// svg draws one timeline. It writes only numbers and fixed colours, so
// its output needs no escaping.
func (r *Report) svg(t *Timeline) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`, svgW, svgH, svgW, svgH)
	for _, g := range t.Gaps {
		r.bands(&b, []episode{{Start: g.From, End: g.To}}, 0, plotH, gapColor)
	}
	lo, hi := valueRange(t)
	y := func(v float64) float64 { return plotH - 4 - (v-lo)/(hi-lo)*(plotH-8) }
	n := len(t.Min)
	for i := 0; i < n; i++ {
		if math.IsNaN(t.Min[i]) {
			continue
		}
		x := (float64(i) + 0.5) * svgW / float64(n)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#555" stroke-width="%.2f"/>`,
			x, y(t.Min[i])+0.5, x, y(t.Max[i])-0.5, math.Max(svgW/float64(n), 1))
	}
	// Current thresholds are labelled on the left, new ones on the right.
	for _, bd := range []struct {
		vs     []float64
		color  string
		x      float64
		anchor string
	}{{t.OldBounds, oldColor, 4, "start"}, {t.NewBounds, newColor, svgW - 4, "end"}} {
		for _, v := range bd.vs {
			fmt.Fprintf(&b, `<line x1="0" y1="%.1f" x2="%.0f" y2="%.1f" stroke="%s" stroke-dasharray="6 4"/><text x="%.0f" y="%.1f" font-size="11" fill="%s" text-anchor="%s">%g</text>`,
				y(v), svgW, y(v), bd.color, bd.x, y(v)-2, bd.color, bd.anchor, v)
		}
	}
	r.bands(&b, t.Old, plotH+2, bandH, oldColor)
	r.bands(&b, t.New, plotH+bandH+4, bandH, newColor)
	fmt.Fprintf(&b, `<text x="0" y="%.0f" font-size="11">%s</text><text x="%.0f" y="%.0f" font-size="11" text-anchor="end">%s</text></svg>`,
		svgH-4, r.stamp(r.From), svgW, svgH-4, r.stamp(r.To))
	return b.String()
}

// bands draws episodes as bars of height h at top.
func (r *Report) bands(b *strings.Builder, eps []episode, top, h float64, color string) {
	span := float64(r.To.Sub(r.From))
	x := func(t time.Time) float64 { return float64(t.Sub(r.From)) / span * svgW }
	for _, e := range eps {
		end := e.End
		if end.IsZero() {
			end = r.To
		}
		fmt.Fprintf(b, `<rect x="%.2f" y="%.1f" width="%.2f" height="%.0f" fill="%s"/>`,
			x(e.Start), top, math.Max(x(end)-x(e.Start), 1), h, color)
	}
}

// valueRange is the y range: the envelope and the thresholds, padded.
func valueRange(t *Timeline) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, vs := range [][]float64{t.Min, t.Max, t.OldBounds, t.NewBounds} {
		for _, v := range vs {
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 0) {
		return 0, 1
	}
	if hi-lo < 1e-9 {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.05
	return lo - pad, hi + pad
}
