package ansible

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The composer reads the scanner's tokens as libyaml's parser does and
// builds PyYAML's node graph (ynode) as it goes, one recursive call per
// nesting level. Nothing but the nodes outlives the tokens, and every
// token is looked at a bounded number of times: reading is linear in the
// document's size.

// Bounds against hostile input, scaled to the input: composing and
// constructing a document may cost at most yamlBudgetFactor times its size
// plus yamlBudgetBase bytes. Every node is charged yamlNodeCost, what it
// costs while read (its ynode, its constructed object, its share of a
// mapping's index and of the value kook keeps), and every scalar its text
// beyond what it shares with the input. A document over budget is refused
// at the line where it crosses it. Honest inventories cost some 5 to 10
// times their size; what costs more is a document of tiny nodes
// ("[a,a,a,...]") that would take gigabytes.
const (
	yamlBudgetFactor = 20
	yamlBudgetBase   = 64 << 20
	yamlNodeCost     = 160
)

type yComposer struct {
	file    string
	s       *yScanner
	anchors map[string]*ynode
	handles map[string]string
	depth   int
	budget  int // bytes left, see yamlBudgetFactor
}

// yamlParse reads data's single YAML document into a node graph. It
// returns nil for a stream that holds no document or whose document is
// empty.
func yamlParse(file string, data []byte) (*ynode, error) {
	if !utf8.Valid(data) {
		off := firstInvalidUTF8(data)
		return nil, errorf(file, 1+bytes.Count(data[:off], []byte{'\n'}), "invalid UTF-8 in YAML")
	}
	for off, r := range string(data) {
		if !yamlPrintable(r) {
			return nil, errorf(file, 1+bytes.Count(data[:off], []byte{'\n'}),
				"YAML syntax error: unacceptable character #x%04x: control characters are not allowed", r)
		}
	}
	c := &yComposer{file: file, s: newYScanner(string(data)), anchors: map[string]*ynode{},
		budget: yamlBudgetFactor*len(data) + yamlBudgetBase}
	doc, err := c.stream()
	if err != nil {
		if se, ok := err.(*ySyntaxError); ok {
			se.atEnd = strings.TrimRight(string(data[min(se.mark.pos, len(data)):]), " \t\r\n") == ""
			se.tab = se.mark.pos < len(data) && data[se.mark.pos] == '\t'
			return nil, &Error{File: file, Line: se.line(), Err: se}
		}
		return nil, err
	}
	return doc, nil
}

// yamlPrintable is libyaml's test of the characters a YAML stream may
// hold (NUL and the other control characters may not, even quoted).
func yamlPrintable(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0x7E) || r == 0x85 ||
		(r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

func (c *yComposer) peek() (*yToken, error) { return c.s.peekToken() }

func (c *yComposer) next() (yToken, error) { return c.s.nextToken() }

// is reports whether the next token is of one of the kinds.
func (c *yComposer) is(kinds ...yTokenKind) (bool, error) {
	t, err := c.peek()
	if err != nil {
		return false, err
	}
	for _, k := range kinds {
		if t.kind == k {
			return true, nil
		}
	}
	return false, nil
}

func yParseError(context string, contextMark yMark, problem string, t *yToken) error {
	return &ySyntaxError{context: context, contextMark: contextMark, problem: problem, mark: t.start}
}

// stream is get_single_node: the first document, and an error if another
// follows.
func (c *yComposer) stream() (*ynode, error) {
	if _, err := c.next(); err != nil { // stream start
		return nil, err
	}
	t, err := c.peek()
	if err != nil {
		return nil, err
	}
	var doc *ynode
	switch t.kind {
	case ytStreamEnd:
		return nil, nil
	case ytVersionDirective, ytTagDirective, ytDocumentStart:
		if doc, err = c.explicitDocument(); err != nil {
			return nil, err
		}
	default:
		c.handles = map[string]string{"!": "!", "!!": yamlTagPrefix}
		if doc, err = c.node(true, false); err != nil {
			return nil, err
		}
	}
	// The document ends with "..." or where the next begins.
	for {
		t, err := c.peek()
		if err != nil {
			return nil, err
		}
		if t.kind != ytDocumentEnd {
			break
		}
		if _, err := c.next(); err != nil {
			return nil, err
		}
	}
	if t, err = c.peek(); err != nil {
		return nil, err
	}
	if t.kind == ytStreamEnd {
		return doc, nil
	}
	start := t.start
	if err := c.directives(); err != nil {
		return nil, err
	}
	if t, err = c.peek(); err != nil {
		return nil, err
	}
	if t.kind != ytDocumentStart {
		return nil, yParseError("", yMark{}, "did not find expected <document start>", t)
	}
	return nil, &Error{File: c.file, Line: start.line + 1, Err: fmt.Errorf("expected a single document in the stream, but found another document")}
}

func (c *yComposer) explicitDocument() (*ynode, error) {
	if err := c.directives(); err != nil {
		return nil, err
	}
	t, err := c.peek()
	if err != nil {
		return nil, err
	}
	if t.kind != ytDocumentStart {
		return nil, yParseError("", yMark{}, "did not find expected <document start>", t)
	}
	c.next()
	if t, err = c.peek(); err != nil {
		return nil, err
	}
	switch t.kind {
	case ytVersionDirective, ytTagDirective, ytDocumentStart, ytDocumentEnd, ytStreamEnd:
		return c.empty("", t.start), nil
	}
	return c.node(true, false)
}

// directives reads %YAML and %TAG directives into the tag handles of the
// document that follows.
func (c *yComposer) directives() error {
	c.handles = map[string]string{}
	version := false
	for {
		t, err := c.peek()
		if err != nil {
			return err
		}
		switch t.kind {
		case ytVersionDirective:
			if version {
				return yParseError("", yMark{}, "found duplicate %YAML directive", t)
			}
			version = true
			if major, minor, _ := strings.Cut(t.value, "."); major != "1" || (minor != "1" && minor != "2") {
				return yParseError("", yMark{}, "found incompatible YAML document", t)
			}
		case ytTagDirective:
			if _, dup := c.handles[t.handle]; dup {
				return yParseError("", yMark{}, "found duplicate %TAG directive", t)
			}
			c.handles[t.handle] = t.value
		default:
			for h, p := range map[string]string{"!": "!", "!!": yamlTagPrefix} {
				if _, ok := c.handles[h]; !ok {
					c.handles[h] = p
				}
			}
			return nil
		}
		if _, err := c.next(); err != nil {
			return err
		}
	}
}

// spend charges a node against the document's budget.
func (c *yComposer) spend(n int, at yMark) error {
	c.budget -= n
	if c.budget < 0 {
		return &Error{File: c.file, Line: at.line + 1, Err: fmt.Errorf(
			"YAML document too costly to read: its nodes would take more than %d times its size plus %d MB of memory",
			yamlBudgetFactor, yamlBudgetBase>>20)}
	}
	return nil
}

// empty is an empty plain scalar (a null unless tagged otherwise).
func (c *yComposer) empty(tag string, at yMark) *ynode {
	return &ynode{kind: yScalar, tag: tag, plain: tag == "", line: at.line + 1, col: at.col + 1}
}

// node is parse_node: properties, then an alias, a scalar or a
// collection. block allows block collections; indentless allows the "-"
// entries of a sequence at its mapping key's own column.
func (c *yComposer) node(block, indentless bool) (*ynode, error) {
	t, err := c.peek()
	if err != nil {
		return nil, err
	}
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > yamlMaxDepth {
		return nil, errorf(c.file, t.start.line+1, "YAML nesting deeper than %d levels", yamlMaxDepth)
	}
	if err := c.spend(yamlNodeCost, t.start); err != nil {
		return nil, err
	}
	if t.kind == ytAlias {
		a, _ := c.next()
		target, ok := c.anchors[a.value]
		if !ok {
			return nil, errorf(c.file, a.start.line+1, "found undefined alias %q", a.value)
		}
		return target, nil
	}
	start := t.start
	var anchor, tag string
	hasAnchor, hasTag := false, false
	for t.kind == ytAnchor || t.kind == ytTag {
		if (t.kind == ytAnchor && hasAnchor) || (t.kind == ytTag && hasTag) {
			break
		}
		p, _ := c.next()
		if p.kind == ytAnchor {
			anchor, hasAnchor = p.value, true
		} else {
			hasTag = true
			if p.handle == "" {
				tag = p.value
			} else {
				prefix, ok := c.handles[p.handle]
				if !ok {
					return nil, yParseError("while parsing a node", start, "found undefined tag handle", &p)
				}
				tag = prefix + p.value
			}
		}
		if t, err = c.peek(); err != nil {
			return nil, err
		}
	}
	n := &ynode{tag: tag, line: start.line + 1, col: start.col + 1}
	if hasAnchor {
		if prev, dup := c.anchors[anchor]; dup {
			return nil, errorf(c.file, start.line+1, "found duplicate anchor %q; first occurrence on line %d", anchor, prev.line)
		}
		// Registered before the content, as PyYAML does: a node may hold
		// an alias to itself.
		c.anchors[anchor] = n
	}
	switch {
	case indentless && t.kind == ytBlockEntry:
		n.kind, n.ynodeColl = ySequence, &ynodeColl{}
		return n, c.indentlessSequence(n)
	case t.kind == ytScalar:
		s, _ := c.next()
		n.kind, n.value = yScalar, s.value
		n.plain = (s.plain && tag == "") || tag == "!"
		if s.fresh {
			if err := c.spend(len(s.value), s.start); err != nil {
				return nil, err
			}
		}
		return n, nil
	case t.kind == ytFlowSequenceStart:
		n.kind, n.ynodeColl = ySequence, &ynodeColl{}
		return n, c.flowSequence(n)
	case t.kind == ytFlowMappingStart:
		n.kind, n.ynodeColl = yMapping, &ynodeColl{}
		return n, c.flowMapping(n)
	case block && t.kind == ytBlockSequenceStart:
		n.kind, n.ynodeColl = ySequence, &ynodeColl{}
		return n, c.blockSequence(n)
	case block && t.kind == ytBlockMappingStart:
		n.kind, n.ynodeColl = yMapping, &ynodeColl{}
		return n, c.blockMapping(n)
	case hasAnchor || hasTag:
		e := c.empty(tag, start)
		e.tag = tag
		*n = *e
		return n, nil
	}
	context := "while parsing a flow node"
	if block {
		context = "while parsing a block node"
	}
	return nil, yParseError(context, start, "did not find expected node content", t)
}

func (c *yComposer) blockSequence(n *ynode) error {
	start, _ := c.next()
	for {
		t, err := c.peek()
		if err != nil {
			return err
		}
		if t.kind != ytBlockEntry {
			if t.kind != ytBlockEnd {
				return yParseError("while parsing a block collection", start.start, "did not find expected '-' indicator", t)
			}
			_, err := c.next()
			return err
		}
		entry, _ := c.next()
		item, err := c.blockItem(entry, ytBlockEntry, ytBlockEnd)
		if err != nil {
			return err
		}
		n.items = append(n.items, item)
	}
}

// blockItem is a block node after an indicator token, or an empty scalar
// where one of the kinds follows instead.
func (c *yComposer) blockItem(after yToken, kinds ...yTokenKind) (*ynode, error) {
	if ok, err := c.is(kinds...); err != nil {
		return nil, err
	} else if ok {
		return c.empty("", after.end), nil
	}
	return c.node(true, true)
}

func (c *yComposer) indentlessSequence(n *ynode) error {
	for {
		if ok, err := c.is(ytBlockEntry); err != nil || !ok {
			return err
		}
		entry, _ := c.next()
		item, err := c.blockItem(entry, ytBlockEntry, ytKey, ytValue, ytBlockEnd)
		if err != nil {
			return err
		}
		n.items = append(n.items, item)
	}
}

func (c *yComposer) blockMapping(n *ynode) error {
	start, _ := c.next()
	for {
		t, err := c.peek()
		if err != nil {
			return err
		}
		switch t.kind {
		case ytBlockEnd:
			_, err := c.next()
			return err
		case ytKey:
		default:
			return yParseError("while parsing a block mapping", start.start, "did not find expected key", t)
		}
		k, _ := c.next()
		key, err := c.blockItem(k, ytKey, ytValue, ytBlockEnd)
		if err != nil {
			return err
		}
		var value *ynode
		if t, err = c.peek(); err != nil {
			return err
		}
		if t.kind == ytValue {
			v, _ := c.next()
			if value, err = c.blockItem(v, ytKey, ytValue, ytBlockEnd); err != nil {
				return err
			}
		} else {
			value = c.empty("", t.start)
		}
		n.pairs = append(n.pairs, ypair{key, value})
	}
}

func (c *yComposer) flowSequence(n *ynode) error {
	start, _ := c.next()
	for first := true; ; first = false {
		t, err := c.peek()
		if err != nil {
			return err
		}
		if t.kind == ytFlowSequenceEnd {
			_, err := c.next()
			return err
		}
		if !first {
			if t.kind != ytFlowEntry {
				return yParseError("while parsing a flow sequence", start.start, "did not find expected ',' or ']'", t)
			}
			c.next()
			if t, err = c.peek(); err != nil {
				return err
			}
			if t.kind == ytFlowSequenceEnd {
				continue
			}
		}
		if t.kind != ytKey {
			item, err := c.node(false, false)
			if err != nil {
				return err
			}
			n.items = append(n.items, item)
			continue
		}
		// "[a: b]" is a sequence holding the single-pair mapping {a: b}.
		k, _ := c.next()
		if err := c.spend(yamlNodeCost, k.start); err != nil {
			return err
		}
		m := &ynode{kind: yMapping, line: k.start.line + 1, col: k.start.col + 1, ynodeColl: &ynodeColl{}}
		key, value, err := c.flowPair(ytFlowSequenceEnd)
		if err != nil {
			return err
		}
		m.pairs = append(m.pairs, ypair{key, value})
		n.items = append(n.items, m)
	}
}

// flowPair reads the key after a "?" (or the implied one of "a: b") and
// its value, in a flow collection that ends with the token end. An empty
// key or value is placed where the next token starts, as libyaml does in
// flow collections.
func (c *yComposer) flowPair(end yTokenKind) (key, value *ynode, err error) {
	t, err := c.peek()
	if err != nil {
		return nil, nil, err
	}
	switch t.kind {
	case ytValue, ytFlowEntry, end:
		key = c.empty("", t.start)
	default:
		if key, err = c.node(false, false); err != nil {
			return nil, nil, err
		}
	}
	if t, err = c.peek(); err != nil {
		return nil, nil, err
	}
	if t.kind != ytValue {
		return key, c.empty("", t.start), nil
	}
	c.next()
	if t, err = c.peek(); err != nil {
		return nil, nil, err
	}
	if t.kind == ytFlowEntry || t.kind == end {
		return key, c.empty("", t.start), nil
	}
	value, err = c.node(false, false)
	return key, value, err
}

func (c *yComposer) flowMapping(n *ynode) error {
	start, _ := c.next()
	for first := true; ; first = false {
		t, err := c.peek()
		if err != nil {
			return err
		}
		if t.kind == ytFlowMappingEnd {
			_, err := c.next()
			return err
		}
		if !first {
			if t.kind != ytFlowEntry {
				return yParseError("while parsing a flow mapping", start.start, "did not find expected ',' or '}'", t)
			}
			c.next()
			if t, err = c.peek(); err != nil {
				return err
			}
			if t.kind == ytFlowMappingEnd {
				continue
			}
		}
		var key, value *ynode
		if t.kind == ytKey {
			c.next()
			if key, value, err = c.flowPair(ytFlowMappingEnd); err != nil {
				return err
			}
		} else {
			if key, err = c.node(false, false); err != nil {
				return err
			}
			t, err := c.peek()
			if err != nil {
				return err
			}
			value = c.empty("", t.start)
		}
		n.pairs = append(n.pairs, ypair{key, value})
	}
}
