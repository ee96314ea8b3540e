// Package suggest finds the word a person most likely meant, for the
// "did you mean" of a message about a misspelled key, operator or row name.
package suggest

import "strings"

// Nearest returns the choice that word was most likely meant to be: one
// that differs only in letter case, or else the closest one at most two
// edits away, or "" when none is that close. Ties go to the earlier choice.
func Nearest(word string, choices []string) string {
	best, bestDistance := "", 3
	for _, c := range choices {
		if strings.EqualFold(c, word) {
			return c
		}
		if d := Distance(strings.ToLower(word), strings.ToLower(c)); d < bestDistance {
			best, bestDistance = c, d
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b: the fewest single
// byte insertions, deletions and substitutions that turn one into the other.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
