package influx

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"facmon/collectors"
)

var t0 = time.Unix(1700000000, 123456789)

func pt(kind, device, signal string, v float64) collectors.Point {
	return collectors.Point{Site: "demo", Area: "north", Kind: kind, Device: device, Signal: signal, Value: v, Time: t0}
}

func TestEncode(t *testing.T) {
	ns := "1700000000123456789"
	for _, tc := range []struct {
		name    string
		points  []collectors.Point
		names   map[string]DeviceNames
		want    []string
		counts  []int
		dropped map[string]int
	}{
		{
			name:   "float field, tags sorted",
			points: []collectors.Point{pt("water_tank", "tank-1", "level", 2.5)},
			want:   []string{"water_tank,area=north,device=tank-1,site=demo level=2.5 " + ns},
			counts: []int{1},
		},
		{
			name: "bool field",
			points: []collectors.Point{func() collectors.Point {
				p := pt("pump", "p1", "running", 1)
				p.Bool = true
				return p
			}()},
			want:   []string{"pump,area=north,device=p1,site=demo running=true " + ns},
			counts: []int{1},
		},
		{
			name:   "same device and time merged, later value wins",
			points: []collectors.Point{pt("pump", "p1", "a", 1), pt("pump", "p1", "b", 2), pt("pump", "p1", "a", 3), pt("pump", "p2", "a", 4)},
			want: []string{
				"pump,area=north,device=p1,site=demo a=3,b=2 " + ns,
				"pump,area=north,device=p2,site=demo a=4 " + ns,
			},
			counts: []int{3, 1},
		},
		{
			name:   "escaping of spaces, commas and equals",
			points: []collectors.Point{{Site: "a b", Area: "x,y", Kind: "my kind,v2", Device: "d=1", Signal: "s p,=", Value: -0.5, Time: t0}},
			want:   []string{`my\ kind\,v2,area=x\,y,device=d\=1,site=a\ b s\ p\,\==-0.5 ` + ns},
			counts: []int{1},
		},
		{
			name:   "the site file's names as tags name and area_name, escaped",
			points: []collectors.Point{pt("water_tank", "fire-tank-1", "level", 2), pt("water_tank", "tank-9", "level", 1)},
			names:  map[string]DeviceNames{"fire-tank-1": {Name: "消防水箱 1", AreaName: "消防水泵房"}},
			want: []string{
				`water_tank,area=north,area_name=消防水泵房,device=fire-tank-1,name=消防水箱\ 1,site=demo level=2 ` + ns,
				"water_tank,area=north,device=tank-9,site=demo level=1 " + ns,
			},
			counts: []int{1, 1},
		},
		{
			name:   "Chinese ids pass through",
			points: []collectors.Point{{Site: "阳光花园", Area: "一号楼", Kind: "water_tank", Device: "消防水箱-1", Signal: "液位", Value: 1e21, Time: t0}},
			want:   []string{"water_tank,area=一号楼,device=消防水箱-1,site=阳光花园 液位=1e+21 " + ns},
			counts: []int{1},
		},
		{
			name:   "control characters and backslashes cleaned",
			points: []collectors.Point{{Site: "s\n1", Kind: "k\\", Device: "d\t", Signal: "x\\ y", Value: 1, Time: t0}},
			want:   []string{`k/,device=d_,site=s_1 x/\ y=1 ` + ns},
			counts: []int{1},
		},
		{
			name:   "empty area left out, signal time renamed",
			points: []collectors.Point{{Site: "demo", Kind: "meter", Device: "m", Signal: "time", Value: 7, Time: t0}},
			want:   []string{"meter,device=m,site=demo time_=7 " + ns},
			counts: []int{1},
		},
		{
			name: "device status to its own measurement",
			points: []collectors.Point{{Site: "demo", Area: "north", Kind: "pump", Device: "p1",
				Signal: collectors.StatusSignal, Value: float64(collectors.Offline), Quality: collectors.Bad, Time: t0}},
			want:   []string{`device_status,area=north,device=p1,kind=pump,site=demo status="offline",online=false ` + ns},
			counts: []int{1},
		},
		{
			name: "uncertain written, bad reading dropped",
			points: []collectors.Point{
				func() collectors.Point { p := pt("pump", "p1", "a", 1); p.Quality = collectors.Uncertain; return p }(),
				func() collectors.Point { p := pt("pump", "p1", "b", 1); p.Quality = collectors.Bad; return p }(),
			},
			want:    []string{"pump,area=north,device=p1,site=demo a=1 " + ns},
			counts:  []int{1},
			dropped: map[string]int{ReasonBadQuality: 1},
		},
		{
			name: "invalid points dropped",
			points: []collectors.Point{
				pt("", "d", "s", 1), pt("k", "", "s", 1), pt("k", "d", "", 1), pt("#k", "d", "s", 1),
				pt("k", "d", "s", math.NaN()), pt("k", "d", "s", math.Inf(-1)),
				{Kind: "k", Device: "d", Signal: "s", Time: time.Time{}},
			},
			dropped: map[string]int{ReasonInvalid: 7},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := encodePoints(tc.points, tc.names)
			var got []string
			for _, l := range e.lines {
				got = append(got, string(l))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("lines:\n got  %q\n want %q", got, tc.want)
			}
			if len(e.counts) != len(tc.counts) || (len(tc.counts) > 0 && !slices.Equal(e.counts, tc.counts)) {
				t.Errorf("counts %v, want %v", e.counts, tc.counts)
			}
			if len(e.dropped) != len(tc.dropped) {
				t.Errorf("dropped %v, want %v", e.dropped, tc.dropped)
			}
			for k, v := range tc.dropped {
				if e.dropped[k] != v {
					t.Errorf("dropped %v, want %v", e.dropped, tc.dropped)
				}
			}
		})
	}
}

func TestRecords(t *testing.T) {
	lines := make([][]byte, 1234)
	counts := make([]int, len(lines))
	for i := range lines {
		lines[i] = []byte("m f=1 1")
		counts[i] = 2
	}
	recs, total := records(lines, counts)
	if total != 2468 || len(recs) != 3 {
		t.Fatalf("records: %d records, %d points; want 3, 2468", len(recs), total)
	}
	sum := 0
	for _, r := range recs {
		sum += recordPoints(r)
		if n := strings.Count(string(recordLines(r)), "\n") + 1; n*2 != recordPoints(r) {
			t.Errorf("record with %d lines claims %d points", n, recordPoints(r))
		}
	}
	if sum != total {
		t.Errorf("records hold %d points, want %d", sum, total)
	}
}
