package ansible

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/pysem"
	"github.com/kook-project/kook/pkg/kook"
)

// This file is a Go rendering of what ansible's ini plugin does with every
// value (_parse_value): Python 3.11's ast.literal_eval, falling back to the
// raw text when Python raises ValueError or SyntaxError. Python's own
// parser accepts far more than literals; anything outside the literal
// subset below ends in one of those two errors, so "not a literal" here
// means "Ansible keeps the raw string".

// maxPyNesting is CPython's tokenizer limit on open brackets (MAXLEVEL):
// one more is a SyntaxError, so such a value stays a string.
const maxPyNesting = 200

// iniValue types one INI value as Ansible does: the Python literal it
// spells, else the text itself. An error means the text is a literal that
// Ansible cannot use (a set, a complex number, an unhashable dict key, an
// integer beyond int64, ...): Ansible fails or crashes on those, kook
// refuses them.
func iniValue(s string) (any, error) {
	if !mayBeLiteral(s) {
		return s, nil
	}
	if n, ok := plainDecimal(s); ok {
		return n, nil
	}
	v, ok, err := pyLiteralEval(s)
	if err != nil {
		return nil, err
	}
	if !ok {
		return s, nil
	}
	return v, nil
}

// plainDecimal is a fast path for the commonest literal, a short decimal
// integer without sign, underscores or leading zeros.
func plainDecimal(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// mayBeLiteral is a fast filter for the common case: text starting with
// something no Python literal starts with (a letter other than those of
// True/False/None/set and string prefixes) is never a literal.
func mayBeLiteral(s string) bool {
	s = strings.TrimLeft(s, " \t")
	if s == "" {
		return false
	}
	c := s[0]
	switch {
	case c >= '0' && c <= '9', c == '.', c == '-', c == '+', c == '\'', c == '"',
		c == '[', c == '(', c == '{', c == '\f':
		return true
	case c == 'T', c == 'F', c == 'N', c == 's', c == 'r', c == 'R', c == 'u', c == 'U',
		c == 'b', c == 'B', c == 'f':
		return true
	}
	return false
}

// pyLiteralEval evaluates s as ast.literal_eval(s) and converts the result
// to a kook value. ok is false when Python would raise ValueError or
// SyntaxError; err is set when Python would raise anything else, or
// produce a value Ansible cannot print or kook cannot hold.
func pyLiteralEval(s string) (v any, ok bool, err error) {
	s = strings.TrimLeft(s, " \t")
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		return nil, false, nil
	}
	p := &pyParser{src: s}
	node, good := p.parseTop()
	if !good {
		return nil, false, nil
	}
	pv, err := pyConvert(node)
	if err != nil {
		if errors.Is(err, errPyValue) {
			return nil, false, nil
		}
		return nil, false, err
	}
	v, err = pyToKook(pv, true)
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// --- syntax -----------------------------------------------------------------

type pyNodeKind uint8

const (
	nConst pyNodeKind = iota // value in val
	nTuple
	nList
	nSet
	nSetCall // set()
	nDict
	nUnary // op '+' or '-', one item
	nBinOp // op '+' or '-', two items
)

type pyNode struct {
	kind  pyNodeKind
	op    byte
	val   *pyVal
	items []*pyNode
	keys  []*pyNode // nDict: keys[i] goes with items[i]
}

type pyParser struct {
	src   string
	pos   int
	depth int // open brackets
	signs int // nested unary signs
}

func (p *pyParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\f':
			p.pos++
		case '#':
			p.pos = len(p.src)
		default:
			return
		}
	}
}

func (p *pyParser) peek() byte {
	p.skipSpace()
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *pyParser) eat(c byte) bool {
	if p.peek() == c {
		p.pos++
		return true
	}
	return false
}

// parseTop parses `expressions`: one expression or a bare tuple.
func (p *pyParser) parseTop() (*pyNode, bool) {
	n, ok := p.parseExprList(0)
	if !ok {
		return nil, false
	}
	p.skipSpace()
	return n, p.pos == len(p.src)
}

// parseExprList parses expr (',' expr)* [','] up to the closer (0 = end of
// input) and returns a tuple if there is a comma.
func (p *pyParser) parseExprList(closer byte) (*pyNode, bool) {
	first, ok := p.parseExpr()
	if !ok {
		return nil, false
	}
	if p.peek() != ',' {
		return first, true
	}
	items := []*pyNode{first}
	for p.eat(',') {
		c := p.peek()
		if c == closer || (closer == 0 && c == 0) {
			break
		}
		e, ok := p.parseExpr()
		if !ok {
			return nil, false
		}
		items = append(items, e)
	}
	return &pyNode{kind: nTuple, items: items}, true
}

// parseExpr parses a sum of signed factors; only these operators can take
// part in a literal.
func (p *pyParser) parseExpr() (*pyNode, bool) {
	left, ok := p.parseFactor()
	if !ok {
		return nil, false
	}
	for {
		c := p.peek()
		if c != '+' && c != '-' {
			return left, true
		}
		p.pos++
		right, ok := p.parseFactor()
		if !ok {
			return nil, false
		}
		left = &pyNode{kind: nBinOp, op: c, items: []*pyNode{left, right}}
	}
}

func (p *pyParser) parseFactor() (*pyNode, bool) {
	c := p.peek()
	if c == '+' || c == '-' {
		p.pos++
		p.signs++ // only one sign can be part of a literal; bound the recursion
		if p.signs > maxPyNesting {
			return nil, false
		}
		operand, ok := p.parseFactor()
		p.signs--
		if !ok {
			return nil, false
		}
		return &pyNode{kind: nUnary, op: c, items: []*pyNode{operand}}, true
	}
	return p.parseAtom()
}

func (p *pyParser) open() bool {
	p.depth++
	return p.depth <= maxPyNesting
}

func (p *pyParser) parseAtom() (*pyNode, bool) {
	c := p.peek()
	switch {
	case c == '(':
		p.pos++
		if !p.open() {
			return nil, false
		}
		defer func() { p.depth-- }()
		if p.eat(')') {
			return &pyNode{kind: nTuple}, true
		}
		first, ok := p.parseExpr()
		if !ok {
			return nil, false
		}
		if p.eat(')') {
			return first, true // grouping only
		}
		items := []*pyNode{first}
		for p.eat(',') {
			if p.peek() == ')' {
				break
			}
			e, ok := p.parseExpr()
			if !ok {
				return nil, false
			}
			items = append(items, e)
		}
		if !p.eat(')') {
			return nil, false
		}
		return &pyNode{kind: nTuple, items: items}, true
	case c == '[':
		p.pos++
		if !p.open() {
			return nil, false
		}
		defer func() { p.depth-- }()
		var items []*pyNode
		for !p.eat(']') {
			e, ok := p.parseExpr()
			if !ok {
				return nil, false
			}
			items = append(items, e)
			if !p.eat(',') {
				if !p.eat(']') {
					return nil, false
				}
				break
			}
		}
		return &pyNode{kind: nList, items: items}, true
	case c == '{':
		p.pos++
		if !p.open() {
			return nil, false
		}
		defer func() { p.depth-- }()
		return p.parseBrace()
	case c == '\'' || c == '"':
		return p.parseStrings()
	case c == '.':
		if strings.HasPrefix(p.src[p.pos:], "...") {
			p.pos += 3
			return &pyNode{kind: nConst, val: &pyVal{kind: pyEllipsis}}, true
		}
		return p.parseNumber()
	case c >= '0' && c <= '9':
		return p.parseNumber()
	case c == '_' || c >= 0x80 || (c|0x20 >= 'a' && c|0x20 <= 'z'):
		return p.parseName()
	}
	return nil, false
}

func (p *pyParser) parseBrace() (*pyNode, bool) {
	if p.eat('}') {
		return &pyNode{kind: nDict}, true
	}
	first, ok := p.parseExpr()
	if !ok {
		return nil, false
	}
	if p.eat(':') {
		n := &pyNode{kind: nDict}
		k := first
		for {
			v, ok := p.parseExpr()
			if !ok {
				return nil, false
			}
			n.keys = append(n.keys, k)
			n.items = append(n.items, v)
			if !p.eat(',') {
				break
			}
			if p.peek() == '}' {
				break
			}
			if k, ok = p.parseExpr(); !ok || !p.eat(':') {
				return nil, false
			}
		}
		if !p.eat('}') {
			return nil, false
		}
		return n, true
	}
	n := &pyNode{kind: nSet, items: []*pyNode{first}}
	for p.eat(',') {
		if p.peek() == '}' {
			break
		}
		e, ok := p.parseExpr()
		if !ok {
			return nil, false
		}
		n.items = append(n.items, e)
	}
	if !p.eat('}') {
		return nil, false
	}
	return n, true
}

func isPyIdentRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) ||
		unicode.Is(unicode.Mc, r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Pc, r)
}

// identEnd returns the end of the identifier-like run starting at i.
func (p *pyParser) identEnd(i int) int {
	for i < len(p.src) {
		r, n := utf8.DecodeRuneInString(p.src[i:])
		if !isPyIdentRune(r) {
			break
		}
		i += n
	}
	return i
}

func (p *pyParser) parseName() (*pyNode, bool) {
	end := p.identEnd(p.pos)
	name := p.src[p.pos:end]
	if end < len(p.src) && (p.src[end] == '\'' || p.src[end] == '"') {
		switch strings.ToLower(name) {
		case "r", "u", "b", "br", "rb", "f", "fr", "rf":
			return p.parseStrings()
		}
		return nil, false
	}
	p.pos = end
	switch name {
	case "True":
		return &pyNode{kind: nConst, val: &pyVal{kind: pyBool, b: true}}, true
	case "False":
		return &pyNode{kind: nConst, val: &pyVal{kind: pyBool}}, true
	case "None":
		return &pyNode{kind: nConst, val: &pyVal{kind: pyNone}}, true
	case "set":
		if p.eat('(') && p.eat(')') {
			return &pyNode{kind: nSetCall}, true
		}
	}
	return nil, false
}

// parseStrings parses one or more adjacent string literals (implicit
// concatenation); mixing bytes with text is a SyntaxError and an f-string
// is never a literal.
func (p *pyParser) parseStrings() (*pyNode, bool) {
	var (
		sb      strings.Builder
		isBytes bool
		n       int
		bad     string
	)
	for {
		c := p.peek()
		start := p.pos
		prefixEnd := start
		if c != '\'' && c != '"' {
			if c == 0 || !(c == '_' || c >= 0x80 || (c|0x20 >= 'a' && c|0x20 <= 'z')) {
				break
			}
			prefixEnd = p.identEnd(start)
			if prefixEnd >= len(p.src) || (p.src[prefixEnd] != '\'' && p.src[prefixEnd] != '"') {
				break
			}
		}
		prefix := strings.ToLower(p.src[start:prefixEnd])
		raw, byt := false, false
		switch prefix {
		case "", "u":
		case "r":
			raw = true
		case "b":
			byt = true
		case "br", "rb":
			raw, byt = true, true
		default:
			return nil, false // f-strings and bad prefixes
		}
		if n > 0 && byt != isBytes {
			return nil, false
		}
		isBytes = byt
		p.pos = prefixEnd
		b, ok := p.stringBody(raw, byt, &sb)
		if !ok {
			return nil, false
		}
		if b != "" && bad == "" {
			bad = b
		}
		n++
	}
	if n == 0 {
		return nil, false
	}
	v := &pyVal{kind: pyStr, s: sb.String(), bad: bad}
	if isBytes {
		v.kind = pyBytes
	}
	return &pyNode{kind: nConst, val: v}, true
}

// stringBody reads one quoted body at p.pos into sb. bad names a feature
// kook cannot evaluate faithfully (\N{...}) or a value it cannot hold (a
// lone surrogate).
func (p *pyParser) stringBody(raw, byt bool, sb *strings.Builder) (bad string, ok bool) {
	q := p.src[p.pos]
	triple := strings.HasPrefix(p.src[p.pos:], strings.Repeat(string(q), 3))
	if triple {
		p.pos += 3
	} else {
		p.pos++
	}
	s := p.src
	for {
		if p.pos >= len(s) {
			return "", false
		}
		c := s[p.pos]
		if c == q {
			if !triple {
				p.pos++
				return bad, true
			}
			if strings.HasPrefix(s[p.pos:], strings.Repeat(string(q), 3)) {
				p.pos += 3
				return bad, true
			}
			sb.WriteByte(c)
			p.pos++
			continue
		}
		if byt && c >= 0x80 {
			return "", false // bytes can only contain ASCII literal characters
		}
		if c != '\\' {
			sb.WriteByte(c)
			p.pos++
			continue
		}
		// Backslash.
		if p.pos+1 >= len(s) {
			return "", false
		}
		e := s[p.pos+1]
		if raw {
			// The backslash stays, but it keeps the next quote from closing.
			sb.WriteByte('\\')
			sb.WriteByte(e)
			p.pos += 2
			continue
		}
		p.pos += 2
		switch e {
		case '\\', '\'', '"':
			sb.WriteByte(e)
		case 'a':
			sb.WriteByte('\a')
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'v':
			sb.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			val := int(e - '0')
			for k := 0; k < 2 && p.pos < len(s) && s[p.pos] >= '0' && s[p.pos] <= '7'; k++ {
				val = val*8 + int(s[p.pos]-'0')
				p.pos++
			}
			if byt {
				sb.WriteByte(byte(val & 0xFF))
			} else {
				sb.WriteRune(rune(val))
			}
		case 'x':
			val, ok := hexDigits(s, p.pos, 2)
			if !ok {
				return "", false
			}
			p.pos += 2
			if byt {
				sb.WriteByte(byte(val))
			} else {
				sb.WriteRune(rune(val))
			}
		case 'u', 'U', 'N':
			if byt {
				sb.WriteByte('\\')
				sb.WriteByte(e)
				continue
			}
			if e == 'N' {
				end := strings.IndexByte(s[p.pos:], '}')
				if p.pos >= len(s) || s[p.pos] != '{' || end < 0 {
					return "", false
				}
				p.pos += end + 1
				bad = `\N{...} escapes are not supported`
				continue
			}
			width := 4
			if e == 'U' {
				width = 8
			}
			val, ok := hexDigits(s, p.pos, width)
			if !ok || val > unicode.MaxRune {
				return "", false
			}
			p.pos += width
			if val >= 0xD800 && val <= 0xDFFF {
				bad = "lone surrogate in string"
			}
			sb.WriteRune(rune(val))
		default:
			// Unknown escapes keep their backslash.
			sb.WriteByte('\\')
			sb.WriteByte(e)
		}
	}
}

func hexDigits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v, err := strconv.ParseUint(s[i:i+n], 16, 32)
	if err != nil || strings.ContainsAny(s[i:i+n], "+-_") {
		return 0, false
	}
	return int(v), true
}

// parseNumber reads a Python number token; an identifier character right
// after it makes Python fail ("invalid decimal literal") or build a
// non-literal expression, so either way it is not a literal.
func (p *pyParser) parseNumber() (*pyNode, bool) {
	s := p.src
	i := p.pos
	digits := func(i int, ok func(byte) bool) (int, bool) {
		// (_? digit)+ starting with a digit
		if i >= len(s) || !ok(s[i]) {
			return i, false
		}
		i++
		for i < len(s) {
			if ok(s[i]) {
				i++
			} else if s[i] == '_' && i+1 < len(s) && ok(s[i+1]) {
				i += 2
			} else {
				break
			}
		}
		return i, true
	}
	dec := func(c byte) bool { return c >= '0' && c <= '9' }
	var v *pyVal
	end := i
	if s[i] == '0' && i+1 < len(s) && strings.IndexByte("xXoObB", s[i+1]) >= 0 {
		base := 16
		okf := func(c byte) bool { return dec(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
		switch s[i+1] | 0x20 {
		case 'o':
			base, okf = 8, func(c byte) bool { return c >= '0' && c <= '7' }
		case 'b':
			base, okf = 2, func(c byte) bool { return c == '0' || c == '1' }
		}
		j := i + 2
		if j < len(s) && s[j] == '_' {
			j++
		}
		e, ok := digits(j, okf)
		if !ok {
			return nil, false
		}
		end = e
		v = pyIntFromString(strings.ReplaceAll(s[j:e], "_", ""), base)
	} else {
		isFloat := false
		e := i
		if s[i] != '.' {
			e, _ = digits(i, dec)
		}
		if e < len(s) && s[e] == '.' {
			isFloat = true
			e++
			if e2, ok := digits(e, dec); ok {
				e = e2
			} else if e == i+1 {
				return nil, false // a lone "."
			}
		}
		if e < len(s) && (s[e] == 'e' || s[e] == 'E') {
			j := e + 1
			if j < len(s) && (s[j] == '+' || s[j] == '-') {
				j++
			}
			if e2, ok := digits(j, dec); ok {
				isFloat = true
				e = e2
			} else {
				return nil, false
			}
		}
		text := strings.ReplaceAll(s[i:e], "_", "")
		switch {
		case e < len(s) && (s[e] == 'j' || s[e] == 'J'):
			e++
			im, err := strconv.ParseFloat(text, 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return nil, false
			}
			v = &pyVal{kind: pyComplex, im: im}
		case isFloat:
			f, err := strconv.ParseFloat(text, 64)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return nil, false
			}
			v = &pyVal{kind: pyFloat, f: f}
		default:
			if len(text) > 1 && strings.Trim(text, "0") != "" && text[0] == '0' {
				return nil, false // leading zeros in decimal integer literals
			}
			if len(text) > pysem.MaxStrDigits {
				return nil, false
			}
			v = pyIntFromString(text, 10)
		}
		end = e
	}
	if end < len(s) {
		r, _ := utf8.DecodeRuneInString(s[end:])
		if isPyIdentRune(r) || r == '.' {
			return nil, false
		}
	}
	p.pos = end
	return &pyNode{kind: nConst, val: v}, true
}

// --- values -----------------------------------------------------------------

type pyKind uint8

const (
	pyNone pyKind = iota
	pyBool
	pyInt
	pyFloat
	pyComplex
	pyStr
	pyBytes
	pyEllipsis
	pyTuple
	pyList
	pySet
	pyDict
)

var pyTypeNames = [...]string{"NoneType", "bool", "int", "float", "complex", "str", "bytes", "ellipsis", "tuple", "list", "set", "dict"}

// pyVal is a Python value as literal_eval builds it.
type pyVal struct {
	kind  pyKind
	b     bool
	i     int64
	big   *big.Int // pyInt beyond int64
	f     float64  // float, or a complex's real part
	im    float64  // a complex's imaginary part
	s     string   // str (UTF-8) or bytes
	bad   string
	items []*pyVal // tuple, list, set, dict values
	keys  []*pyVal // dict keys
}

func pyIntFromString(digits string, base int) *pyVal {
	if i, err := strconv.ParseInt(digits, base, 64); err == nil {
		return &pyVal{kind: pyInt, i: i}
	}
	b, _ := new(big.Int).SetString(digits, base)
	return &pyVal{kind: pyInt, big: b}
}

func pyIntFromBig(b *big.Int) *pyVal {
	if b.IsInt64() {
		return &pyVal{kind: pyInt, i: b.Int64()}
	}
	return &pyVal{kind: pyInt, big: b}
}

func (v *pyVal) bigInt() *big.Int {
	if v.big != nil {
		return v.big
	}
	return big.NewInt(v.i)
}

// errPyValue stands for Python's ValueError out of literal_eval: the text
// is not a literal and Ansible keeps it as a string.
var errPyValue = errors.New("malformed node or string")

func pyConvert(n *pyNode) (*pyVal, error) {
	switch n.kind {
	case nConst:
		return n.val, nil
	case nTuple, nList:
		out := &pyVal{kind: pyTuple}
		if n.kind == nList {
			out.kind = pyList
		}
		out.items = make([]*pyVal, 0, len(n.items))
		for _, it := range n.items {
			v, err := pyConvert(it)
			if err != nil {
				return nil, err
			}
			out.items = append(out.items, v)
		}
		return out, nil
	case nSet, nSetCall:
		out := &pyVal{kind: pySet}
		index := map[string]bool{}
		for _, it := range n.items {
			v, err := pyConvert(it)
			if err != nil {
				return nil, err
			}
			if err := pyHashable(v); err != nil {
				return nil, err
			}
			if k := pyKey(v); !index[k] {
				index[k] = true
				out.items = append(out.items, v)
			}
		}
		return out, nil
	case nDict:
		out := &pyVal{kind: pyDict}
		index := map[string]int{}
		for i := range n.keys {
			k, err := pyConvert(n.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := pyConvert(n.items[i])
			if err != nil {
				return nil, err
			}
			if err := pyHashable(k); err != nil {
				return nil, err
			}
			if j, dup := index[pyKey(k)]; dup {
				out.items[j] = v // Python keeps the first key object
			} else {
				index[pyKey(k)] = len(out.keys)
				out.keys = append(out.keys, k)
				out.items = append(out.items, v)
			}
		}
		return out, nil
	case nBinOp:
		left, err := pySignedNum(n.items[0])
		if err != nil {
			return nil, err
		}
		right, err := pyNum(n.items[1])
		if err != nil {
			return nil, err
		}
		if left.kind != pyComplex && right.kind == pyComplex {
			// float(left) as complex(left, 0.0), then the operation part by
			// part, signed zeros included.
			var l float64
			if left.kind == pyFloat {
				l = left.f
			} else if f, acc := new(big.Float).SetInt(left.bigInt()).Float64(); acc == big.Exact || !math.IsInf(f, 0) {
				l = f
			} else {
				return nil, errors.New("int too large to convert to float")
			}
			if n.op == '-' {
				return &pyVal{kind: pyComplex, f: l - right.f, im: 0.0 - right.im}, nil
			}
			return &pyVal{kind: pyComplex, f: l + right.f, im: 0.0 + right.im}, nil
		}
		return nil, errPyValue
	}
	return pySignedNum(n)
}

func pyNum(n *pyNode) (*pyVal, error) {
	if n.kind != nConst {
		return nil, errPyValue
	}
	switch n.val.kind {
	case pyInt, pyFloat, pyComplex:
		return n.val, nil
	}
	return nil, errPyValue
}

func pySignedNum(n *pyNode) (*pyVal, error) {
	if n.kind != nUnary {
		return pyNum(n)
	}
	v, err := pyNum(n.items[0])
	if err != nil || n.op == '+' {
		return v, err
	}
	switch v.kind {
	case pyInt:
		if v.big == nil && v.i != math.MinInt64 {
			return &pyVal{kind: pyInt, i: -v.i}, nil
		}
		return pyIntFromBig(new(big.Int).Neg(v.bigInt())), nil
	case pyFloat:
		return &pyVal{kind: pyFloat, f: -v.f}, nil
	case pyComplex:
		return &pyVal{kind: pyComplex, f: -v.f, im: -v.im}, nil
	}
	return v, nil
}

// pyHashable mirrors hash(): the TypeError it raises is not caught by
// ansible, so it is a real error.
func pyHashable(v *pyVal) error {
	switch v.kind {
	case pyList, pyDict, pySet:
		return fmt.Errorf("unhashable type: '%s'", pyTypeNames[v.kind])
	case pyTuple:
		for _, it := range v.items {
			if err := pyHashable(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// pyKey returns a string that is the same for two hashable values exactly
// when Python's == holds between them: numbers compare by value across
// bool, int and float (1 == 1.0 == True), strings and bytes never equal.
func pyKey(v *pyVal) string {
	switch v.kind {
	case pyNone:
		return "N"
	case pyEllipsis:
		return "E"
	case pyBool:
		if v.b {
			return "n1"
		}
		return "n0"
	case pyInt:
		if v.big != nil {
			return "n" + v.big.String()
		}
		return "n" + strconv.FormatInt(v.i, 10)
	case pyFloat:
		if v.f == math.Trunc(v.f) && !math.IsInf(v.f, 0) {
			i, _ := big.NewFloat(v.f).Int(nil)
			return "n" + i.String()
		}
		return "f" + strconv.FormatFloat(v.f, 'g', -1, 64)
	case pyStr:
		return "s" + v.s
	case pyBytes:
		return "b" + v.s
	case pyTuple:
		var b strings.Builder
		b.WriteString("t")
		for _, it := range v.items {
			k := pyKey(it)
			b.WriteString(strconv.Itoa(len(k)))
			b.WriteByte(':')
			b.WriteString(k)
		}
		return b.String()
	}
	// complex: refused later anyway; keep every one distinct
	return fmt.Sprintf("c%p", v)
}

// pyToKook converts an evaluated literal to a kook value; top says whether
// v is the whole value (ansible decodes top-level bytes, nothing deeper).
func pyToKook(v *pyVal, top bool) (any, error) {
	switch v.kind {
	case pyNone:
		return nil, nil
	case pyBool:
		return v.b, nil
	case pyInt:
		if v.big != nil {
			return nil, pysem.RangeError(v.big.String())
		}
		return v.i, nil
	case pyFloat:
		return v.f, nil
	case pyStr:
		if v.bad != "" {
			return nil, errors.New(v.bad)
		}
		return v.s, nil
	case pyBytes:
		if !top {
			return nil, beyondKook{errors.New("Object of type bytes is not JSON serializable")}
		}
		if !utf8.ValidString(v.s) {
			return nil, errors.New("bytes value is not valid UTF-8")
		}
		return v.s, nil
	case pyTuple, pyList:
		out := make([]any, len(v.items))
		for i, it := range v.items {
			x, err := pyToKook(it, false)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case pyDict:
		return pyDictToKook(v, func(x *pyVal) (any, error) { return pyToKook(x, false) })
	}
	return nil, beyondKook{fmt.Errorf("Object of type %s is not JSON serializable", pyTypeNames[v.kind])}
}

// pyDictToKook converts a dict the way json.dumps prints it: keys that are
// str, int, float, bool or None become strings (two that print alike are
// an error, kook could keep only one), values go through conv.
func pyDictToKook(v *pyVal, conv func(*pyVal) (any, error)) (any, error) {
	out := make(map[string]any, len(v.keys))
	for i, k := range v.keys {
		var key any
		switch k.kind {
		case pyStr, pyNone, pyBool, pyInt, pyFloat:
			kv, err := pyToKook(k, false)
			if err != nil {
				return nil, err
			}
			key = kv
		default:
			return nil, fmt.Errorf("keys must be str, int, float, bool or None, not %s", pyTypeNames[k.kind])
		}
		ks, err := kook.KeyString(key)
		if err != nil {
			return nil, err
		}
		if _, dup := out[ks]; dup {
			return nil, fmt.Errorf("dict keys collide once written as strings: %q", ks)
		}
		x, err := conv(v.items[i])
		if err != nil {
			return nil, err
		}
		out[ks] = x
	}
	return out, nil
}

// --- writing ----------------------------------------------------------------

// pyLiteral writes v as a Python literal that ast.literal_eval turns back
// into v: repr() for scalars, lists for []any, dicts with sorted keys.
// Infinities become 1e999, which Python reads as inf; NaN has no literal.
func pyLiteral(v any) (string, error) {
	var b []byte
	b, err := appendPyLiteral(b, v, 0)
	return string(b), err
}

func appendPyLiteral(b []byte, v any, depth int) ([]byte, error) {
	if depth > maxPyNesting {
		return nil, errors.New("value nested too deeply for a Python literal")
	}
	switch x := v.(type) {
	case nil:
		return append(b, "None"...), nil
	case bool:
		if x {
			return append(b, "True"...), nil
		}
		return append(b, "False"...), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case float64:
		switch {
		case math.IsNaN(x):
			return nil, errors.New("NaN cannot be written as a Python literal")
		case math.IsInf(x, 1):
			return append(b, "1e999"...), nil
		case math.IsInf(x, -1):
			return append(b, "-1e999"...), nil
		}
		return kook.AppendFloat(b, x), nil
	case string:
		if !utf8.ValidString(x) {
			return nil, errors.New("string is not valid UTF-8")
		}
		return append(b, pysem.ReprString(x)...), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			var err error
			if b, err = appendPyLiteral(b, e, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			var err error
			if b, err = appendPyLiteral(b, k, depth+1); err != nil {
				return nil, err
			}
			b = append(b, ": "...)
			if b, err = appendPyLiteral(b, x[k], depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case kook.Vars:
		return appendPyLiteral(b, map[string]any(x), depth)
	}
	return nil, fmt.Errorf("value of type %T is not a kook value", v)
}
