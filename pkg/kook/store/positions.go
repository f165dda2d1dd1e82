package store

import "sort"

// assignPositions gives each host of a group's ordered member list a
// position such that sorting by position gives the list back, keeping as
// many old positions as it can so that a re-import rewrites only the
// buckets of hosts that really moved.
//
// It keeps the longest run of members whose old positions already
// increase along the list; hosts before the first kept one count down
// from it, hosts after the last kept one get fresh positions from *seq
// (which stays above every position handed out), and hosts between two
// kept ones share the gap. Only when a gap is too narrow is the whole
// group renumbered from *seq.
func assignPositions(hosts []string, old map[string]int64, seq *int64) []int64 {
	n := len(hosts)
	pos := make([]int64, n)
	keep := make([]bool, n)
	// Longest strictly increasing subsequence of old positions (patience).
	var tails []int // tails[k]: index of the smallest tail of a run of length k+1
	prev := make([]int, n)
	for i, h := range hosts {
		p, ok := old[h]
		if !ok {
			continue
		}
		pos[i] = p
		k := sort.Search(len(tails), func(k int) bool { return pos[tails[k]] >= p })
		if k > 0 {
			prev[i] = tails[k-1]
		} else {
			prev[i] = -1
		}
		if k == len(tails) {
			tails = append(tails, i)
		} else {
			tails[k] = i
		}
	}
	if len(tails) > 0 {
		for i := tails[len(tails)-1]; i >= 0; i = prev[i] {
			keep[i] = true
		}
	}
	for i := 0; i < n; {
		if keep[i] {
			i++
			continue
		}
		j := i
		for j < n && !keep[j] {
			j++
		}
		k := int64(j - i) // hosts i..j-1 need positions
		switch {
		case i == 0 && j == n: // nothing kept
			for x := i; x < j; x++ {
				pos[x] = *seq
				*seq += positionStride
			}
		case i == 0: // before the first kept
			for x := i; x < j; x++ {
				pos[x] = pos[j] - int64(j-x)*positionStride
			}
		case j == n: // after the last kept
			for x := i; x < j; x++ {
				pos[x] = *seq
				*seq += positionStride
			}
		default:
			a, b := pos[i-1], pos[j]
			step := (b - a) / (k + 1)
			if step < 1 {
				for x := range hosts {
					pos[x] = *seq
					*seq += positionStride
				}
				return pos
			}
			for x := i; x < j; x++ {
				pos[x] = a + step*int64(x-i+1)
			}
		}
		i = j
	}
	return pos
}

// keptPositions is assignPositions for the common case of a group whose
// members all keep their old positions (every member already has one, in
// increasing order): it returns them and true, else nil and false. It
// never touches the sequence, so groups can be checked concurrently.
func keptPositions(hosts []string, old map[string]int64) ([]int64, bool) {
	if len(hosts) > len(old) {
		return nil, false
	}
	pos := make([]int64, len(hosts))
	for i, h := range hosts {
		p, ok := old[h]
		if !ok || (i > 0 && p <= pos[i-1]) {
			return nil, false
		}
		pos[i] = p
	}
	return pos, true
}
