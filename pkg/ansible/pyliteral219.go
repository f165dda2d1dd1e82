package ansible

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/pysem"
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
	return strings.TrimSuffix(string(pysem.AppendFloat(nil, f)), ".0")
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
			return nil, beyondKook{fmt.Errorf("a set holding a %s: Python lists its members in an order that changes from run to run, which kook cannot reproduce (write a list)", pyTypeNames[it.kind])}
		}
		hashes[i] = h
	}
	order := pysem.SetOrder(hashes)
	out := make([]*pyVal, len(order))
	for i, idx := range order {
		out[i] = items[idx]
	}
	return out, nil
}

// pyFixedHash is Python's hash() for the values whose hash does not
// depend on the process: ints, bools and integral floats.
func pyFixedHash(v *pyVal) (uint64, bool) {
	switch v.kind {
	case pyBool:
		if v.b {
			return pysem.HashInt(1), true
		}
		return pysem.HashInt(0), true
	case pyInt:
		if v.big != nil {
			return 0, false
		}
		return pysem.HashInt(v.i), true
	case pyFloat:
		if v.f != math.Trunc(v.f) || math.Abs(v.f) >= 1<<62 {
			return 0, false
		}
		return pysem.HashInt(int64(v.f)), true
	}
	return 0, false
}
