package pysem

// SetOrder returns the order in which CPython 3.11 iterates a set built
// by adding members with these hashes one after another (set() fed by
// literal_eval): indexes into hashes. Members are taken to be distinct.
// It is setobject.c's open addressing: linear probes of up to nine slots,
// then perturbed jumps, the table growing fourfold (twofold past 50,000
// members) when three fifths full.
func SetOrder(hashes []uint64) []int {
	const minSize, linearProbes, perturbShift = 8, 9, 5
	type slot struct {
		used bool
		item int
	}
	table := make([]slot, minSize)
	insert := func(table []slot, idx int) {
		mask := uint64(len(table) - 1)
		h := hashes[idx]
		perturb := h
		i := h & mask
		for {
			probes := uint64(0)
			if i+linearProbes <= mask {
				probes = linearProbes
			}
			for j := uint64(0); j <= probes; j++ {
				if !table[i+j].used {
					table[i+j] = slot{used: true, item: idx}
					return
				}
			}
			perturb >>= perturbShift
			i = (i*5 + 1 + perturb) & mask
		}
	}
	used := 0
	for idx := range hashes {
		insert(table, idx)
		used++
		mask := len(table) - 1
		if used*5 >= mask*3 {
			minUsed := used * 4
			if used > 50000 {
				minUsed = used * 2
			}
			size := minSize
			for size <= minUsed {
				size <<= 1
			}
			bigger := make([]slot, size)
			for _, s := range table {
				if s.used {
					insert(bigger, s.item)
				}
			}
			table = bigger
		}
	}
	out := make([]int, 0, len(hashes))
	for _, s := range table {
		if s.used {
			out = append(out, s.item)
		}
	}
	return out
}

// HashInt is hash(n) for an int: n modulo the Mersenne prime 2**61-1,
// the sign kept, -1 (the C API's error value) becoming -2.
func HashInt(n int64) uint64 {
	const modulus = 1<<61 - 1
	neg := n < 0
	var m uint64
	if neg {
		m = uint64(-(n + 1)) + 1 // |n| without overflow at MinInt64
	} else {
		m = uint64(n)
	}
	m %= modulus
	h := int64(m)
	if neg {
		h = -h
	}
	if h == -1 {
		h = -2
	}
	return uint64(h)
}
