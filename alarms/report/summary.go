package report

import "fmt"

// Summary is the report in one line: the community's name and Brief.
func (r *Report) Summary() string { return r.Site.Name + " " + r.Brief() }

// Brief is the report in one line without the community's name, for the
// message to the receivers (whose title names it):
// 运行日报（2026-12-05）：新增告警12条（紧急2条），未恢复3条，超时4项，离线设备2台。
func (r *Report) Brief() string {
	w := wordsOf(r.Lang)
	v := &view{Report: r, W: w}
	s := fmt.Sprintf(w.Summary, w.Title(r.Period), v.Day(), r.Raised, r.BySeverity[0], len(r.Standing), len(r.Missed))
	if r.Readings != nil {
		n := 0
		for _, a := range r.Readings.Devices {
			if a.Offline > 0 {
				n++
			}
		}
		s += fmt.Sprintf(w.SummaryOffline, n)
	}
	return s + w.End
}
