package lint

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"facmon/alarms/rules"
	"facmon/internal/site"
)

// seedRules loads the seed rule pack (without its tests).
func seedRules(t *testing.T) []*rules.File {
	t.Helper()
	paths, err := filepath.Glob("../../seeds/rules/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("seed pack: %v %v", paths, err)
	}
	var keep []string
	for _, p := range paths {
		if !strings.HasSuffix(p, "_test.yaml") {
			keep = append(keep, p)
		}
	}
	files, err := rules.Load(keep...)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func lintText(t *testing.T, name, text string, files []*rules.File) []Warning {
	t.Helper()
	t.Setenv(site.EnvInfluxToken, "t")
	t.Setenv(site.EnvMQTTPassword, "p")
	s, err := site.Parse(name, []byte(text))
	if err != nil {
		t.Fatalf("site does not load: %v", err)
	}
	set, err := rules.Validate(files, s)
	if err != nil {
		t.Fatalf("rules do not validate: %v", err)
	}
	return Check(s, set, []byte(text))
}

func oldGuide(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/install-old.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var warningLine = regexp.MustCompile(`^[^:]+:\d+:\d+: warning: .+; .+`)

// TestOldInstallGuideWarnsThreeWays is issue 13's report: the guide's old
// site file was valid and silently wrong three ways.
func TestOldInstallGuideWarnsThreeWays(t *testing.T) {
	ws := lintText(t, "install-old.yaml", oldGuide(t), seedRules(t))
	want := []string{
		`device "fire-tank" (water_tank) is watched by no rule: rules select labels {purpose: fire} (fire-water-low, ../../seeds/rules/water.yaml:6:5); this device has labels {system: fire}`,
		`device "tank-sensor-1" (water_tank) is watched by no rule: rules select labels {purpose: fire}`,
		`mqtt: no subscriptions, so 1 MQTT device(s) (tank-sensor-1, …) never report`,
		`no notify route sends critical alarms anywhere`,
	}
	if len(ws) != len(want) {
		t.Fatalf("%d warnings, want %d:\n%s", len(ws), len(want), join(ws))
	}
	for i, w := range ws {
		if !strings.Contains(w.String(), want[i]) {
			t.Errorf("warning %d:\n got %s\nwant …%s…", i, w, want[i])
		}
		if !warningLine.MatchString(w.String()) {
			t.Errorf("warning %d is not file:line:col: warning: message; hint: %s", i, w)
		}
	}
	for i, p := range []string{"install-old.yaml:22:5", "install-old.yaml:53:5", "install-old.yaml:72:3", "install-old.yaml:79:1"} {
		if ws[i].Pos != p {
			t.Errorf("warning %d at %s, want %s", i, ws[i].Pos, p)
		}
	}
}

func join(ws []Warning) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(w.String() + "\n")
	}
	return b.String()
}

// fixed applies edits to the old guide file.
func fixed(t *testing.T, edits ...string) string {
	t.Helper()
	s := oldGuide(t)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(s, edits[i]) {
			t.Fatalf("old guide has no %q", edits[i])
		}
		s = strings.ReplaceAll(s, edits[i], edits[i+1])
	}
	return s
}

const (
	subscription = "  password_file: /etc/facmon/secrets/mqtt.password\n" +
		"  subscriptions:\n    - {topic: \"estate/{area}/+/{device}/{signal}\", qos: 1, format: plain}\n"
	notifySection = "notify:\n  receivers:\n    - {name: am, type: alertmanager, urls: [\"http://127.0.0.1:9093\"]}\n" +
		"  routes:\n    - {severities: [critical], receivers: [am]}\n\nrules:"
)

// TestOnlyTheLabelFixedWarnsAboutUnits: with purpose: fire the rules select
// the tank, but compare metres against a level in percent (fire-water-high
// would be active all day at 75 %).
func TestOnlyTheLabelFixedWarnsAboutUnits(t *testing.T) {
	text := fixed(t, "{system: fire}", "{purpose: fire}",
		"  password_file: /etc/facmon/secrets/mqtt.password\n", subscription, "\nrules:", "\n"+notifySection)
	ws := lintText(t, "site.yaml", text, seedRules(t))
	got := join(ws)
	for _, want := range []string{
		`site.yaml:29:9: warning: device "fire-tank": signal "level" is in "%", but rule fire-water-low`,
		`compares it in "m" (below 2.4); scale the signal to m`,
		`device "fire-tank": signal "level" is in "%", but rule fire-water-high`,
		`device "tank-sensor-1": signal "level" is in "%", but rule fire-water-low`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no warning %q in:\n%s", want, got)
		}
	}
	if len(ws) != 4 {
		t.Errorf("%d warnings, want 4 (two rules × two tanks):\n%s", len(ws), got)
	}

	// Metres, as the guide now writes it: no warning at all.
	text = strings.ReplaceAll(text, `unit: "%"`, "unit: m")
	text = strings.Replace(text, "scale: 0.025", "scale: 0.001", 1)
	if ws := lintText(t, "site.yaml", text, seedRules(t)); len(ws) != 0 {
		t.Errorf("the fixed file warns:\n%s", join(ws))
	}
}

const rangeRules = `rules:
  - name: tank-low-percent
    severity: major
    cite: 篇3·十六·3
    select: {kind: water_tank, labels: {purpose: fire}}
    signal: level
    message: low
    threshold: {below: -5}
  - name: tank-overflow
    severity: major
    cite: 篇3·十六·3
    select: {kind: water_tank, labels: {purpose: fire}}
    signal: level
    message: high
    threshold: {above: 2000}
  - name: tank-ok
    severity: major
    cite: 篇3·十六·3
    select: {kind: water_tank, labels: {purpose: fire}}
    signal: level
    message: high
    threshold: {above: 95}
  - name: roof-tank-empty
    severity: warning
    cite: 篇3·十六·3
    select: {labels: {purpose: roof}}
    signal: level
    message: empty
    threshold: {below: 1}
`

// TestThresholdOutOfReach: a bound a percent signal or a register can
// never cross, and a label-only rule that selects nothing.
func TestThresholdOutOfReach(t *testing.T) {
	f, err := rules.Parse("extra.yaml", []byte(rangeRules))
	if err != nil {
		t.Fatal(err)
	}
	text := fixed(t, "{system: fire}", "{purpose: fire}",
		"  password_file: /etc/facmon/secrets/mqtt.password\n", subscription)
	got := join(lintText(t, "site.yaml", text, []*rules.File{f}))
	for _, want := range []string{
		`site.yaml:29:9: warning: device "fire-tank": signal "level" (%) stays within 0–100, so rule tank-low-percent (extra.yaml:2:5, below -5) can never raise`,
		`device "fire-tank": signal "level" (%) stays within 0–100, so rule tank-overflow`,
		`device "tank-sensor-1": signal "level" (%) stays within 0–100, so rule tank-overflow`,
		`extra.yaml:23:5: warning: rule roof-tank-empty selects no device: no device of site "demo-estate" has labels {purpose: roof}`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no warning %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "tank-ok") {
		t.Errorf("a reachable bound warned:\n%s", got)
	}
	// A uint16 register scaled to metres reaches 65.535 m at most.
	text = strings.Replace(strings.ReplaceAll(text, `unit: "%"`, "unit: m"), "scale: 0.025", "scale: 0.001", 1)
	got = join(lintText(t, "site.yaml", text, []*rules.File{f}))
	if !strings.Contains(got, `device "fire-tank": signal "level" (m) stays within 0–65.535, so rule tank-overflow`) {
		t.Errorf("no register-range warning:\n%s", got)
	}
	if strings.Contains(got, `"tank-sensor-1": signal "level" (m) stays within`) {
		t.Errorf("an MQTT signal in metres has no known range, yet warned:\n%s", got)
	}
}

// TestMQTTDeviceNotCovered: subscriptions exist, but none reaches the
// device.
func TestMQTTDeviceNotCovered(t *testing.T) {
	text := fixed(t, "  password_file: /etc/facmon/secrets/mqtt.password\n",
		"  password_file: /etc/facmon/secrets/mqtt.password\n  subscriptions:\n"+
			"    - {topic: \"estate/roof/tank\", format: plain, device: fire-tank, signal: level}\n")
	got := join(lintText(t, "site.yaml", text, nil))
	want := `site.yaml:58:11: warning: device "tank-sensor-1": no MQTT subscription covers it (none has {device} or device: tank-sensor-1) and it has no mqtt.topic`
	if !strings.Contains(got, want) || strings.Count(got, "warning:") != 1 {
		t.Errorf("want only %q, got:\n%s", want, got)
	}
	// No rules: neither selection nor notify warnings.
	if strings.Contains(got, "notify") || strings.Contains(got, "watched by no rule") {
		t.Errorf("warnings about rules without rules:\n%s", got)
	}
}

// TestOtherLabelValueIsDeliberate: a device that uses the rules' label key
// with another value (a sprinkler tank beside the fire-water rules) is left
// out on purpose; only a device missing the key is reported.
func TestOtherLabelValueIsDeliberate(t *testing.T) {
	text := fixed(t, "{system: fire}", "{purpose: sprinkler}",
		"  password_file: /etc/facmon/secrets/mqtt.password\n", subscription, "\nrules:", "\n"+notifySection)
	if ws := lintText(t, "site.yaml", text, seedRules(t)); len(ws) != 0 {
		t.Errorf("warnings for deliberately unwatched tanks:\n%s", join(ws))
	}
}

// TestNotifyRouteMustTakeCritical: a notify section whose routes take only
// major alarms leaves critical ones on the console.
func TestNotifyRouteMustTakeCritical(t *testing.T) {
	base := fixed(t, "{system: fire}", "{purpose: fire}", `unit: "%"`, "unit: m", "scale: 0.025", "scale: 0.001",
		"  password_file: /etc/facmon/secrets/mqtt.password\n", subscription)
	for name, routes := range map[string]string{
		"major only":     "    - {severities: [major], receivers: [am]}\n",
		"critical taken": "    - {severities: [critical], receivers: [am]}\n",
		"everything":     "    - {receivers: [am]}\n",
	} {
		t.Run(name, func(t *testing.T) {
			text := strings.Replace(base, "\nrules:", "\nnotify:\n  receivers:\n    - {name: am, type: alertmanager, urls: [\"http://127.0.0.1:9093\"]}\n  routes:\n"+routes+"\nrules:", 1)
			got := join(lintText(t, "site.yaml", text, seedRules(t)))
			warned := strings.Contains(got, "no notify route sends critical alarms")
			if want := name == "major only"; warned != want {
				t.Errorf("warned %v, want %v:\n%s", warned, want, got)
			}
		})
	}
}

// TestMisspeltLabelKeyWarns: purpse: fire is meant as purpose: fire.
func TestMisspeltLabelKeyWarns(t *testing.T) {
	text := fixed(t, "{system: fire}", "{purpse: fire}")
	got := join(lintText(t, "site.yaml", text, seedRules(t)))
	if !strings.Contains(got, `device "fire-tank" (water_tank) is watched by no rule: rules select labels {purpose: fire}`) ||
		!strings.Contains(got, "this device has labels {purpse: fire}") {
		t.Errorf("no warning for a misspelt label key:\n%s", got)
	}
}
