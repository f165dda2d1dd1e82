package ansible

import (
	"bytes"
	"hash/maphash"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"weak"

	"github.com/kook-project/kook/internal/pysem"
)

// The script protocol is read the way Python's json module reads it, not
// the way encoding/json does: group order is the document's key order, a
// repeated key keeps its first position and takes its last value (a dict),
// 1 and 1.0 are different types, NaN and Infinity are accepted, and every
// value remembers where it started so that errors can name a line.

// jsonObject is a decoded JSON object in document order.
type jsonObject struct {
	keys  []string
	vals  []any
	offs  []int // byte offset where each value starts
	index map[string]int
}

// jsonArray is a decoded JSON array with the offset of each element.
type jsonArray struct {
	vals []any
	offs []int
}

// jsonSyntaxError is a decoding failure at a byte offset, worded like
// Python's json.JSONDecodeError.
type jsonSyntaxError struct {
	msg string
	off int
}

// jsonMaxDepth stands for Python's recursion limit (1000 frames, some used
// before decoding starts), past which Ansible fails to read a document.
const jsonMaxDepth = 1000

func (o *jsonObject) lookup(k string) int {
	if o.index != nil {
		if i, ok := o.index[k]; ok {
			return i
		}
		return -1
	}
	for i, key := range o.keys {
		if key == k {
			return i
		}
	}
	return -1
}

// get returns the value of key k and where it starts.
func (o *jsonObject) get(k string) (any, int, bool) {
	if i := o.lookup(k); i >= 0 {
		return o.vals[i], o.offs[i], true
	}
	return nil, 0, false
}

func (o *jsonObject) has(k string) bool { return o.lookup(k) >= 0 }

func (o *jsonObject) set(k string, v any, off int) {
	if i := o.lookup(k); i >= 0 {
		o.vals[i], o.offs[i] = v, off
		return
	}
	o.keys = append(o.keys, k)
	o.vals = append(o.vals, v)
	o.offs = append(o.offs, off)
	if o.index != nil {
		o.index[k] = len(o.keys) - 1
	} else if len(o.keys) > 16 {
		o.index = make(map[string]int, 2*len(o.keys))
		for i, key := range o.keys {
			o.index[key] = i
		}
	}
}

// jsonValue converts a decoded value into kook's value set. Unsafe and
// vaulted values keep the form Ansible prints them in ({"__ansible_unsafe":
// "..."} around each string, {"__ansible_vault": "..."}), which Ansible
// reads back as the same thing.
func jsonValue(v any) any {
	switch x := v.(type) {
	case *jsonObject:
		m := make(map[string]any, len(x.keys))
		for i, k := range x.keys {
			m[k] = jsonValue(x.vals[i])
		}
		return m
	case *jsonArray:
		l := make([]any, len(x.vals))
		for i, e := range x.vals {
			l[i] = jsonValue(e)
		}
		return l
	case *jsonTagged:
		if x.key == "__ansible_vault" {
			return map[string]any{x.key: jsonValue(x.val)}
		}
		return jsonWrapUnsafe(jsonValue(x.val))
	}
	return v
}

// jsonWrapUnsafe marks every string in v unsafe, as Ansible's wrap_var
// does; numbers, booleans, null and already marked values stay as they are.
func jsonWrapUnsafe(v any) any {
	switch x := v.(type) {
	case string:
		return map[string]any{"__ansible_unsafe": x}
	case []any:
		for i, e := range x {
			x[i] = jsonWrapUnsafe(e)
		}
		return x
	case map[string]any:
		if len(x) == 1 {
			if _, ok := x["__ansible_unsafe"]; ok {
				return x
			}
			if _, ok := x["__ansible_vault"]; ok {
				return x
			}
		}
		for k, e := range x {
			x[k] = jsonWrapUnsafe(e)
		}
		return x
	}
	return v
}

type jsonDecoder struct {
	data  []byte
	pos   int
	depth int
	// keys holds recent object keys, by a hash of their bytes, so that
	// the var names every host repeats share one string instead of one
	// each: half a million copies of five names cost an import of a large
	// fleet their allocation and, in every later pass, a cache miss each.
	keys [256]string
}

// key decodes an object's key, taking a short one without escapes from
// d.keys when it is there.
func (d *jsonDecoder) key() (any, *jsonSyntaxError) {
	data := d.data
	h := uint32(2166136261)
	for p := d.pos + 1; p < len(data) && p-d.pos <= 32; p++ {
		c := data[p]
		if c == '"' {
			raw := data[d.pos+1 : p]
			slot := &d.keys[h&255]
			if *slot != string(raw) {
				*slot = string(raw)
			}
			d.pos = p + 1
			return *slot, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		h = (h ^ uint32(c)) * 16777619
	}
	return d.str()
}

// decodeJSONDocument decodes one JSON document. Invalid UTF-8 is refused
// first, as Ansible refuses script output it cannot decode.
//
// Reading a .json source decodes it three times (format detection, the
// JSON-or-YAML choice, the parse), which at 10,000 hosts was a third of an
// import. A large document's decoded tree is therefore remembered, keyed
// by a hash of its bytes, and handed out again: the tree is never modified
// after decoding, so sharing it is safe. The memo holds it only weakly, so
// it never keeps a document alive that its users dropped.
func decodeJSONDocument(data []byte) (any, *jsonSyntaxError) {
	if len(data) < jsonMemoMin {
		return decodeJSONDocumentOnce(data)
	}
	h := maphash.Bytes(jsonMemo.seed, data)
	jsonMemo.mu.Lock()
	if jsonMemo.hash == h && jsonMemo.size == len(data) {
		if obj := jsonMemo.obj.Value(); obj != nil {
			jsonMemo.mu.Unlock()
			return obj, nil
		}
	}
	jsonMemo.mu.Unlock()
	v, err := decodeJSONDocumentOnce(data)
	if obj, ok := v.(*jsonObject); ok && err == nil {
		jsonMemo.mu.Lock()
		jsonMemo.hash, jsonMemo.size, jsonMemo.obj = h, len(data), weak.Make(obj)
		jsonMemo.mu.Unlock()
	}
	return v, err
}

// jsonMemoMin is the smallest document worth remembering: below it the
// hash costs about what decoding again would.
const jsonMemoMin = 64 << 10

// jsonMemo remembers the last large document decoded (see
// decodeJSONDocument).
var jsonMemo = struct {
	mu   sync.Mutex
	seed maphash.Seed
	hash uint64
	size int
	obj  weak.Pointer[jsonObject]
}{seed: maphash.MakeSeed()}

func decodeJSONDocumentOnce(data []byte) (any, *jsonSyntaxError) {
	if !utf8.Valid(data) {
		off := firstInvalidUTF8(data)
		return nil, &jsonSyntaxError{"contains characters that cannot be interpreted as UTF-8", off}
	}
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		return nil, &jsonSyntaxError{"Unexpected UTF-8 BOM (decode using utf-8-sig)", 0}
	}
	d := &jsonDecoder{data: data}
	d.space()
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos < len(d.data) {
		return nil, d.fail("Extra data")
	}
	return v, nil
}

func (d *jsonDecoder) fail(msg string) *jsonSyntaxError {
	return &jsonSyntaxError{msg, d.pos}
}

func (d *jsonDecoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value() (any, *jsonSyntaxError) {
	if d.pos >= len(d.data) {
		return nil, d.fail("Expecting value")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		if bytes.HasPrefix(d.data[d.pos:], []byte("-Infinity")) {
			d.pos += len("-Infinity")
			return math.Inf(-1), nil
		}
		return d.number()
	}
	for _, lit := range []struct {
		word string
		v    any
	}{{"null", nil}, {"true", true}, {"false", false}, {"NaN", math.NaN()}, {"Infinity", math.Inf(1)}} {
		if bytes.HasPrefix(d.data[d.pos:], []byte(lit.word)) {
			d.pos += len(lit.word)
			return lit.v, nil
		}
	}
	return nil, d.fail("Expecting value")
}

func (d *jsonDecoder) enter(what string) *jsonSyntaxError {
	d.depth++
	if d.depth > jsonMaxDepth {
		return d.fail("maximum recursion depth exceeded while decoding a JSON " + what + " from a unicode string")
	}
	return nil
}

func (d *jsonDecoder) object() (any, *jsonSyntaxError) {
	if err := d.enter("object"); err != nil {
		return nil, err
	}
	defer func() { d.depth-- }()
	d.pos++ // '{'
	obj := &jsonObject{}
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return obj, nil
	}
	for {
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.fail("Expecting property name enclosed in double quotes")
		}
		key, err := d.key()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.fail("Expecting ':' delimiter")
		}
		d.pos++
		d.space()
		off := d.pos
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		obj.set(key.(string), v, off)
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == '}' {
			d.pos++
			break
		}
		if d.pos >= len(d.data) || d.data[d.pos] != ',' {
			return nil, d.fail("Expecting ',' delimiter")
		}
		d.pos++
		d.space()
	}
	return ansibleObjectHook(obj), nil
}

// jsonTagged is what AnsibleJSONDecoder makes of an object holding
// __ansible_unsafe (a value marked unsafe) or __ansible_vault (a vaulted
// string): the marker key and the value under it.
type jsonTagged struct {
	key string
	val any
}

// ansibleObjectHook does what AnsibleJSONDecoder.object_hook does: the
// first marker key in the object decides, the other keys are dropped.
func ansibleObjectHook(obj *jsonObject) any {
	for i, k := range obj.keys {
		switch k {
		case "__ansible_unsafe", "__ansible_vault":
			return &jsonTagged{key: k, val: obj.vals[i]}
		}
	}
	return obj
}

// jsonPlain is v with an unsafe marker removed, for places where Ansible
// only uses the value (group data, host and group names).
func jsonPlain(v any) any {
	if t, ok := v.(*jsonTagged); ok && t.key == "__ansible_unsafe" {
		return jsonPlain(t.val)
	}
	return v
}

func (d *jsonDecoder) array() (any, *jsonSyntaxError) {
	if err := d.enter("array"); err != nil {
		return nil, err
	}
	defer func() { d.depth-- }()
	d.pos++ // '['
	arr := &jsonArray{}
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return arr, nil
	}
	for {
		off := d.pos
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		arr.vals = append(arr.vals, v)
		arr.offs = append(arr.offs, off)
		d.space()
		if d.pos < len(d.data) && d.data[d.pos] == ']' {
			d.pos++
			return arr, nil
		}
		if d.pos >= len(d.data) || d.data[d.pos] != ',' {
			return nil, d.fail("Expecting ',' delimiter")
		}
		d.pos++
		d.space()
	}
}

// number follows Python's NUMBER_RE: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?,
// taking the optional parts only when they are complete.
func (d *jsonDecoder) number() (any, *jsonSyntaxError) {
	data, start, p := d.data, d.pos, d.pos
	digits := func(p int) int {
		for p < len(data) && data[p] >= '0' && data[p] <= '9' {
			p++
		}
		return p
	}
	if data[p] == '-' {
		p++
	}
	switch {
	case p < len(data) && data[p] == '0':
		p++
	case p < len(data) && data[p] >= '1' && data[p] <= '9':
		p = digits(p)
	default:
		return nil, d.fail("Expecting value")
	}
	isFloat := false
	if p+1 < len(data) && data[p] == '.' && data[p+1] >= '0' && data[p+1] <= '9' {
		p = digits(p + 1)
		isFloat = true
	}
	if p < len(data) && (data[p] == 'e' || data[p] == 'E') {
		q := p + 1
		if q < len(data) && (data[q] == '+' || data[q] == '-') {
			q++
		}
		if e := digits(q); e > q {
			p = e
			isFloat = true
		}
	}
	d.pos = p
	text := string(data[start:p])
	if !isFloat {
		// Python 3.11 refuses to convert longer integer literals.
		if n := len(strings.TrimPrefix(text, "-")); n > pysem.MaxStrDigits {
			d.pos = start
			return nil, d.fail(pysem.DigitLimitError(n).Error())
		}
		i, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			// Python ints are unbounded and Ansible prints this one as it
			// is; a float in its place would print another inventory.
			d.pos = start
			return nil, d.fail(pysem.RangeError(text).Error())
		}
		return i, nil
	}
	f, _ := strconv.ParseFloat(text, 64) // out of range gives ±Inf, as float() does
	return f, nil
}

func (d *jsonDecoder) str() (any, *jsonSyntaxError) {
	start := d.pos
	d.pos++ // '"'
	data := d.data
	// Fast path: no escapes.
	for p := d.pos; p < len(data); p++ {
		c := data[p]
		if c == '"' {
			s := string(data[d.pos:p])
			d.pos = p + 1
			return s, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	var buf []byte
	p := d.pos
	for {
		if p >= len(data) {
			d.pos = start
			return nil, d.fail("Unterminated string starting at")
		}
		c := data[p]
		switch {
		case c == '"':
			d.pos = p + 1
			return string(buf), nil
		case c < 0x20:
			d.pos = p
			return nil, d.fail("Invalid control character at")
		case c != '\\':
			buf = append(buf, c)
			p++
			continue
		}
		// backslash
		if p+1 >= len(data) {
			d.pos = start
			return nil, d.fail("Unterminated string starting at")
		}
		esc := data[p+1]
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
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
			r, ok := jsonHex4(data, p+2)
			if !ok {
				d.pos = p + 1
				return nil, d.fail("Invalid \\uXXXX escape")
			}
			p += 6
			if utf16.IsSurrogate(r) && r < 0xdc00 && p+1 < len(data) && data[p] == '\\' && data[p+1] == 'u' {
				if r2, ok := jsonHex4(data, p+2); ok && r2 >= 0xdc00 && r2 <= 0xdfff {
					r = utf16.DecodeRune(r, r2)
					p += 6
				}
			}
			buf = utf8.AppendRune(buf, r) // a lone surrogate becomes U+FFFD
			continue
		default:
			d.pos = p
			return nil, d.fail("Invalid \\escape")
		}
		p += 2
	}
}

func jsonHex4(data []byte, p int) (rune, bool) {
	if p+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[p : p+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r*16 + rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r*16 + rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r*16 + rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// jsonLineAt returns the 1-based line of byte offset off.
func jsonLineAt(data []byte, off int) int {
	if off > len(data) {
		off = len(data)
	}
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// jsonPythonPosition words an offset the way JSONDecodeError does:
// "line L column C (char N)", counting characters, not bytes.
func jsonPythonPosition(data []byte, off int) string {
	if off > len(data) {
		off = len(data)
	}
	line := jsonLineAt(data, off)
	lineStart := bytes.LastIndexByte(data[:off], '\n') + 1
	col := utf8.RuneCount(data[lineStart:off]) + 1
	char := utf8.RuneCount(data[:off])
	return "line " + strconv.Itoa(line) + " column " + strconv.Itoa(col) + " (char " + strconv.Itoa(char) + ")"
}

// firstInvalidUTF8 returns the offset of data's first byte that is not
// part of valid UTF-8, or len(data): where a reader blames bad encoding.
func firstInvalidUTF8(data []byte) int {
	off := 0
	for off < len(data) {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		off += size
	}
	return off
}
