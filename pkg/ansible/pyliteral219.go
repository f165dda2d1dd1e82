package ansible

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/kook-project/kook/pkg/kook"
)

// iniValueRules is iniValue under the given rules. ansible-core 2.19's
// ini plugin passes every literal through _parse_recursive_coerce_types_and_tag,
// which keeps what 2.14 cannot print: tuples and sets become lists, an
// Ellipsis becomes the string "...", a complex number its str() ("1j",
// "(1+2j)"), and bytes, at any depth, an unsafe string (they are the only
// strings it does not mark trusted for templating).
func iniValueRules(s string, rules Rules) (any, error) {
	if rules == Rules214 {
		return iniValue(s)
	}
	if !mayBeLiteral(s) {
		return s, nil
	}
	if n, ok := plainDecimal(s); ok {
		return n, nil
	}
	s = strings.TrimLeft(s, " \t")
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		return s, nil
	}
	p := &pyParser{src: s}
	node, good := p.parseTop()
	if !good {
		return s, nil
	}
	pv, err := pyConvert(node)
	if err != nil {
		if errors.Is(err, errPyValue) {
			return s, nil
		}
		return nil, err
	}
	return pyToKook219(pv)
}

// pyToKook219 converts an evaluated literal as 2.19's ini plugin coerces it.
func pyToKook219(v *pyVal) (any, error) {
	switch v.kind {
	case pyEllipsis:
		return "...", nil
	case pyComplex:
		return pyComplexStr(v.f, v.im), nil
	case pyBytes:
		if !utf8.ValidString(v.s) {
			return nil, errors.New("bytes value is not valid UTF-8")
		}
		return map[string]any{"__ansible_unsafe": v.s}, nil
	case pySet:
		items, err := pySetOrder(v.items)
		if err != nil {
			return nil, err
		}
		return pyToKook219List(items)
	case pyTuple, pyList:
		return pyToKook219List(v.items)
	case pyDict:
		return pyDictToKook(v, pyToKook219)
	}
	return pyToKook(v, true)
}

func pyToKook219List(items []*pyVal) (any, error) {
	out := make([]any, len(items))
	for i, it := range items {
		x, err := pyToKook219(it)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// pyComplexStr is Python's str() of complex(re, im): "1j" when the real
// part is +0, else "(re±imj)", numbers as repr() writes them minus ".0".
func pyComplexStr(re, im float64) string {
	if re == 0 && !math.Signbit(re) {
		return pyFloatShort(im) + "j"
	}
	i := pyFloatShort(im)
	if i[0] != '-' {
		i = "+" + i
	}
	return "(" + pyFloatShort(re) + i + "j)"
}

// pyFloatShort is repr(float) without the ".0" Python adds to integral
// values, as complex's repr formats its parts.
func pyFloatShort(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strings.TrimSuffix(string(kook.AppendFloat(nil, f)), ".0")
}

// pySetOrder returns a set's members in the order CPython 3.11 iterates
// the set literal_eval builds (set() fed one member at a time), which is
// the order 2.19 lists them in. Only members whose hash is fixed can be
// placed: ints and bools (and floats equal to an int). A string's hash
// changes with every Python process, so such a set has no order kook
// could reproduce, and it is refused.
func pySetOrder(items []*pyVal) ([]*pyVal, error) {
	hashes := make([]uint64, len(items))
	for i, it := range items {
		h, ok := pyFixedHash(it)
		if !ok {
			return nil, fmt.Errorf("a set holding a %s: Python lists its members in an order that changes from run to run, which kook cannot reproduce (write a list)", pyTypeNames[it.kind])
		}
		hashes[i] = h
	}
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
	for idx := range items {
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
	out := make([]*pyVal, 0, len(items))
	for _, s := range table {
		if s.used {
			out = append(out, items[s.item])
		}
	}
	return out, nil
}

// pyFixedHash is Python's hash() for the values whose hash does not
// depend on the process: ints, bools and integral floats.
func pyFixedHash(v *pyVal) (uint64, bool) {
	const modulus = 1<<61 - 1
	var n int64
	switch v.kind {
	case pyBool:
		if v.b {
			n = 1
		}
	case pyInt:
		if v.big != nil {
			return 0, false
		}
		n = v.i
	case pyFloat:
		if v.f != math.Trunc(v.f) || math.Abs(v.f) >= 1<<62 {
			return 0, false
		}
		n = int64(v.f)
	default:
		return 0, false
	}
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
	return uint64(h), true
}
