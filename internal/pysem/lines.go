package pysem

import "unicode/utf8"

// IsLineBreak reports whether str.splitlines() ends a line at r.
func IsLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// SplitLines calls fn with each line of data as str.splitlines() splits
// the text (line breaks dropped), stopping at fn's first error.
func SplitLines(data []byte, fn func(line string) error) error {
	start := 0
	for i := 0; i < len(data); {
		c := data[i]
		if c >= 0x20 && c < 0x80 {
			i++
			continue
		}
		r, size := rune(c), 1
		if c >= 0x80 {
			r, size = utf8.DecodeRune(data[i:])
		}
		if c == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			size = 2
		}
		if IsLineBreak(r) {
			if err := fn(string(data[start:i])); err != nil {
				return err
			}
			start = i + size
		}
		i += size
	}
	if start < len(data) {
		return fn(string(data[start:]))
	}
	return nil
}
