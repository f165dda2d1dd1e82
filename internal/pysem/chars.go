package pysem

import (
	"sort"
	"strings"
	"unicode"
)

// IsSpace is str.isspace() of the one-character string r: Unicode
// separators (Zs) and the characters of bidirectional class WS, B or S,
// which adds the ASCII information separators U+001C..U+001F to Go's
// unicode.IsSpace.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// Strip is str.strip() without arguments.
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// isASCIISpace is C's isspace in the "C" locale, which is what int()
// strips once it has turned every other Python space into ' '.
func isASCIISpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

// IsDigit is str.isdecimal() of r, which is also what re's \d matches in a
// str pattern and what int() reads as a digit: a Unicode decimal digit
// (category Nd) as Python's Unicode data has it.
func IsDigit(r rune) bool {
	if r < 0x80 {
		return '0' <= r && r <= '9'
	}
	return unicode.IsDigit(r) && !unassigned(r)
}

// unassigned reports whether Python's Unicode data leaves r unassigned
// while Go's assigns it.
func unassigned(r rune) bool {
	if r < newerThanPython[0][0] {
		return false
	}
	i := sort.Search(len(newerThanPython), func(i int) bool { return newerThanPython[i][1] >= r })
	return i < len(newerThanPython) && newerThanPython[i][0] <= r
}

// DigitValue is the value of a decimal digit (0..9), or false when
// IsDigit(r) is false. Unicode lays out every decimal digit set as a run
// of ten code points from zero to nine, and adjacent runs are whole sets.
func DigitValue(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if !IsDigit(r) {
		return 0, false
	}
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return int(r-start) % 10, true
}

// IsWord is re's \w in a str pattern: '_', letters and numbers (what
// str.isalnum() accepts).
func IsWord(r rune) bool {
	return r == '_' || ((unicode.IsLetter(r) || unicode.IsNumber(r)) && !unassigned(r))
}

// InvalidVariableName reports whether Ansible's C.INVALID_VARIABLE_NAMES,
// the Python regular expression `^[\d\W]|[^\w]` on a str, matches name:
// a first character that is a digit or not a word character, or any
// non-word character later (combining marks included: \w has none).
func InvalidVariableName(name string) bool {
	for i, r := range name {
		if !IsWord(r) || (i == 0 && IsDigit(r)) {
			return true
		}
	}
	return false
}
