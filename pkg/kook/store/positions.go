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
func assignPositions(hosts []string, group string, old storedPositions, seq *int64) []int64 {
	n := len(hosts)
	pos := make([]int64, n)
	keep := make([]bool, n)
	// Longest strictly increasing subsequence of old positions (patience).
	var tails []int // tails[k]: index of the smallest tail of a run of length k+1
	prev := make([]int, n)
	for i, h := range hosts {
		p, ok := old.of(group, h)
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
func keptPositions(hosts []string, group string, old storedPositions) ([]int64, bool) {
	pos := make([]int64, len(hosts))
	for i, h := range hosts {
		p, ok := old.of(group, h)
		if !ok || (i > 0 && p <= pos[i-1]) {
			return nil, false
		}
		pos[i] = p
	}
	return pos, true
}

// storedPositions says where each host stood in each group when the
// inventory was read, so that a write keeps what it can.
type storedPositions interface {
	// of returns host's position in group, and whether it was a member.
	of(group, host string) (int64, bool)
}

// groupPositions are stored positions by group, then host, as
// snapshot.inventory gives them.
type groupPositions map[string]map[string]int64

func (p groupPositions) of(group, host string) (int64, bool) {
	pos, ok := p[group][host]
	return pos, ok
}

// hostPositions are stored positions by host, as its record holds them:
// one map entry per host, made without copying a name, where a map per
// group cost a re-import of 100,000 hosts a third of a second.
type hostPositions map[string][]encMember

func (p hostPositions) of(group, host string) (int64, bool) {
	for _, m := range p[host] {
		if string(m.group) == group {
			return m.pos, true
		}
	}
	return 0, false
}
