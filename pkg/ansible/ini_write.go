package ansible

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/pysem"
	"github.com/kook-project/kook/pkg/kook"
)

// WriteINI writes inv as an INI file that Ansible's ini plugin (and
// ParseINI) reads back to the same reconciled inventory: the same hosts,
// groups, memberships, child links, vars with their types, and the same
// order of every group's hosts and children. inv is reconciled first (on a
// copy), so a raw parser result may be passed.
//
// Layout: every group is declared by a [g] section listing its hosts in
// order, each host's vars inline where it first appears; then [g:children]
// sections, written once all groups exist so links happen in listing order
// ([all:children] gives the order of the top-level groups); then [g:vars]
// sections. Strings that would read back unchanged are written bare, every
// other value as a Python literal.
//
// What INI cannot carry is refused with an error naming the host, group or
// var: names the host-pattern parser would rewrite (ranges, ports, spaces
// are fine but '[' is not, a trailing ':'), group names with whitespace,
// ':' or ']', a name used for both a host and a group, keys containing '=',
// NaN. As a last guard the text is parsed back and compared; WriteINI never
// writes a file that would read back differently, under either rule set.
// Output is deterministic.
//
// An INI file has one layer of vars: vars-file vars are folded in as
// kook.Inventory.OneLayer folds them (WriteDir keeps the layers apart).
func WriteINI(w io.Writer, inv *kook.Inventory) error {
	inv, _ = inv.OneLayer()
	inv = inv.Clone()
	inv.Reconcile()
	text, err := formatINI(inv)
	if err != nil {
		return err
	}
	// The file must read back the same whichever Ansible reads it.
	for _, rules := range []Rules{Rules214, Rules219} {
		back, err := ParseINI("written INI", text, ReadOptions{Rules: rules})
		if err != nil {
			return fmt.Errorf("INI cannot carry this inventory: %v", err)
		}
		back.Reconcile()
		if d := graphDifference(inv, back); d != "" {
			return fmt.Errorf("INI cannot carry this inventory (as %s read it): %s", rules, d)
		}
	}
	_, err = w.Write(text)
	return err
}

func formatINI(inv *kook.Inventory) ([]byte, error) {
	for _, h := range inv.HostNames() {
		if err := checkINIHostName(h); err != nil {
			return nil, fmt.Errorf("host %q: %v", h, err)
		}
		if _, both := inv.Groups[h]; both {
			return nil, fmt.Errorf("host %q: INI cannot hold a host and a group of the same name", h)
		}
	}
	for _, g := range inv.GroupNames() {
		if err := checkINIGroupName(g); err != nil {
			return nil, fmt.Errorf("group %q: %v", g, err)
		}
	}
	order := groupOrder(inv)

	var b bytes.Buffer
	b.WriteString("# Ansible inventory written by kook.\n")
	seen := make(map[string]bool, len(inv.Hosts))
	for _, name := range order {
		g := inv.Groups[name]
		if name == kook.All || (name == kook.Ungrouped && len(g.Hosts) == 0) {
			continue
		}
		fmt.Fprintf(&b, "\n[%s]\n", name)
		for _, h := range g.Hosts {
			if seen[h] {
				b.WriteString(shellQuote(h, true))
				b.WriteByte('\n')
				continue
			}
			seen[h] = true
			line, err := iniHostLine(h, inv.Hosts[h].Vars)
			if err != nil {
				return nil, err
			}
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	for _, name := range order {
		g := inv.Groups[name]
		var children []string
		for _, c := range g.Children {
			if name == kook.All && c == kook.Ungrouped {
				continue
			}
			children = append(children, c)
		}
		if len(children) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n[%s:children]\n", name)
		for _, c := range children {
			b.WriteString(c)
			b.WriteByte('\n')
		}
	}
	for _, name := range order {
		g := inv.Groups[name]
		if len(g.Vars) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n[%s:vars]\n", name)
		keys := sortedVarKeys(g.Vars)
		for _, k := range keys {
			if err := checkINIGroupVarKey(k); err != nil {
				return nil, fmt.Errorf("group %q: var %q: %v", name, k, err)
			}
			if p, ok := g.Vars[k].(int64); k == "ansible_group_priority" && (!ok || p == 1) {
				return nil, fmt.Errorf("group %q: var %q: Ansible keeps only an integer other than 1 here, not %s", name, k, kook.ShowJSON(g.Vars[k]))
			}
			text, err := iniValueText(g.Vars[k])
			if err != nil {
				return nil, fmt.Errorf("group %q: var %q: %v", name, k, err)
			}
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(text)
			b.WriteByte('\n')
		}
	}
	return b.Bytes(), nil
}

// groupOrder lists "all" and then every group in depth-first order along
// the children lists, the order a reader meets them in; groups not
// reachable from "all" (only possible with a cycle) follow, sorted.
func groupOrder(inv *kook.Inventory) []string {
	seen := make(map[string]bool, len(inv.Groups))
	order := make([]string, 0, len(inv.Groups))
	var visit func(string)
	visit = func(n string) {
		if seen[n] || inv.Groups[n] == nil {
			return
		}
		seen[n] = true
		order = append(order, n)
		for _, c := range inv.Groups[n].Children {
			visit(c)
		}
	}
	visit(kook.All)
	for _, n := range inv.GroupNames() {
		visit(n)
	}
	return order
}

func sortedVarKeys(v kook.Vars) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func iniHostLine(name string, vars kook.Vars) (string, error) {
	var b strings.Builder
	b.WriteString(shellQuote(name, true))
	for _, k := range sortedVarKeys(vars) {
		if err := checkINIHostVarKey(k); err != nil {
			return "", fmt.Errorf("host %q: var %q: %v", name, k, err)
		}
		text, err := iniValueText(vars[k])
		if err != nil {
			return "", fmt.Errorf("host %q: var %q: %v", name, k, err)
		}
		b.WriteByte(' ')
		b.WriteString(shellQuote(k+"="+text, false))
	}
	return b.String(), nil
}

// iniValueText is how v is spelled so that ast.literal_eval (or its
// failure) gives v back: a string that no literal could be read into is
// written as is, anything else as a Python literal.
func iniValueText(v any) (string, error) {
	if s, ok := v.(string); ok && isPlainINIString(s) {
		return s, nil
	}
	return pyLiteral(v)
}

func isPlainINIString(s string) bool {
	if !utf8.ValidString(s) || hasLineBreak(s) || pysem.Strip(s) != s {
		return false
	}
	v, err := iniValue(s)
	if err != nil {
		return false
	}
	back, ok := v.(string)
	return ok && back == s
}

// hasLineBreak reports whether s holds a character Python's splitlines
// ends a line at.
func hasLineBreak(s string) bool {
	return strings.IndexFunc(s, pysem.IsLineBreak) >= 0
}

// shellQuote quotes s so that shlex.split gives it back as one word; words
// of plain printable ASCII stay bare. first marks the word that starts a
// line, which must not look like a comment.
func shellQuote(s string, first bool) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`'"\#`, c) >= 0 || (first && i == 0 && c == ';') {
			plain = false
		}
	}
	if plain {
		return s
	}
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

func checkINIHostName(h string) error {
	switch {
	case h == "":
		return errors.New("INI cannot hold an empty host name")
	case !utf8.ValidString(h):
		return errors.New("host name is not valid UTF-8")
	case hasLineBreak(h):
		return errors.New("INI cannot hold a line break in a host name")
	case pysem.Strip(h) == "---":
		return errors.New("INI reads '---' as a sign of YAML")
	case strings.HasSuffix(pysem.Strip(h), ":"):
		return errors.New("INI reads a trailing ':' as an empty port")
	}
	names, _, hasPort, err := ExpandHostPattern(h)
	if err != nil || hasPort || len(names) != 1 || names[0] != h {
		return errors.New("INI would read this name as a host pattern (range or port)")
	}
	return nil
}

func checkINIGroupName(g string) error {
	if !utf8.ValidString(g) {
		return errors.New("group name is not valid UTF-8")
	}
	if name, tag, ok := matchSection("[" + g + "]"); !ok || name != g || tag != "" {
		return errors.New("INI group names cannot be empty or hold whitespace, ':' or ']'")
	}
	if g == kook.All {
		return nil
	}
	if name, ok := matchGroupName(g); !ok || name != g || g[0] == '#' || g[0] == ';' {
		return errors.New("INI cannot list this group name under [parent:children]")
	}
	return nil
}

func checkINIHostVarKey(k string) error {
	switch {
	case strings.Contains(k, "="):
		return errors.New("INI cannot hold '=' in a var name")
	case !utf8.ValidString(k):
		return errors.New("var name is not valid UTF-8")
	case hasLineBreak(k):
		return errors.New("INI cannot hold a line break in a var name")
	}
	return nil
}

func checkINIGroupVarKey(k string) error {
	if err := checkINIHostVarKey(k); err != nil {
		return err
	}
	if pysem.Strip(k) != k {
		return errors.New("INI strips surrounding whitespace from group var names")
	}
	if k != "" && strings.IndexByte("#;[", k[0]) >= 0 {
		return errors.New("INI reads a group var line starting with '#', ';' or '[' as something else")
	}
	return nil
}

// graphDifference names the first way in which two reconciled inventories
// differ, or returns "".
func graphDifference(want, got *kook.Inventory) string {
	for _, h := range want.HostNames() {
		gh, ok := got.Hosts[h]
		if !ok {
			return fmt.Sprintf("host %q would be lost", h)
		}
		wv := want.Hosts[h].Vars
		for _, k := range sortedVarKeys(wv) {
			if gv, ok := gh.Vars[k]; !ok || !kook.EqualValues(wv[k], gv) {
				return fmt.Sprintf("host %q: var %q would read back differently", h, k)
			}
		}
		if len(gh.Vars) != len(wv) {
			return fmt.Sprintf("host %q would gain vars", h)
		}
	}
	if len(got.Hosts) != len(want.Hosts) {
		return "extra hosts would appear"
	}
	for _, g := range want.GroupNames() {
		gg, ok := got.Groups[g]
		if !ok {
			return fmt.Sprintf("group %q would be lost", g)
		}
		wg := want.Groups[g]
		for _, k := range sortedVarKeys(wg.Vars) {
			if gv, ok := gg.Vars[k]; !ok || !kook.EqualValues(wg.Vars[k], gv) {
				return fmt.Sprintf("group %q: var %q would read back differently", g, k)
			}
		}
		if len(gg.Vars) != len(wg.Vars) {
			return fmt.Sprintf("group %q would gain vars", g)
		}
		if !equalStrings(wg.Hosts, gg.Hosts) {
			return fmt.Sprintf("group %q: hosts would read back as %q", g, gg.Hosts)
		}
		if !equalStrings(wg.Children, gg.Children) {
			return fmt.Sprintf("group %q: children would read back as %q", g, gg.Children)
		}
	}
	if len(got.Groups) != len(want.Groups) {
		return "extra groups would appear"
	}
	return ""
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
