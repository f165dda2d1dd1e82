package ansible

import (
	"fmt"
	"strings"

	"github.com/kook-project/kook/pkg/kook"
)

// UnparsedError is the error for a file no reading accepts, with what
// each reading found, in the order Ansible's inventory plugins try them.
// Ansible warns with every failure ("Failed to parse ... with yaml
// plugin: ...") and moves on, keeping in its inventory what the failed
// plugins had added before failing. kook refuses such a file; in an
// inventory directory, ReadOptions.SkipUnparsed makes it do what Ansible
// does instead.
type UnparsedError struct {
	File     string
	Failures []PluginFailure
	// InDir says the file is an entry of an inventory directory, which
	// Ansible skips with a warning and SkipUnparsed can skip too.
	InDir bool
	// Hint is said last (that the file looks like a script).
	Hint string
}

// scriptOutput names kook's reading of a .json file as what an inventory
// script printed: no Ansible plugin reads a data file so.
const scriptOutput = "script output"

// PluginFailure is what one reading of a file found.
type PluginFailure struct {
	// Plugin names the Ansible inventory plugin the reading reproduces
	// (yaml, ini), or "script output" for kook's reading of a .json file
	// as what a script printed.
	Plugin string
	// Err is what the reading found: an *Error naming the line where the
	// reader knows it.
	Err error
	// partial is what the plugin had added to Ansible's inventory before
	// failing (nil or empty: nothing).
	partial *kook.Inventory
}

func (e *UnparsedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: no inventory plugin can read this file:", e.File)
	for _, f := range e.Failures {
		what := f.Plugin + " plugin"
		if f.Plugin == scriptOutput {
			what = "as a script's output"
		}
		fmt.Fprintf(&b, "\n  * %s: %v", what, f.Err)
	}
	if e.Hint != "" {
		b.WriteString("\n" + e.Hint)
	}
	if !e.InDir {
		return b.String()
	}
	fmt.Fprintf(&b, "\nAnsible warns \"Unable to parse %s as an inventory source\" and skips it", e.File)
	if left := e.leftBehind(); left != "" {
		fmt.Fprintf(&b, ", keeping what its plugins read before failing (%s)", left)
	}
	switch {
	case e.reproducible():
		b.WriteString("; --skip-unparsed does the same")
	default:
		b.WriteString("; kook cannot do the same here (a failure above is kook's limit, not Ansible's)")
	}
	return b.String()
}

// Unwrap gives each reading's error, so errors.As finds the first *Error.
func (e *UnparsedError) Unwrap() []error {
	out := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		out[i] = f.Err
	}
	return out
}

// ansibleFailures are the failures Ansible's own plugins report.
func (e *UnparsedError) ansibleFailures() []PluginFailure {
	var out []PluginFailure
	for _, f := range e.Failures {
		if f.Plugin != scriptOutput {
			out = append(out, f)
		}
	}
	return out
}

// reproducible reports whether skipping the file as Ansible does is
// exact: every reading failed where Ansible's plugin fails too.
func (e *UnparsedError) reproducible() bool {
	for _, f := range e.Failures {
		if isBeyondKook(f.Err) {
			return false
		}
	}
	return true
}

// leftBehind names the hosts and groups the failed plugins leave in
// Ansible's inventory, for the message.
func (e *UnparsedError) leftBehind() string {
	var hosts, groups []string
	for _, f := range e.ansibleFailures() {
		if partialEmpty(f.partial) {
			continue
		}
		hosts = append(hosts, f.partial.HostNames()...)
		for _, g := range f.partial.GroupNames() {
			if g != kook.All && g != kook.Ungrouped {
				groups = append(groups, g)
			}
		}
	}
	var parts []string
	if len(hosts) > 0 {
		parts = append(parts, "hosts "+abbrevList(hosts))
	}
	if len(groups) > 0 {
		parts = append(parts, "groups "+abbrevList(groups))
	}
	return strings.Join(parts, ", ")
}

func abbrevList(names []string) string {
	if len(names) > 5 {
		return strings.Join(names[:5], ", ") + fmt.Sprintf(" and %d more", len(names)-5)
	}
	return strings.Join(names, ", ")
}

// skip does what Ansible does with a directory entry no plugin parses:
// warn with each plugin's failure and keep what the plugins had added to
// inv before failing.
func (e *UnparsedError) skip(inv *kook.Inventory, opts ReadOptions) error {
	for _, f := range e.ansibleFailures() {
		if opts.since219() {
			opts.Warn.warn("Failed to parse inventory with '%s' plugin: %v", f.Plugin, f.Err)
		} else {
			opts.Warn.warn("* Failed to parse %s with %s plugin: %v", e.File, f.Plugin, f.Err)
		}
	}
	opts.Warn.warn("Unable to parse %s as an inventory source", e.File)
	for _, f := range e.ansibleFailures() {
		if partialEmpty(f.partial) {
			continue
		}
		if err := inv.Merge(f.partial); err != nil {
			return &Error{File: e.File, Err: err}
		}
	}
	return nil
}
