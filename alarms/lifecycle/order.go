package lifecycle

import (
	"cmp"
	"slices"
)

// sorted returns the records by raise time, then id: a stable order for
// journaling several alarms at once.
func (m *Manager) sorted() []*record {
	out := make([]*record, 0, len(m.alarms))
	for _, r := range m.alarms {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *record) int {
		return cmp.Or(a.tr.ActiveSince.Compare(b.tr.ActiveSince), cmp.Compare(a.tr.ID, b.tr.ID))
	})
	return out
}
