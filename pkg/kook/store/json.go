package store

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kook-project/kook/pkg/kook"
)

// decoder parses the JSON kook writes into buckets straight into kook's
// value set. It is several times faster than encoding/json with UseNumber
// plus kook.NormalizeValue, types numbers the same way (1 is an int64, 1.0 a
// float64, integers past int64 become float64), and also reads the bare
// words NaN, Infinity and -Infinity that kook.AppendJSON writes.
//
// Object keys are interned: a fleet repeats the same var and group names on
// every host, and one copy of each keeps a large load small.
type decoder struct {
	data   []byte
	pos    int
	intern map[string]string
}

var errSyntax = errors.New("invalid JSON")

// newDecoder returns a decoder of data that interns keys in intern, or in
// a map of its own, made on first use, when intern is nil.
func newDecoder(data []byte, intern map[string]string) *decoder {
	return &decoder{data: data, intern: intern}
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON at byte %d: %s", d.pos, fmt.Sprintf(format, args...))
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (d *decoder) peek() byte {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

func (d *decoder) expect(c byte) error {
	if d.peek() != c {
		if d.pos >= len(d.data) {
			return d.errorf("unexpected end, want %q", c)
		}
		return d.errorf("found %q, want %q", d.data[d.pos], c)
	}
	d.pos++
	return nil
}

// end checks that nothing but space follows.
func (d *decoder) end() error {
	if d.peek() != 0 {
		return d.errorf("unexpected data after the value")
	}
	return nil
}

// object calls field for each key of an object; field must consume the
// value. Keys are interned.
func (d *decoder) object(field func(key string) error) error {
	return objectKeys(d, d.key, field)
}

// names is object for objects keyed by unique names (a bucket's hosts),
// which interning would only slow down.
func (d *decoder) names(field func(key string) error) error {
	return objectKeys(d, d.str, field)
}

// spans is object for keys that need no string of their own: each key is
// its span of the data where it can be (see strBytes), so reading one
// allocates nothing.
func (d *decoder) spans(field func(key []byte) error) error {
	return objectKeys(d, d.strBytes, field)
}

func objectKeys[K any](d *decoder, readKey func() (K, error), field func(key K) error) error {
	if err := d.expect('{'); err != nil {
		return err
	}
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	for {
		key, err := readKey()
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.errorf("want ',' or '}' in an object")
		}
	}
}

// key reads an object key, interned.
func (d *decoder) key() (string, error) {
	if d.peek() != '"' {
		return "", d.errorf("want a string key")
	}
	start := d.pos + 1
	for i := start; i < len(d.data); i++ {
		c := d.data[i]
		if c == '"' {
			raw := d.data[start:i]
			if s, ok := d.intern[string(raw)]; ok {
				d.pos = i + 1
				return s, nil
			}
			break
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	s, err := d.str()
	if err != nil {
		return "", err
	}
	if len(s) <= 64 && len(d.intern) < 1<<20 {
		if d.intern == nil {
			d.intern = map[string]string{}
		}
		d.intern[s] = s
	}
	return s, nil
}

// strBytes is str without the allocation for a string that has no
// escapes: it returns the string's span of the data (which the caller must
// not change).
func (d *decoder) strBytes() ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.errorf("want a string")
	}
	start := d.pos + 1
	ascii := true
	for i := start; i < len(d.data); i++ {
		c := d.data[i]
		if c == '"' {
			b := d.data[start:i:i]
			if ascii || utf8.Valid(b) {
				d.pos = i + 1
				return b, nil
			}
			break
		}
		if c == '\\' || c < 0x20 {
			break
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	// Escapes, invalid UTF-8 and errors are str's to deal with.
	s, err := d.str()
	return []byte(s), err
}

// str reads a string value.
func (d *decoder) str() (string, error) {
	if d.peek() != '"' {
		return "", d.errorf("want a string")
	}
	d.pos++
	start := d.pos
	ascii := true
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			s := string(d.data[start:d.pos])
			d.pos++
			if !ascii && !utf8.ValidString(s) {
				s = replaceInvalidUTF8(s)
			}
			return s, nil
		case c == '\\':
			return d.strSlow(start)
		case c < 0x20:
			return "", d.errorf("control character in a string")
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.pos++
	}
	return "", d.errorf("unterminated string")
}

// replaceInvalidUTF8 replaces every byte that is not part of valid UTF-8
// with U+FFFD, as encoding/json does (and so kook.DecodeJSON): one
// replacement per run of them, as strings.ToValidUTF8 makes, would have
// the two readers disagree about a bucket kook did not write.
func replaceInvalidUTF8(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func (d *decoder) strSlow(start int) (string, error) {
	buf := append([]byte(nil), d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			if !utf8.Valid(buf) {
				return replaceInvalidUTF8(string(buf)), nil
			}
			return string(buf), nil
		case c < 0x20:
			return "", d.errorf("control character in a string")
		case c != '\\':
			buf = append(buf, c)
			d.pos++
			continue
		}
		d.pos++
		if d.pos >= len(d.data) {
			break
		}
		e := d.data[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.errorf("bad \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
					save := d.pos
					d.pos += 2
					var ok2 bool
					if r2, ok2 = d.hex4(); !ok2 {
						return "", d.errorf("bad \\u escape")
					}
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						buf = utf8.AppendRune(buf, dec)
						continue
					}
					d.pos = save
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", d.errorf("bad escape \\%c", e)
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *decoder) hex4() (rune, bool) {
	if d.pos+4 > len(d.data) {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	d.pos += 4
	return r, true
}

// value reads any value.
func (d *decoder) value() (any, error) {
	switch c := d.peek(); {
	case c == '{':
		m := map[string]any{}
		err := d.object(func(k string) error {
			v, err := d.value()
			m[k] = v
			return err
		})
		return m, err
	case c == '[':
		d.pos++
		list := []any{}
		if d.peek() == ']' {
			d.pos++
			return list, nil
		}
		for {
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			switch d.peek() {
			case ',':
				d.pos++
			case ']':
				d.pos++
				return list, nil
			default:
				return nil, d.errorf("want ',' or ']' in an array")
			}
		}
	case c == '"':
		return d.str()
	case c == 't':
		return true, d.word("true")
	case c == 'f':
		return false, d.word("false")
	case c == 'n':
		return nil, d.word("null")
	case c == 'N':
		return math.NaN(), d.word("NaN")
	case c == 'I':
		return math.Inf(1), d.word("Infinity")
	case c == '-' && d.pos+1 < len(d.data) && d.data[d.pos+1] == 'I':
		d.pos++
		return math.Inf(-1), d.word("Infinity")
	case c == '-' || ('0' <= c && c <= '9'):
		return d.number()
	case c == 0:
		return nil, d.errorf("unexpected end")
	default:
		return nil, d.errorf("unexpected %q", c)
	}
}

func (d *decoder) word(w string) error {
	if len(d.data)-d.pos < len(w) || string(d.data[d.pos:d.pos+len(w)]) != w {
		return d.errorf("bad literal")
	}
	d.pos += len(w)
	return nil
}

func (d *decoder) number() (any, error) {
	start := d.pos
	float := false
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if '0' <= c && c <= '9' || c == '-' {
		} else if c == '.' || c == 'e' || c == 'E' || c == '+' {
			float = true
		} else {
			break
		}
		d.pos++
	}
	s := string(d.data[start:d.pos])
	if !float {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		d.pos = start
		return nil, d.errorf("bad number %q", s)
	}
	return f, nil
}

// int reads an integer (a membership position). Plain digits, which is
// what positions are, are read in place; anything else (a huge number, an
// exponent, a fraction to refuse) goes through number.
func (d *decoder) int() (int64, error) {
	d.skipSpace()
	i, neg := d.pos, false
	if i < len(d.data) && d.data[i] == '-' {
		i, neg = i+1, true
	}
	var n int64
	digits := i
	for ; i < len(d.data) && i-digits < 18 && '0' <= d.data[i] && d.data[i] <= '9'; i++ {
		n = n*10 + int64(d.data[i]-'0')
	}
	if i > digits && (i == len(d.data) || !numberByte[d.data[i]]) {
		d.pos = i
		if neg {
			n = -n
		}
		return n, nil
	}
	v, err := d.number()
	if err != nil {
		return 0, err
	}
	n, ok := v.(int64)
	if !ok {
		return 0, d.errorf("want an integer")
	}
	return n, nil
}

// vars reads an object of vars.
func (d *decoder) vars() (kook.Vars, error) {
	vars := kook.Vars{}
	err := d.object(func(k string) error {
		v, err := d.value()
		vars[k] = v
		return err
	})
	return vars, err
}

// numberByte tells the bytes number reads as part of a number.
var numberByte = func() (t [256]bool) {
	for _, c := range "0123456789-+.eE" {
		t[c] = true
	}
	return t
}()

// skip steps over one value, checking its syntax only loosely: it is used
// to find record boundaries in buckets that are decoded properly later,
// and to cut out vars that are copied as they are.
func (d *decoder) skip() error {
	switch c := d.peek(); c {
	case '"':
		end, ok := stringEnd(d.data, d.pos+1)
		d.pos = end
		if !ok {
			return d.errorf("unterminated string")
		}
		return nil
	case '{', '[':
		depth := 0
		for i := d.pos; i < len(d.data); i++ {
			switch d.data[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					d.pos = i + 1
					return nil
				}
			case '"':
				end, ok := stringEnd(d.data, i+1)
				if !ok {
					d.pos = end
					return d.errorf("unterminated string")
				}
				i = end - 1
			}
		}
		d.pos = len(d.data)
		return d.errorf("unterminated value")
	case 0:
		return d.errorf("unexpected end")
	default:
		for d.pos < len(d.data) {
			switch d.data[d.pos] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return nil
			}
			d.pos++
		}
		return nil
	}
}

// stringEnd returns the index just past the quote that ends the string
// whose contents start at data[i], or len(data) and false when no quote
// does.
func stringEnd(data []byte, i int) (int, bool) {
	for i < len(data) {
		switch data[i] {
		case '"':
			return i + 1, true
		case '\\':
			i += 2
		default:
			i++
		}
	}
	return len(data), false
}
