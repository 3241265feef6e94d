package site

import (
	"fmt"
	"sort"
)

// didYouMean returns ` (did you mean "x"?)` for the candidate closest to
// word, when one is within two edits of it, or "".
func didYouMean(word string, candidates []string) string {
	if len(word) > 64 {
		return "" // edit distance is quadratic; long input is no typo
	}
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted) // the same suggestion every run
	best, bestDist := "", 3
	for _, c := range sorted {
		if d := EditDistance(word, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// EditDistance is the optimal-string-alignment distance between a and b,
// in bytes: Levenshtein plus swaps of two neighbours, the commonest typo
// ("nmae" is one edit from "name", two from "map"). It is facmon's one
// measure of a typo: the site file's "did you mean" and the check's
// warnings (internal/lint) both use it.
func EditDistance(a, b string) int {
	rows := [3][]int{make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)}
	for j := range rows[1] {
		rows[1][j] = j
	}
	for i := 1; i <= len(a); i++ {
		pp, prev, cur := rows[0], rows[1], rows[2]
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
		rows[0], rows[1], rows[2] = prev, cur, pp
	}
	return rows[1][len(b)]
}

// kindNames returns the names of Kinds.
func kindNames() []string {
	out := make([]string, len(Kinds))
	for i, k := range Kinds {
		out[i] = k.Name
	}
	return out
}
