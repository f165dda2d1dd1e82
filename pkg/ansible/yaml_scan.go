package ansible

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// yScanner turns a YAML stream into tokens as libyaml's scanner does
// (Ansible reads YAML through PyYAML's CParser, that is libyaml 0.2.5):
// same tokens, same simple-key rules, same errors at the same marks. It
// scans on demand, a few tokens ahead of the parser, so a document costs
// the nodes composed from it, never a list of all its tokens; every step
// moves forward through the input, so scanning is linear in its size.
type yScanner struct {
	src  string
	mark yMark // where the scanner is

	done           bool
	flowLevel      int
	queue          []yToken // tokens scanned; those from head on are not yet taken
	head           int
	tokensTaken    int
	indent         int
	indents        []int
	allowSimpleKey bool
	simpleKeys     []ySimpleKey // one per flow level, innermost last

	buf, breaks []byte // scratch for plain scalars
}

// yMark is a position: byte offset, and libyaml's character index, line
// and column (0-based).
type yMark struct{ pos, index, line, col int }

type ySimpleKey struct {
	possible, required bool
	tokenNumber        int
	mark               yMark
}

type yTokenKind uint8

const (
	ytNone yTokenKind = iota
	ytStreamStart
	ytStreamEnd
	ytVersionDirective
	ytTagDirective
	ytDocumentStart
	ytDocumentEnd
	ytBlockSequenceStart
	ytBlockMappingStart
	ytBlockEnd
	ytFlowSequenceStart
	ytFlowSequenceEnd
	ytFlowMappingStart
	ytFlowMappingEnd
	ytBlockEntry
	ytFlowEntry
	ytKey
	ytValue
	ytAlias
	ytAnchor
	ytTag
	ytScalar
)

// yTokenNames are libyaml's names for the tokens, used in its messages.
var yTokenNames = [...]string{
	ytNone: "<none>", ytStreamStart: "<stream start>", ytStreamEnd: "<stream end>",
	ytVersionDirective: "<directive>", ytTagDirective: "<directive>",
	ytDocumentStart: "<document start>", ytDocumentEnd: "<document end>",
	ytBlockSequenceStart: "<block sequence start>", ytBlockMappingStart: "<block mapping start>",
	ytBlockEnd: "<block end>", ytFlowSequenceStart: "'['", ytFlowSequenceEnd: "']'",
	ytFlowMappingStart: "'{'", ytFlowMappingEnd: "'}'", ytBlockEntry: "'-'", ytFlowEntry: "','",
	ytKey: "'?'", ytValue: "':'", ytAlias: "<alias>", ytAnchor: "<anchor>", ytTag: "<tag>",
	ytScalar: "<scalar>",
}

type yToken struct {
	kind       yTokenKind
	start, end yMark
	value      string // scalar text, anchor or alias name, tag suffix, directive prefix
	handle     string // tag or %TAG handle
	plain      bool   // a plain scalar
	fresh      bool   // value is not a slice of the input
}

// ySyntaxError is a scanner or parser error as libyaml reports it: what
// was wrong, where, and optionally the construct being read.
type ySyntaxError struct {
	context     string // "while parsing a flow mapping"
	contextMark yMark
	problem     string
	mark        yMark
	atEnd       bool // the problem is the end of the input
	tab         bool // the problem is a tab character
}

func (e *ySyntaxError) Error() string {
	var b strings.Builder
	b.WriteString("YAML syntax error: ")
	problem := e.problem
	if e.tab && strings.Contains(problem, "cannot start any token") {
		problem = "found a tab character that cannot start any token (YAML indents with spaces only)"
	}
	b.WriteString(problem)
	switch {
	case e.atEnd && !strings.Contains(problem, "end of stream"):
		b.WriteString(" before the end of the file")
	case !e.atEnd:
		fmt.Fprintf(&b, " at line %d, column %d", e.mark.line+1, e.mark.col+1)
	}
	if e.context != "" && e.context != "while scanning for the next token" {
		what := e.context
		for _, p := range []string{"while parsing ", "while scanning "} {
			what = strings.TrimPrefix(what, p)
		}
		fmt.Fprintf(&b, ", in %s that starts at line %d, column %d", what, e.contextMark.line+1, e.contextMark.col+1)
	}
	return b.String()
}

// line is the line to report: where the problem is, or where the
// construct left open at the end of the file starts.
func (e *ySyntaxError) line() int {
	if e.atEnd && e.context != "" {
		return e.contextMark.line + 1
	}
	return e.mark.line + 1
}

func newYScanner(src string) *yScanner {
	s := &yScanner{src: src, indent: -1, allowSimpleKey: true, simpleKeys: []ySimpleKey{{}}}
	s.queue = append(s.queue, yToken{kind: ytStreamStart, start: s.mark, end: s.mark})
	return s
}

// ---------------------------------------------------------------------------
// Characters.

// at is the character at byte offset pos ahead of the scanner and its
// width; 0 past the end, as libyaml's NUL-terminated buffer.
func (s *yScanner) at(ahead int) (rune, int) {
	p := s.mark.pos + ahead
	if p >= len(s.src) {
		return 0, 0
	}
	if c := s.src[p]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s.src[p:])
}

func (s *yScanner) peek() rune { r, _ := s.at(0); return r }

// peekN is the n-th character ahead (n counted in characters).
func (s *yScanner) peekN(n int) rune {
	off := 0
	for ; n > 0; n-- {
		_, w := s.at(off)
		if w == 0 {
			return 0
		}
		off += w
	}
	r, _ := s.at(off)
	return r
}

func yIsBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029
}
func yIsBlank(r rune) bool  { return r == ' ' || r == '\t' }
func yIsBlankZ(r rune) bool { return r == 0 || yIsBlank(r) || yIsBreak(r) }
func yIsBreakZ(r rune) bool { return r == 0 || yIsBreak(r) }
func yIsAlpha(r rune) bool  { return r == '_' || r == '-' || yIsDigitOrLetter(r) }
func yIsDigitOrLetter(r rune) bool {
	return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
}
func yIsHex(r rune) bool {
	return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F')
}

// skip moves over one character that is not a line break.
func (s *yScanner) skip() {
	_, w := s.at(0)
	if w == 0 {
		return
	}
	s.mark.pos += w
	s.mark.index++
	s.mark.col++
}

// skipLine moves over one line break (CR LF counting as one) and returns
// it as libyaml reads it: "\n" for CR, LF, CR LF and NEL.
func (s *yScanner) skipLine() string {
	r, w := s.at(0)
	out := "\n"
	switch {
	case r == '\r' && s.mark.pos+1 < len(s.src) && s.src[s.mark.pos+1] == '\n':
		s.mark.pos += 2
		s.mark.index += 2
	case r == '\r' || r == '\n' || r == 0x85:
		s.mark.pos += w
		s.mark.index++
	case r == 0x2028 || r == 0x2029:
		s.mark.pos += w
		s.mark.index++
		out = string(r)
	default:
		return ""
	}
	s.mark.line++
	s.mark.col = 0
	return out
}

func (s *yScanner) errorAt(context string, contextMark yMark, problem string) error {
	return &ySyntaxError{context: context, contextMark: contextMark, problem: problem, mark: s.mark}
}

// yQuoteChar is how libyaml names a character in a message.
func yQuoteChar(r rune) string {
	if r == 0 {
		return "end of stream"
	}
	return strconv.QuoteRune(r)
}

// ---------------------------------------------------------------------------
// Token queue.

// peekToken returns the next token without taking it.
func (s *yScanner) peekToken() (*yToken, error) {
	for {
		need := len(s.queue) == s.head
		if need && s.done {
			// Past the end: the parser never asks, but stay defined.
			s.queue = append(s.queue, yToken{kind: ytStreamEnd, start: s.mark, end: s.mark})
			break
		}
		if !need {
			if err := s.staleSimpleKeys(); err != nil {
				return nil, err
			}
			for i := range s.simpleKeys {
				if k := &s.simpleKeys[i]; k.possible && k.tokenNumber == s.tokensTaken {
					need = true
					break
				}
			}
		}
		if !need {
			break
		}
		if err := s.fetchMoreTokens(); err != nil {
			return nil, err
		}
	}
	return &s.queue[s.head], nil
}

// nextToken takes the next token.
func (s *yScanner) nextToken() (yToken, error) {
	if _, err := s.peekToken(); err != nil {
		return yToken{}, err
	}
	t := s.queue[s.head]
	s.queue[s.head] = yToken{}
	s.head++
	if s.head == len(s.queue) {
		s.queue, s.head = s.queue[:0], 0 // reuse the array: no allocation per token
	}
	s.tokensTaken++
	return t, nil
}

func (s *yScanner) staleSimpleKeys() error {
	for i := range s.simpleKeys {
		k := &s.simpleKeys[i]
		if k.possible && (k.mark.line < s.mark.line || k.mark.index+1024 < s.mark.index) {
			if k.required {
				return &ySyntaxError{context: "while scanning a simple key", contextMark: k.mark,
					problem: "could not find expected ':'", mark: s.mark}
			}
			k.possible = false
		}
	}
	return nil
}

func (s *yScanner) saveSimpleKey() error {
	required := s.flowLevel == 0 && s.indent == s.mark.col
	if s.allowSimpleKey {
		if err := s.removeSimpleKey(); err != nil {
			return err
		}
		s.simpleKeys[len(s.simpleKeys)-1] = ySimpleKey{possible: true, required: required,
			tokenNumber: s.tokensTaken + len(s.queue) - s.head, mark: s.mark}
	}
	return nil
}

func (s *yScanner) removeSimpleKey() error {
	k := &s.simpleKeys[len(s.simpleKeys)-1]
	if k.possible && k.required {
		return &ySyntaxError{context: "while scanning a simple key", contextMark: k.mark,
			problem: "could not find expected ':'", mark: s.mark}
	}
	k.possible = false
	return nil
}

func (s *yScanner) push(t yToken) { s.queue = append(s.queue, t) }

// insert puts a token at its absolute number in the stream.
func (s *yScanner) insert(number int, t yToken) {
	i := s.head + number - s.tokensTaken
	s.queue = append(s.queue, yToken{})
	copy(s.queue[i+1:], s.queue[i:])
	s.queue[i] = t
}

// rollIndent opens a block collection at column col when it is deeper
// than the current indentation; number -1 appends its start token.
func (s *yScanner) rollIndent(col, number int, kind yTokenKind, mark yMark) {
	if s.flowLevel > 0 {
		return
	}
	if s.indent < col {
		s.indents = append(s.indents, s.indent)
		s.indent = col
		t := yToken{kind: kind, start: mark, end: mark}
		if number == -1 {
			s.push(t)
		} else {
			s.insert(number, t)
		}
	}
}

func (s *yScanner) unrollIndent(col int) {
	if s.flowLevel > 0 {
		return
	}
	for s.indent > col {
		s.push(yToken{kind: ytBlockEnd, start: s.mark, end: s.mark})
		s.indent = s.indents[len(s.indents)-1]
		s.indents = s.indents[:len(s.indents)-1]
	}
}

// ---------------------------------------------------------------------------
// Fetching tokens.

func (s *yScanner) fetchMoreTokens() error {
	if err := s.scanToNextToken(); err != nil {
		return err
	}
	if err := s.staleSimpleKeys(); err != nil {
		return err
	}
	s.unrollIndent(s.mark.col)
	r := s.peek()
	switch {
	case r == 0:
		return s.fetchStreamEnd()
	case s.mark.col == 0 && r == '%':
		return s.fetchDirective()
	case r == '-' && s.atDocumentIndicator():
		return s.fetchDocumentIndicator(ytDocumentStart)
	case r == '.' && s.atDocumentIndicator():
		return s.fetchDocumentIndicator(ytDocumentEnd)
	case r == '[':
		return s.fetchFlowCollectionStart(ytFlowSequenceStart)
	case r == '{':
		return s.fetchFlowCollectionStart(ytFlowMappingStart)
	case r == ']':
		return s.fetchFlowCollectionEnd(ytFlowSequenceEnd)
	case r == '}':
		return s.fetchFlowCollectionEnd(ytFlowMappingEnd)
	case r == ',':
		return s.fetchFlowEntry()
	case r == '-' && yIsBlankZ(s.peekN(1)):
		return s.fetchBlockEntry()
	case r == '?' && (s.flowLevel > 0 || yIsBlankZ(s.peekN(1))):
		return s.fetchKey()
	case r == ':' && (s.flowLevel > 0 || yIsBlankZ(s.peekN(1))):
		return s.fetchValue()
	case r == '*':
		return s.fetchAnchor(ytAlias)
	case r == '&':
		return s.fetchAnchor(ytAnchor)
	case r == '!':
		return s.fetchTag()
	case (r == '|' || r == '>') && s.flowLevel == 0:
		return s.fetchBlockScalar(r == '|')
	case r == '\'' || r == '"':
		return s.fetchFlowScalar(r == '"')
	}
	// A plain scalar starts with any other non-space character, or with
	// "-", "?" or ":" followed by a non-space.
	n := s.peekN(1)
	if !(yIsBlankZ(r) || strings.ContainsRune("-?:,[]{}#&*!|>'\"%@`", r)) ||
		(r == '-' && !yIsBlank(n)) ||
		(s.flowLevel == 0 && (r == '?' || r == ':') && !yIsBlankZ(n)) {
		return s.fetchPlainScalar()
	}
	return s.errorAt("while scanning for the next token", s.mark, "found character that cannot start any token")
}

// atDocumentIndicator reports a "---" or "..." at the start of a line,
// followed by a blank or the end.
func (s *yScanner) atDocumentIndicator() bool {
	r := s.peek()
	return s.mark.col == 0 && (r == '-' || r == '.') && s.peekN(1) == r && s.peekN(2) == r && yIsBlankZ(s.peekN(3))
}

func (s *yScanner) scanToNextToken() error {
	for {
		if s.mark.pos == 0 && strings.HasPrefix(s.src, "\ufeff") {
			s.mark.pos += 3 // a byte order mark is no character of the stream
		}
		for {
			r := s.peek()
			if r == ' ' || ((s.flowLevel > 0 || !s.allowSimpleKey) && r == '\t') {
				s.skip()
				continue
			}
			break
		}
		if s.peek() == '#' {
			for !yIsBreakZ(s.peek()) {
				s.skip()
			}
		}
		if !yIsBreak(s.peek()) {
			return nil
		}
		s.skipLine()
		if s.flowLevel == 0 {
			s.allowSimpleKey = true
		}
	}
}

func (s *yScanner) fetchStreamEnd() error {
	if s.mark.col != 0 {
		s.mark.col = 0
		s.mark.line++
	}
	s.unrollIndent(-1)
	if err := s.removeSimpleKey(); err != nil {
		return err
	}
	s.allowSimpleKey = false
	s.push(yToken{kind: ytStreamEnd, start: s.mark, end: s.mark})
	s.done = true
	return nil
}

func (s *yScanner) fetchDocumentIndicator(kind yTokenKind) error {
	s.unrollIndent(-1)
	if err := s.removeSimpleKey(); err != nil {
		return err
	}
	s.allowSimpleKey = false
	start := s.mark
	s.skip()
	s.skip()
	s.skip()
	s.push(yToken{kind: kind, start: start, end: s.mark})
	return nil
}

func (s *yScanner) fetchFlowCollectionStart(kind yTokenKind) error {
	if err := s.saveSimpleKey(); err != nil {
		return err
	}
	s.simpleKeys = append(s.simpleKeys, ySimpleKey{})
	s.flowLevel++
	s.allowSimpleKey = true
	s.pushIndicator(kind)
	return nil
}

func (s *yScanner) fetchFlowCollectionEnd(kind yTokenKind) error {
	if err := s.removeSimpleKey(); err != nil {
		return err
	}
	if s.flowLevel > 0 {
		s.flowLevel--
		s.simpleKeys = s.simpleKeys[:len(s.simpleKeys)-1]
	}
	s.allowSimpleKey = false
	s.pushIndicator(kind)
	return nil
}

func (s *yScanner) fetchFlowEntry() error {
	if err := s.removeSimpleKey(); err != nil {
		return err
	}
	s.allowSimpleKey = true
	s.pushIndicator(ytFlowEntry)
	return nil
}

func (s *yScanner) fetchBlockEntry() error {
	return s.fetchBlockIndicator(ytBlockEntry, ytBlockSequenceStart, "block sequence entries", true)
}

func (s *yScanner) fetchKey() error {
	return s.fetchBlockIndicator(ytKey, ytBlockMappingStart, "mapping keys", s.flowLevel == 0)
}

// fetchBlockIndicator reads a "-" or "?": in block context it may open
// the collection it belongs to, where a simple key could start.
func (s *yScanner) fetchBlockIndicator(kind, collection yTokenKind, what string, allowAfter bool) error {
	if s.flowLevel == 0 {
		if !s.allowSimpleKey {
			return s.errorAt("", s.mark, what+" are not allowed in this context")
		}
		s.rollIndent(s.mark.col, -1, collection, s.mark)
	}
	if err := s.removeSimpleKey(); err != nil {
		return err
	}
	s.allowSimpleKey = allowAfter
	s.pushIndicator(kind)
	return nil
}

// pushIndicator takes the one-character indicator at the mark as a token.
func (s *yScanner) pushIndicator(kind yTokenKind) {
	start := s.mark
	s.skip()
	s.push(yToken{kind: kind, start: start, end: s.mark})
}

func (s *yScanner) fetchValue() error {
	k := &s.simpleKeys[len(s.simpleKeys)-1]
	if k.possible {
		s.insert(k.tokenNumber, yToken{kind: ytKey, start: k.mark, end: k.mark})
		s.rollIndent(k.mark.col, k.tokenNumber, ytBlockMappingStart, k.mark)
		k.possible = false
		s.allowSimpleKey = false
	} else {
		if s.flowLevel == 0 {
			if !s.allowSimpleKey {
				return s.errorAt("", s.mark, "mapping values are not allowed in this context")
			}
			s.rollIndent(s.mark.col, -1, ytBlockMappingStart, s.mark)
		}
		s.allowSimpleKey = s.flowLevel == 0
	}
	s.pushIndicator(ytValue)
	return nil
}

func (s *yScanner) fetchAnchor(kind yTokenKind) error {
	if err := s.saveSimpleKey(); err != nil {
		return err
	}
	s.allowSimpleKey = false
	start := s.mark
	s.skip()
	from := s.mark.pos
	for yIsAlpha(s.peek()) {
		s.skip()
	}
	name := s.src[from:s.mark.pos]
	r := s.peek()
	if name == "" || !(yIsBlankZ(r) || strings.ContainsRune("?:,]}%@`", r)) {
		what := "an anchor"
		if kind == ytAlias {
			what = "an alias"
		}
		return s.errorAt("while scanning "+what, start, "did not find expected alphabetic or numeric character")
	}
	s.push(yToken{kind: kind, start: start, end: s.mark, value: name})
	return nil
}

func (s *yScanner) fetchTag() error {
	if err := s.saveSimpleKey(); err != nil {
		return err
	}
	s.allowSimpleKey = false
	start := s.mark
	var handle, suffix string
	var err error
	if s.peekN(1) == '<' {
		s.skip()
		s.skip()
		if suffix, err = s.scanTagURI(true, "", start); err != nil {
			return err
		}
		if s.peek() != '>' {
			return s.errorAt("while scanning a tag", start, "did not find the expected '>'")
		}
		s.skip()
	} else {
		if handle, err = s.scanTagHandle(false, start); err != nil {
			return err
		}
		if len(handle) > 1 && handle[0] == '!' && handle[len(handle)-1] == '!' {
			if suffix, err = s.scanTagURI(false, "", start); err != nil {
				return err
			}
		} else {
			if suffix, err = s.scanTagURI(false, handle, start); err != nil {
				return err
			}
			handle = "!"
			if suffix == "" {
				handle, suffix = "", "!"
			}
		}
	}
	if r := s.peek(); !yIsBlankZ(r) && (s.flowLevel == 0 || r != ',') {
		return s.errorAt("while scanning a tag", start, "did not find expected whitespace or line break")
	}
	s.push(yToken{kind: ytTag, start: start, end: s.mark, handle: handle, value: suffix})
	return nil
}

// scanTagHandle reads "!", "!!" or "!name!"; outside a directive a
// handle without its closing "!" is the start of a "!suffix" tag.
func (s *yScanner) scanTagHandle(directive bool, start yMark) (string, error) {
	context := "while scanning a tag"
	if directive {
		context = "while scanning a tag directive"
	}
	if s.peek() != '!' {
		return "", s.errorAt(context, start, "did not find expected '!'")
	}
	from := s.mark.pos
	s.skip()
	for yIsAlpha(s.peek()) {
		s.skip()
	}
	if s.peek() == '!' {
		s.skip()
	} else if directive && s.src[from:s.mark.pos] != "!" {
		return "", s.errorAt(context, start, "did not find expected '!'")
	}
	return s.src[from:s.mark.pos], nil
}

// scanTagURI reads a tag's URI, decoding %-escapes; head is a handle
// already read that turned out to be the start of the URI.
func (s *yScanner) scanTagURI(verbatim bool, head string, start yMark) (string, error) {
	var b strings.Builder
	length := len(head)
	if len(head) > 1 {
		b.WriteString(head[1:])
	}
	for {
		r := s.peek()
		if !(yIsAlpha(r) || strings.ContainsRune(";/?:@&=+$.%!~*'()", r) || (verbatim && strings.ContainsRune(",[]", r))) || r == 0 {
			break
		}
		if r == '%' {
			c, err := s.scanURIEscapes(start)
			if err != nil {
				return "", err
			}
			b.WriteString(c)
		} else {
			_, w := s.at(0)
			b.WriteString(s.src[s.mark.pos : s.mark.pos+w])
			s.skip()
		}
		length++
	}
	if length == 0 {
		return "", s.errorAt("while parsing a tag", start, "did not find expected tag URI")
	}
	return b.String(), nil
}

func (s *yScanner) scanURIEscapes(start yMark) (string, error) {
	var bs []byte
	for {
		if s.peek() != '%' || !yIsHex(s.peekN(1)) || !yIsHex(s.peekN(2)) {
			if len(bs) > 0 && s.peek() != '%' {
				break
			}
			return "", s.errorAt("while parsing a tag", start, "did not find URI escaped octet")
		}
		n, _ := strconv.ParseUint(s.src[s.mark.pos+1:s.mark.pos+3], 16, 8)
		bs = append(bs, byte(n))
		s.skip()
		s.skip()
		s.skip()
		if utf8.FullRune(bs) {
			break
		}
	}
	if !utf8.Valid(bs) {
		return "", s.errorAt("while parsing a tag", start, "found an incorrect leading UTF-8 octet")
	}
	return string(bs), nil
}

func (s *yScanner) fetchDirective() error {
	s.unrollIndent(-1)
	if err := s.removeSimpleKey(); err != nil {
		return err
	}
	s.allowSimpleKey = false
	start := s.mark
	s.skip()
	from := s.mark.pos
	for yIsAlpha(s.peek()) {
		s.skip()
	}
	name := s.src[from:s.mark.pos]
	if name == "" {
		return s.errorAt("while scanning a directive", start, "could not find expected directive name")
	}
	if !yIsBlankZ(s.peek()) {
		return s.errorAt("while scanning a directive", start, "found unexpected non-alphabetical character")
	}
	skipBlanks := func() {
		for yIsBlank(s.peek()) {
			s.skip()
		}
	}
	t := yToken{start: start}
	switch name {
	case "YAML":
		skipBlanks()
		from := s.mark.pos
		for r := s.peek(); (r >= '0' && r <= '9') || r == '.'; r = s.peek() {
			s.skip()
		}
		v := s.src[from:s.mark.pos]
		major, minor, ok := strings.Cut(v, ".")
		if !ok || major == "" || minor == "" || strings.Contains(minor, ".") {
			return s.errorAt("while scanning a %YAML directive", start, "did not find expected digit or '.' character")
		}
		t.kind, t.value = ytVersionDirective, v
	case "TAG":
		skipBlanks()
		handle, err := s.scanTagHandle(true, start)
		if err != nil {
			return err
		}
		if !yIsBlank(s.peek()) {
			return s.errorAt("while scanning a %TAG directive", start, "did not find expected whitespace")
		}
		skipBlanks()
		prefix, err := s.scanTagURI(true, "", start)
		if err != nil {
			return err
		}
		if !yIsBlankZ(s.peek()) {
			return s.errorAt("while scanning a %TAG directive", start, "did not find expected whitespace or line break")
		}
		t.kind, t.handle, t.value = ytTagDirective, handle, prefix
	default:
		// libyaml ignores unknown directives (with a warning PyYAML drops).
		for !yIsBreakZ(s.peek()) {
			s.skip()
		}
	}
	skipBlanks()
	if s.peek() == '#' {
		for !yIsBreakZ(s.peek()) {
			s.skip()
		}
	}
	if !yIsBreakZ(s.peek()) {
		return s.errorAt("while scanning a directive", start, "did not find expected comment or line break")
	}
	s.skipLine()
	if t.kind != ytNone {
		t.end = s.mark
		s.push(t)
	}
	return nil
}

func (s *yScanner) fetchBlockScalar(literal bool) error {
	if err := s.removeSimpleKey(); err != nil {
		return err
	}
	s.allowSimpleKey = true
	start := s.mark
	s.skip()
	// The chomping and indentation indicators, in either order.
	chomping, increment := 0, 0
	for range 2 {
		switch r := s.peek(); {
		case (r == '+' || r == '-') && chomping == 0:
			chomping = map[rune]int{'+': 1, '-': -1}[r]
		case r == '0' && increment == 0:
			return s.errorAt("while scanning a block scalar", start, "found an indentation indicator equal to 0")
		case r >= '1' && r <= '9' && increment == 0:
			increment = int(r - '0')
		default:
			continue
		}
		s.skip()
	}
	for yIsBlank(s.peek()) {
		s.skip()
	}
	if s.peek() == '#' {
		for !yIsBreakZ(s.peek()) {
			s.skip()
		}
	}
	if !yIsBreakZ(s.peek()) {
		return s.errorAt("while scanning a block scalar", start, "did not find expected comment or line break")
	}
	s.skipLine()
	end := s.mark
	indent := 0
	if increment > 0 {
		if s.indent >= 0 {
			indent = s.indent + increment
		} else {
			indent = increment
		}
	}
	var b, trailing strings.Builder
	if err := s.blockScalarBreaks(&indent, &trailing, start, &end); err != nil {
		return err
	}
	leadingBreak := ""
	leadingBlank := false
	for s.mark.col == indent && s.peek() != 0 {
		trailingBlank := yIsBlank(s.peek())
		if !literal && leadingBreak == "\n" && !leadingBlank && !trailingBlank {
			if trailing.Len() == 0 {
				b.WriteByte(' ')
			}
		} else {
			b.WriteString(leadingBreak)
		}
		leadingBreak = ""
		b.WriteString(trailing.String())
		trailing.Reset()
		leadingBlank = yIsBlank(s.peek())
		from := s.mark.pos
		for !yIsBreakZ(s.peek()) {
			s.skip()
		}
		b.WriteString(s.src[from:s.mark.pos])
		leadingBreak = s.skipLine()
		if err := s.blockScalarBreaks(&indent, &trailing, start, &end); err != nil {
			return err
		}
	}
	if chomping != -1 {
		b.WriteString(leadingBreak)
	}
	if chomping == 1 {
		b.WriteString(trailing.String())
	}
	s.push(yToken{kind: ytScalar, start: start, end: end, value: b.String(), fresh: true})
	return nil
}

// blockScalarBreaks reads the indentation and empty lines before a line of
// a block scalar, settling its indentation on the first one when no
// indicator gave it.
func (s *yScanner) blockScalarBreaks(indent *int, breaks *strings.Builder, start yMark, end *yMark) error {
	maxIndent := 0
	*end = s.mark
	for {
		for (*indent == 0 || s.mark.col < *indent) && s.peek() == ' ' {
			s.skip()
		}
		if s.mark.col > maxIndent {
			maxIndent = s.mark.col
		}
		if (*indent == 0 || s.mark.col < *indent) && s.peek() == '\t' {
			return s.errorAt("while scanning a block scalar", start, "found a tab character where an indentation space is expected")
		}
		if !yIsBreak(s.peek()) {
			break
		}
		breaks.WriteString(s.skipLine())
		*end = s.mark
	}
	if *indent == 0 {
		*indent = maxIndent
		if *indent < s.indent+1 {
			*indent = s.indent + 1
		}
		if *indent < 1 {
			*indent = 1
		}
	}
	return nil
}

var yEscapes = map[rune]string{
	'0': "\x00", 'a': "\x07", 'b': "\x08", 't': "\x09", '\t': "\x09", 'n': "\x0a", 'v': "\x0b", 'f': "\x0c",
	'r': "\x0d", 'e': "\x1b", ' ': " ", '"': "\"", '/': "/", '\'': "'", '\\': "\\", 'N': "\u0085",
	'_': "\u00a0", 'L': "\u2028", 'P': "\u2029",
}

func (s *yScanner) fetchFlowScalar(double bool) error {
	if err := s.saveSimpleKey(); err != nil {
		return err
	}
	s.allowSimpleKey = false
	start := s.mark
	s.skip()
	context := "while scanning a quoted scalar"
	var b strings.Builder
	for {
		// A document indicator ends the stream's document, even inside quotes.
		if s.atDocumentIndicator() {
			return s.errorAt(context, start, "found unexpected document indicator")
		}
		if s.peek() == 0 {
			return s.errorAt(context, start, "found unexpected end of stream")
		}
		leadingBlanks := false
		for r := s.peek(); !yIsBlankZ(r); r = s.peek() {
			switch {
			case !double && r == '\'' && s.peekN(1) == '\'':
				b.WriteByte('\'')
				s.skip()
				s.skip()
				continue
			case r == '\'' && !double, r == '"' && double:
			case double && r == '\\' && yIsBreak(s.peekN(1)):
				s.skip()
				s.skipLine()
				leadingBlanks = true
			case double && r == '\\':
				e := s.peekN(1)
				if rep, ok := yEscapes[e]; ok {
					b.WriteString(rep)
					s.skip()
					s.skip()
					continue
				}
				n := map[rune]int{'x': 2, 'u': 4, 'U': 8}[e]
				if n == 0 {
					return s.errorAt("while parsing a quoted scalar", start, "found unknown escape character")
				}
				s.skip()
				s.skip()
				for k := 0; k < n; k++ {
					if !yIsHex(s.peekN(k)) {
						return s.errorAt("while parsing a quoted scalar", start, "did not find expected hexdecimal number")
					}
				}
				code, _ := strconv.ParseUint(s.src[s.mark.pos:s.mark.pos+n], 16, 32)
				if (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff {
					return s.errorAt("while parsing a quoted scalar", start, "found invalid Unicode character escape code")
				}
				b.WriteRune(rune(code))
				for k := 0; k < n; k++ {
					s.skip()
				}
				continue
			default:
				_, w := s.at(0)
				b.WriteString(s.src[s.mark.pos : s.mark.pos+w])
				s.skip()
				continue
			}
			break
		}
		if r := s.peek(); (r == '\'' && !double) || (r == '"' && double) {
			break
		}
		// Blanks and line breaks between words.
		var whitespaces, leadingBreak, trailingBreaks strings.Builder
		for r := s.peek(); yIsBlank(r) || yIsBreak(r); r = s.peek() {
			if yIsBlank(r) {
				if !leadingBlanks {
					whitespaces.WriteRune(r)
				}
				s.skip()
				continue
			}
			if !leadingBlanks {
				whitespaces.Reset()
				leadingBreak.WriteString(s.skipLine())
				leadingBlanks = true
			} else {
				trailingBreaks.WriteString(s.skipLine())
			}
		}
		if leadingBlanks {
			if leadingBreak.String() == "\n" {
				if trailingBreaks.Len() == 0 {
					b.WriteByte(' ')
				} else {
					b.WriteString(trailingBreaks.String())
				}
			} else {
				b.WriteString(leadingBreak.String())
				b.WriteString(trailingBreaks.String())
			}
		} else {
			b.WriteString(whitespaces.String())
		}
	}
	s.skip()
	s.push(yToken{kind: ytScalar, start: start, end: s.mark, value: b.String(), fresh: true})
	return nil
}

func (s *yScanner) fetchPlainScalar() error {
	if err := s.saveSimpleKey(); err != nil {
		return err
	}
	s.allowSimpleKey = false
	start := s.mark
	end := s.mark
	indent := s.indent + 1
	// The common case, a scalar on one line without inner blanks, is a
	// slice of the input; the text is assembled in s.buf only otherwise.
	from, to := -1, -1
	multi := false
	b := s.buf[:0]
	wsFrom, wsTo := 0, 0 // blanks after the last word, on its line
	leadingBreak := ""
	trailing := s.breaks[:0]
	leadingBlanks := false
	for {
		if s.atDocumentIndicator() {
			break
		}
		if s.peek() == '#' {
			break
		}
		wordFrom := -1
		for r := s.peek(); !yIsBlankZ(r); r = s.peek() {
			n := s.peekN(1)
			if s.flowLevel > 0 && r == ':' && n != 0 && strings.ContainsRune(",?[]{}", n) {
				break
			}
			if (r == ':' && yIsBlankZ(n)) || (s.flowLevel > 0 && strings.ContainsRune(",[]{}", r)) {
				break
			}
			if wordFrom < 0 {
				wordFrom = s.mark.pos
				if from >= 0 && (leadingBlanks || wsTo > wsFrom) {
					if !multi {
						multi = true
						b = append(b, s.src[from:to]...)
					}
					if leadingBlanks {
						if leadingBreak == "\n" {
							if len(trailing) == 0 {
								b = append(b, ' ')
							} else {
								b = append(b, trailing...)
							}
						} else {
							b = append(b, leadingBreak...)
							b = append(b, trailing...)
						}
						leadingBreak, trailing, leadingBlanks = "", trailing[:0], false
					} else {
						b = append(b, s.src[wsFrom:wsTo]...)
					}
				}
				wsFrom, wsTo = 0, 0
			}
			s.skip()
		}
		if wordFrom >= 0 {
			if from < 0 {
				from = wordFrom
			}
			to = s.mark.pos
			if multi {
				b = append(b, s.src[wordFrom:to]...)
			}
		}
		if !(yIsBlank(s.peek()) || yIsBreak(s.peek())) {
			break
		}
		if wordFrom >= 0 {
			end = s.mark
		}
		for r := s.peek(); yIsBlank(r) || yIsBreak(r); r = s.peek() {
			if yIsBlank(r) {
				if leadingBlanks && s.mark.col < indent && r == '\t' {
					return s.errorAt("while scanning a plain scalar", start, "found a tab character that violates indentation")
				}
				if !leadingBlanks {
					if wsTo == wsFrom {
						wsFrom = s.mark.pos
					}
					wsTo = s.mark.pos + 1
				}
				s.skip()
				continue
			}
			if !leadingBlanks {
				wsFrom, wsTo = 0, 0
				leadingBreak = s.skipLine()
				leadingBlanks = true
			} else {
				trailing = append(trailing, s.skipLine()...)
			}
		}
		if s.flowLevel == 0 && s.mark.col < indent {
			break
		}
	}
	if end.pos < to {
		end = s.mark
	}
	t := yToken{kind: ytScalar, start: start, end: end, plain: true}
	switch {
	case multi:
		t.value, t.fresh = string(b), true
	case from >= 0:
		t.value = s.src[from:to]
	}
	s.buf, s.breaks = b, trailing
	s.push(t)
	if leadingBlanks {
		s.allowSimpleKey = true
	}
	return nil
}
