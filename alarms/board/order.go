package board

import (
	"cmp"
	"slices"
)

// sortBoard puts the alarms in the operator's order (篇3·二十二·3: every
// alarm seen and handled): unacknowledged before acknowledged, then by
// severity (critical first), then the newest raise first; alarms raised at
// the same moment keep their arrival order.
func sortBoard(as []Alarm) {
	slices.SortFunc(as, func(x, y Alarm) int {
		if c := cmp.Compare(ackRank(&x), ackRank(&y)); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Severity, y.Severity); c != 0 {
			return c
		}
		if c := y.ActiveSince.Compare(x.ActiveSince); c != 0 {
			return c
		}
		return cmp.Compare(x.seq, y.seq)
	})
}

func ackRank(a *Alarm) int {
	if a.Unacked() {
		return 0
	}
	return 1
}
