package ansible

import (
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"
)

// goccy/go-yaml's lexer and parser (v1.19) cost far more than their
// input on some shapes, and kook must refuse those before handing them
// the document:
//
//   - every token takes some 250 bytes and every node some 500 more, so
//     a 10 MB line "[a,a,a,...]" takes 2.5 GB; a long scalar costs some
//     30 times its size while it is lexed;
//   - every node stores its full path ("$.a.b[3].c") as a fresh string, so
//     deep nesting costs depth² bytes (100,000 nested "[" take 15 GB) and a
//     long key costs its length again for every node below it (a 1 MB key
//     over 1,000 entries takes 2 GB);
//   - a block mapping is parsed by one recursive call per key, each
//     copying the entries after it: n sibling keys cost n² time and an
//     n-deep Go stack, and a few million keys overflow the stack, which
//     kills the process (upstream goccy/go-yaml#889 and #902).
//
// yamlTokenize therefore bounds the document's size, estimates its tokens
// from its bytes before lexing (the lexer reads the whole document in one
// call), counts them after, and estimates the parser's cost from the
// tokens before parsing. A YAML read stays within about 1 GB whatever the
// input. An inventory of some 80,000 hosts with a few vars each is within
// the limits; yamlMaxKeys is the one an inventory meets first: a single
// mapping of 100,000 hosts already takes goccy minutes to parse.
const (
	yamlMaxBytes     = 32 << 20
	yamlMaxTokens    = 1_000_000
	yamlMaxKeys      = 100_000
	yamlMaxPathBytes = 128 << 20
)

// yamlTooBig ends the messages of the limits an honest inventory may meet.
const yamlTooBig = "more than kook's YAML reader can afford (the same inventory as JSON is read cheaply)"

// yamlTokenize lexes data as goccy's lexer.Tokenize does and refuses a
// document the lexer or the parser could not afford (see above), with an
// *Error naming the line where a limit is crossed.
func yamlTokenize(file string, data []byte) (token.Tokens, error) {
	if len(data) > yamlMaxBytes {
		return nil, errorf(file, 0, "YAML document of %d MB, %s", len(data)>>20, yamlTooBig)
	}
	// Every token but a plain scalar starts with one of these bytes, and a
	// plain scalar ends at one of them: tokens are at most about twice as
	// many (comments and quoted text make this count larger than needed).
	line, marks := 1, 0
	for _, c := range data {
		switch c {
		case '\n':
			line++
			marks++
		case ',', '[', ']', '{', '}', ':', '-', '?', '&', '*', '!', '#', '|', '>', '\'', '"', '%', '@', '`':
			marks++
		}
		if marks > yamlMaxTokens {
			return nil, errorf(file, line, "YAML document with more than %d tokens, %s", yamlMaxTokens, yamlTooBig)
		}
	}
	tokens := lexer.Tokenize(string(data))
	if len(tokens) > yamlMaxTokens {
		return nil, errorf(file, yamlTokenLine(tokens[yamlMaxTokens]), "YAML document with more than %d tokens, %s", yamlMaxTokens, yamlTooBig)
	}
	if err := yamlCheckShape(file, tokens); err != nil {
		return nil, err
	}
	return tokens, nil
}

func yamlTokenLine(tk *token.Token) int {
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}

// yamlLevel is one open level of the document while scanning its tokens:
// a block mapping key, a block sequence entry or a flow collection. path
// is what the level adds to goccy's node paths.
type yamlLevel struct {
	col     int // block levels: column of the key or "-"; flow: of the bracket
	off     int // flow levels: offset of the bracket
	flow    bool
	seq     bool // a block "-" entry, or a flow sequence
	path    int
	keyPath int // flow levels: what the current key adds
	keys    int // block keys directly below this level
}

// yamlMaxSimpleKey is libyaml's limit on an implicit key ("key: value"):
// a key longer than 1024 characters is no key, and its ":" an error.
const yamlMaxSimpleKey = 1024

// yamlCheckShape walks the tokens keeping the stack of open levels — by
// column for block collections, by bracket for flow ones — and refuses
// nesting past yamlMaxDepth, a block mapping with more than yamlMaxKeys
// keys and documents whose node paths would add up past yamlMaxPathBytes.
// It also refuses, as libyaml does, an implicit key longer than
// yamlMaxSimpleKey characters. It is an estimate of goccy's behaviour, not
// a YAML parser: malformed documents pass through to the parser, which
// reports them.
func yamlCheckShape(file string, tokens token.Tokens) error {
	for _, tk := range tokens {
		if tk == nil || tk.Position == nil {
			return nil // not what goccy's lexer makes: leave it to the parser
		}
	}
	stack := []yamlLevel{{col: 0}} // the document: keys start at column 1
	pathLen, cost := 1, 0
	flowDepth := 0
	lastClosed := -1 // index of the last "]" or "}"
	var lastClosedLevel yamlLevel
	explicit, explicitDepth := false, 0 // after "?", the ":" ends the key
	push := func(l yamlLevel, tk *token.Token) error {
		stack = append(stack, l)
		pathLen += l.path
		if len(stack)-1 > yamlMaxDepth {
			return errorf(file, yamlTokenLine(tk), "YAML nesting deeper than %d levels", yamlMaxDepth)
		}
		return nil
	}
	pop := func() {
		top := stack[len(stack)-1]
		pathLen -= top.path + top.keyPath
		stack = stack[:len(stack)-1]
	}
	// popBlock closes the block levels that a key or "-" at column col
	// ends; a "-" at the column of a key is that key's value.
	popBlock := func(col int, entry bool) {
		for len(stack) > 1 {
			top := stack[len(stack)-1]
			if top.flow || top.col < col || (entry && top.col == col && !top.seq) {
				return
			}
			pop()
		}
	}
	addKey := func(tk *token.Token) error {
		owner := &stack[len(stack)-1]
		owner.keys++
		if owner.keys > yamlMaxKeys {
			return errorf(file, yamlTokenLine(tk), "YAML mapping with more than %d keys, %s", yamlMaxKeys, yamlTooBig)
		}
		return nil
	}
	setFlowKey := func(n int) {
		top := &stack[len(stack)-1]
		pathLen += n - top.keyPath
		top.keyPath = n
	}
	prevIdx := func(i int) int {
		for i--; i >= 0 && tokens[i].Type == token.CommentType; i-- {
		}
		return i
	}
	// keyStart is where the key whose last token is at p starts: at its
	// properties ("&anchor !tag key"), or at the alias "*name".
	keyStart := func(p int) int {
		line := tokens[p].Position.Line
		for {
			if p > 0 && tokens[p-1].Position.Line == line &&
				(tokens[p-1].Type == token.AnchorType || tokens[p-1].Type == token.AliasType) {
				p-- // "&" or "*" before its name
			}
			j := prevIdx(p)
			if j < 0 || tokens[j].Position.Line != line {
				return p
			}
			switch {
			case tokens[j].Type == token.TagType:
				p = j
			case j > 0 && tokens[j-1].Type == token.AnchorType && tokens[j-1].Position.Line == line:
				p = j
			default:
				return p
			}
		}
	}
	for i, tk := range tokens {
		if tk.Type == token.CommentType {
			continue
		}
		cost += pathLen
		if cost > yamlMaxPathBytes {
			return limitErrorf(file, yamlTokenLine(tk), "YAML document too costly for kook's YAML reader: its keys are too long or too deeply nested for what they hold (over %d MB of node paths)", yamlMaxPathBytes>>20)
		}
		switch tk.Type {
		case token.DocumentHeaderType, token.DocumentEndType:
			for len(stack) > 1 {
				pop()
			}
			stack[0].keys, flowDepth, explicit = 0, 0, false
		case token.SequenceStartType, token.MappingStartType:
			flowDepth++
			l := yamlLevel{col: tk.Position.Column, off: tk.Position.Offset, flow: true, seq: tk.Type == token.SequenceStartType, path: 8}
			if err := push(l, tk); err != nil {
				return err
			}
		case token.SequenceEndType, token.MappingEndType:
			if flowDepth == 0 {
				continue
			}
			for len(stack) > 1 && !stack[len(stack)-1].flow {
				pop()
			}
			lastClosed, lastClosedLevel = i, stack[len(stack)-1]
			pop()
			flowDepth--
		case token.CollectEntryType:
			if flowDepth > 0 {
				setFlowKey(0)
			}
		case token.SequenceEntryType:
			if flowDepth > 0 {
				continue
			}
			popBlock(tk.Position.Column, true)
			if err := push(yamlLevel{col: tk.Position.Column, seq: true, path: 8}, tk); err != nil {
				return err
			}
		case token.MappingKeyType: // "? key"
			explicit, explicitDepth = true, flowDepth
			keyLen := 1
			for j := i + 1; j < len(tokens); j++ {
				switch tokens[j].Type {
				case token.AnchorType:
					j++ // and its name
					continue
				case token.TagType, token.CommentType:
					continue
				}
				keyLen = len(tokens[j].Value)
				break
			}
			if flowDepth > 0 {
				setFlowKey(keyLen + 3)
				continue
			}
			popBlock(tk.Position.Column, false)
			if err := addKey(tk); err != nil {
				return err
			}
			if err := push(yamlLevel{col: tk.Position.Column, path: keyLen + 3}, tk); err != nil {
				return err
			}
		case token.MappingValueType: // the ":" after a key
			if explicit && flowDepth == explicitDepth {
				explicit = false // ": value" of the "? key" before
				continue
			}
			p := prevIdx(i)
			if p < 0 {
				continue
			}
			prev := tokens[p]
			if flowDepth == 0 && prev.Position.Line != tk.Position.Line {
				continue // malformed: the parser says so
			}
			keyLen, col, off := len(prev.Value), prev.Position.Column, prev.Position.Offset
			if p == lastClosed {
				// A flow collection as key: goccy names it by its bracket.
				keyLen, col, off = 1, lastClosedLevel.col, lastClosedLevel.off
			} else {
				st := tokens[keyStart(p)]
				col, off = st.Position.Column, st.Position.Offset
			}
			if tk.Position.Offset-off > yamlMaxSimpleKey {
				msg := "mapping values are not allowed in this context"
				if flowDepth > 0 {
					msg = "did not find expected ',' or '}'"
					if stack[len(stack)-1].seq {
						msg = "did not find expected ',' or ']'"
					}
				}
				return errorf(file, yamlTokenLine(tk), "YAML syntax error: %s (an implicit key is at most %d characters)", msg, yamlMaxSimpleKey)
			}
			if flowDepth > 0 {
				setFlowKey(keyLen + 3)
				continue
			}
			popBlock(col, false)
			if err := addKey(tk); err != nil {
				return err
			}
			if err := push(yamlLevel{col: col, path: keyLen + 3}, tk); err != nil {
				return err
			}
		}
	}
	return nil
}
