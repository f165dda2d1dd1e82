package ansible

import "errors"

// Errors shlexSplit reports, worded as Python's shlex words them.
var (
	errNoClosingQuotation = errors.New("No closing quotation")
	errNoEscapedCharacter = errors.New("No escaped character")
)

// shlexSplit splits one line as Python's shlex.split(line, comments=True)
// does in POSIX mode, which is how the ini plugin reads host lines: blanks
// (space, tab, CR, LF) separate words, quotes group and disappear, a
// backslash escapes the next character (inside double quotes only `\` and
// `"`), and `#` outside quotes ends the line even in the middle of a word.
//
// Every special character is ASCII, so the line is walked byte by byte;
// multi-byte UTF-8 sequences (and invalid bytes) pass through untouched.
func shlexSplit(s string) ([]string, error) {
	const (
		stWhite = iota
		stWord
		stSingle
		stDouble
		stEscape
	)
	var (
		out     []string
		tok     []byte
		quoted  bool
		state   = stWhite
		escBack = stWord // state to return to after an escape
	)
	emit := func() {
		out = append(out, string(tok))
		tok = tok[:0]
		quoted = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case stWhite, stWord:
			switch {
			case c == ' ' || c == '\t' || c == '\r' || c == '\n':
				if state == stWord || len(tok) > 0 || quoted {
					if len(tok) > 0 || quoted {
						emit()
					}
				}
				state = stWhite
			case c == '#':
				// The comment runs to the end of the (single) line.
				if len(tok) > 0 || quoted {
					emit()
				}
				return out, nil
			case c == '\\':
				escBack = stWord
				state = stEscape
			case c == '\'':
				state = stSingle
			case c == '"':
				state = stDouble
			default:
				tok = append(tok, c)
				state = stWord
			}
		case stSingle:
			quoted = true
			if c == '\'' {
				state = stWord
			} else {
				tok = append(tok, c)
			}
		case stDouble:
			quoted = true
			switch c {
			case '"':
				state = stWord
			case '\\':
				escBack = stDouble
				state = stEscape
			default:
				tok = append(tok, c)
			}
		case stEscape:
			if escBack == stDouble && c != '\\' && c != '"' {
				tok = append(tok, '\\')
			}
			tok = append(tok, c)
			state = escBack
		}
	}
	switch state {
	case stSingle, stDouble:
		return nil, errNoClosingQuotation
	case stEscape:
		return nil, errNoEscapedCharacter
	}
	if len(tok) > 0 || quoted {
		emit()
	}
	return out, nil
}
