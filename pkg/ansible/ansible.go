// Package ansible translates between Ansible's inventory formats and the
// kook graph: INI, YAML, the script-protocol JSON (which is also what
// `ansible-inventory --list [--export]` prints), inventory directories with
// group_vars/ and host_vars/, and the original Python Kook's dump archive.
//
// Readers follow ansible-core exactly, quirks included, under the rules of
// the release ReadOptions.Rules names (2.14, which 2.15 to 2.18 match, or
// 2.19 and later; see rules.go); they report
// bad input as *Error ("file:line: what is wrong") and never return half an
// inventory. Writers are deterministic byte for byte.
//
// Parsers return a raw inventory: hosts and groups as the source declared
// them, in creation order, not yet reconciled. Read merges several sources
// the way Ansible does and reconciles the result.
package ansible

import (
	"errors"
	"fmt"

	"github.com/kook-project/kook/internal/pysem"
)

// Format names an inventory format.
type Format string

// The formats kook reads; the first three are also written.
const (
	FormatINI     Format = "ini"
	FormatYAML    Format = "yaml"
	FormatJSON    Format = "json"    // script protocol, ansible-inventory --list [--export]
	FormatArchive Format = "archive" // the original Python Kook's `kook dump`
)

// Warner receives non-fatal findings, one message per call, worded as
// Ansible words its own warnings. A nil Warner discards them.
type Warner func(msg string)

func (w Warner) warn(format string, args ...any) {
	if w != nil {
		w(fmt.Sprintf(format, args...))
	}
}

// Error is bad input in an inventory source: the file, the 1-based line
// (0 when the problem belongs to no single line) and what is wrong.
type Error struct {
	File string
	Line int
	Err  error
}

func (e *Error) Error() string {
	switch {
	case e.File == "" && e.Line == 0:
		return e.Err.Error()
	case e.Line == 0:
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	default:
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
}

func (e *Error) Unwrap() error { return e.Err }

// ErrBeyondKook is wrapped by the errors for input Ansible reads but kook
// cannot reproduce: past the limits kook sets against hostile input, or
// values kook cannot hold. Such a file is never skipped as unparsed
// (ReadOptions.SkipUnparsed), since Ansible parses it.
var ErrBeyondKook = errors.New("beyond what kook reproduces")

type beyondKook struct{ error }

func (e beyondKook) Is(target error) bool { return target == ErrBeyondKook }
func (e beyondKook) Unwrap() error        { return e.error }

// limitErrorf is errorf for an ErrBeyondKook error.
func limitErrorf(file string, line int, format string, args ...any) error {
	return &Error{File: file, Line: line, Err: beyondKook{fmt.Errorf(format, args...)}}
}

// isBeyondKook reports an error that is kook's limit, not Ansible's
// failure: integers beyond int64 included.
func isBeyondKook(err error) bool {
	return errors.Is(err, ErrBeyondKook) || errors.Is(err, pysem.ErrRange)
}

// errorf builds an *Error.
func errorf(file string, line int, format string, args ...any) error {
	return &Error{File: file, Line: line, Err: fmt.Errorf(format, args...)}
}
