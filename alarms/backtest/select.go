package backtest

import (
	"slices"

	"facmon/alarms/rules"
)

// selection is what the replay must read: for each device a rule of
// either set watches, the signals those rules read; every signal of a
// device a silence (no_data_for) rule watches, since any point of it
// counts; nothing of a device no rule watches. Reading less than
// everything keeps a month of a community quick to replay.
func selection(sets ...*rules.Set) map[string][]string {
	sel := map[string][]string{}
	all := map[string]bool{}
	for _, set := range sets {
		for _, r := range set.Rules {
			for _, dev := range r.Devices {
				if _, ok := sel[dev]; !ok {
					sel[dev] = []string{}
				}
				if r.Supervision != nil && r.Supervision.NoDataFor > 0 {
					all[dev] = true
				}
				for _, ref := range r.Reads(dev) {
					if _, ok := sel[ref.Device]; !ok {
						sel[ref.Device] = []string{}
					}
					if !slices.Contains(sel[ref.Device], ref.Signal) {
						sel[ref.Device] = append(sel[ref.Device], ref.Signal)
					}
				}
			}
		}
	}
	for dev := range all {
		sel[dev] = nil // nil: every signal
	}
	return sel
}
