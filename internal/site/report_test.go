package site

import (
	"strings"
	"testing"
)

// TestReportSection loads a report section and reports each mistake at
// its place, in the site file's words.
func TestReportSection(t *testing.T) {
	head := `site: demo
notify:
  receivers: [{name: ding, type: dingtalk, url: https://oapi.dingtalk.com/robot/send}]
`
	none := env{readFile: func(string) ([]byte, error) { return nil, nil }, getenv: func(string) (string, bool) { return "", false }}
	s, err := parse("site.yaml", []byte(head+"report: {at: \"07:30\", weekly: mon, receivers: [ding], lang: en}\n"), none)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Report; r == nil || r.At != "07:30" || r.Weekly != "mon" || r.Lang != "en" || len(r.Receivers) != 1 {
		t.Errorf("report = %+v", s.Report)
	}
	for _, tc := range []struct{ name, src, want string }{
		{"bad time", `report: {at: "7h30"}`, "site.yaml:4:14: report: at: "},
		{"unknown receiver", `report: {at: "07:30", receivers: [phone]}`, `site.yaml:4:34: report: receivers: receiver "phone" not defined under notify`},
		{"weekday", `report: {at: "07:30", weekly: monday}`, `site.yaml:4:31: report: weekly: day "monday" unknown`},
		{"lang", `report: {at: "07:30", lang: fr}`, `site.yaml:4:29: report: lang "fr" unknown (want zh or en)`},
		{"receivers without a time", `report: {receivers: [ding]}`, "site.yaml:4:9: report: at missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse("site.yaml", []byte(head+tc.src+"\n"), none)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
