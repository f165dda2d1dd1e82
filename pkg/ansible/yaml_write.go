package ansible

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/kook-project/kook/pkg/kook"
)

// WriteYAML writes a reconciled inventory as a YAML inventory file that
// Ansible's yaml plugin (PyYAML, YAML 1.1) reads back to the same graph:
// the same hosts, groups, memberships and vars with their types, and the
// same order of every group's hosts and children and of all's children.
// The output is deterministic: vars keys are sorted, groups come in the
// order a walk from "all" meets them.
//
// Layout: "all" first, listing its vars and its children in order; then
// every other group that has something to say as a top-level key with its
// hosts (block style, a host's vars where it first appears), vars and
// children (linked by name, defined at top level). Strings YAML 1.1 would read as something
// else are quoted, floats always carry a dot or are .inf/.nan, and the
// maps Ansible prints for !unsafe and !vault values are written with those
// tags.
//
// It refuses, naming the culprit, a host name Ansible would read as a host
// pattern meaning something else (a range, a trailing :port, an empty
// name), an empty group name, and an ansible_group_priority group var
// that is not an integer.
//
// A YAML inventory has one layer of vars: vars-file vars are folded in as
// kook.Inventory.OneLayer folds them (WriteDir keeps the layers apart).
func WriteYAML(w io.Writer, inv *kook.Inventory) error {
	inv, _ = inv.OneLayer()
	yw := &yamlWriter{inv: inv, hostDone: map[string]bool{}}
	if err := yw.inventory(); err != nil {
		return err
	}
	_, err := w.Write(yw.buf.Bytes())
	return err
}

type yamlWriter struct {
	inv      *kook.Inventory
	buf      bytes.Buffer
	hostDone map[string]bool // hosts whose vars were written
}

func (yw *yamlWriter) inventory() error {
	for _, name := range yw.inv.HostNames() {
		if err := yamlCheckHostName(name); err != nil {
			return err
		}
	}
	for _, name := range yw.inv.GroupNames() {
		if name == "" {
			return fmt.Errorf("cannot write a group with an empty name as YAML")
		}
	}
	order := yw.groupOrder()
	all := yw.inv.Groups[kook.All]
	// Hosts that are in "all" only or in no group (an unreconciled graph)
	// go in all's hosts, where Reconcile puts them in ungrouped again.
	inGroup := map[string]bool{}
	for name, g := range yw.inv.Groups {
		if name == kook.All {
			continue
		}
		for _, h := range g.Hosts {
			inGroup[h] = true
		}
	}
	var allHosts []string
	if all != nil {
		allHosts = append(allHosts, all.Hosts...)
	}
	for _, h := range yw.inv.HostNames() {
		if !inGroup[h] && (all == nil || !all.HasHost(h)) {
			allHosts = append(allHosts, h)
		}
	}
	yw.buf.WriteString("all:\n")
	var allVars kook.Vars
	var allChildren []string
	if all != nil {
		allVars, allChildren = all.Vars, all.Children
	}
	if err := yw.groupBody(kook.All, allHosts, allVars, allChildren, "  "); err != nil {
		return err
	}
	for _, name := range order {
		g := yw.inv.Groups[name]
		if name == kook.All || name == "plugin" || (len(g.Hosts) == 0 && len(g.Vars) == 0 && len(g.Children) == 0) {
			continue
		}
		yw.buf.WriteString(yamlScalarString(name))
		yw.buf.WriteString(":\n")
		if err := yw.groupBody(name, g.Hosts, g.Vars, g.Children, "  "); err != nil {
			return err
		}
	}
	return nil
}

// groupOrder is every group in the order a preorder walk from "all"
// through children meets them, then any the walk missed, sorted.
func (yw *yamlWriter) groupOrder() []string {
	var order []string
	seen := map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		order = append(order, name)
		if g := yw.inv.Groups[name]; g != nil {
			for _, c := range g.Children {
				walk(c)
			}
		}
	}
	walk(kook.All)
	for _, name := range yw.inv.GroupNames() {
		walk(name)
	}
	return order
}

// groupBody writes a group's hosts, vars and children sections. A child
// named "plugin" is defined in place: as a top-level key with a value it
// would make Ansible take the file for a plugin configuration.
func (yw *yamlWriter) groupBody(name string, hosts []string, vars kook.Vars, children []string, indent string) error {
	if len(hosts) > 0 {
		// Block style, as Ansible's own YAML inventories are written.
		yw.buf.WriteString(indent + "hosts:\n")
		for _, h := range hosts {
			yw.buf.WriteString(indent + "  " + yamlScalarString(h) + ":")
			hv := yw.inv.Hosts[h]
			if yw.hostDone[h] || hv == nil || len(hv.Vars) == 0 {
				yw.buf.WriteByte('\n')
			} else {
				yw.writeMap(map[string]any(hv.Vars), indent+"    ")
			}
			yw.hostDone[h] = true
		}
	}
	if len(vars) > 0 {
		if p, ok := vars["ansible_group_priority"]; ok {
			if _, isInt := p.(int64); !isInt {
				return fmt.Errorf("group %s: ansible_group_priority %s is not an integer and cannot be written as YAML",
					name, kook.ShowJSON(p))
			}
		}
		yw.buf.WriteString(indent + "vars:")
		yw.writeMap(map[string]any(vars), indent+"  ")
	}
	if len(children) > 0 {
		yw.buf.WriteString(indent + "children:\n")
		for _, c := range children {
			yw.buf.WriteString(indent + "  " + yamlScalarString(c) + ":")
			cg := yw.inv.Groups[c]
			if c == "plugin" && cg != nil && !yw.hostDone["\x00group:plugin"] && (len(cg.Hosts) > 0 || len(cg.Vars) > 0 || len(cg.Children) > 0) {
				yw.hostDone["\x00group:plugin"] = true
				yw.buf.WriteString("\n")
				if err := yw.groupBody(c, cg.Hosts, cg.Vars, cg.Children, indent+"    "); err != nil {
					return err
				}
				continue
			}
			yw.buf.WriteString(" {}\n")
		}
	}
	return nil
}

// yamlCheckHostName refuses names that, written as a host key, Ansible
// would read as another host, several hosts or a host and a port.
func yamlCheckHostName(name string) error {
	if name == "" {
		return fmt.Errorf("cannot write a host with an empty name as YAML")
	}
	names, _, hasPort, err := ExpandHostPattern(name)
	if err != nil || hasPort || len(names) != 1 || names[0] != name {
		return fmt.Errorf("host %q cannot be written as YAML: Ansible reads that key as a host pattern, not as this name", name)
	}
	return nil
}

// writeMap writes a mapping after "key:" — inline when empty, else as an
// indented block with sorted keys. Maps standing for !unsafe and !vault
// values are written as those tags.
func (yw *yamlWriter) writeMap(m map[string]any, indent string) {
	if len(m) == 0 {
		yw.buf.WriteString(" {}\n")
		return
	}
	yw.buf.WriteString("\n")
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		yw.buf.WriteString(indent + yamlScalarString(k) + ":")
		yw.writeValue(m[k], indent+"  ")
	}
}

// writeValue writes a value after "key:" or "-", ending the line.
func (yw *yamlWriter) writeValue(v any, indent string) {
	if s, ok := yamlTaggedScalar(v); ok {
		yw.buf.WriteString(" " + s + "\n")
		return
	}
	switch x := v.(type) {
	case map[string]any:
		yw.writeMap(x, indent)
	case kook.Vars:
		yw.writeMap(map[string]any(x), indent)
	case []any:
		if len(x) == 0 {
			yw.buf.WriteString(" []\n")
			return
		}
		yw.buf.WriteString("\n")
		for _, e := range x {
			yw.buf.WriteString(indent + "-")
			yw.writeItem(e, indent+"  ")
		}
	default:
		yw.buf.WriteString(" " + yamlScalar(v) + "\n")
	}
}

// writeItem writes a sequence item after its "-": a non-empty mapping
// starts on the dash's line.
func (yw *yamlWriter) writeItem(v any, indent string) {
	m, ok := v.(map[string]any)
	if _, tagged := yamlTaggedScalar(v); !ok || len(m) == 0 || tagged {
		yw.writeValue(v, indent)
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			yw.buf.WriteString(" ")
		} else {
			yw.buf.WriteString(indent)
		}
		yw.buf.WriteString(yamlScalarString(k) + ":")
		yw.writeValue(m[k], indent+"  ")
	}
}

// yamlTaggedScalar recognises the maps Ansible prints for unsafe and
// vaulted strings and writes them back with their tags.
func yamlTaggedScalar(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	if s, ok := m["__ansible_unsafe"].(string); ok {
		return "!unsafe " + yamlQuote(s), true
	}
	if s, ok := m["__ansible_vault"].(string); ok {
		return "!vault " + yamlQuote(s), true
	}
	return "", false
}

// yamlScalar writes a scalar value so that PyYAML reads back the same
// value and type.
func yamlScalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return yamlFloatString(x)
	case string:
		return yamlScalarString(x)
	}
	n, err := kook.NormalizeValue(v)
	if err != nil {
		return yamlQuote(fmt.Sprint(v))
	}
	return yamlScalar(n)
}

// yamlFloatString writes a float YAML 1.1 reads as a float: PyYAML wants a
// dot in the mantissa and a sign in the exponent.
func yamlFloatString(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := string(kook.AppendFloat(nil, f))
	if mant, exp, ok := strings.Cut(s, "e"); ok && !strings.Contains(mant, ".") {
		s = mant + ".0e" + exp
	}
	return s
}

// yamlScalarString writes a string plain when that is safe, else double
// quoted.
func yamlScalarString(s string) string {
	if yamlPlainSafe(s) {
		return s
	}
	return yamlQuote(s)
}

// yamlPlainSafe is deliberately narrow: characters that mean nothing to
// either parser, and text that YAML 1.1 resolves to a string.
func yamlPlainSafe(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case c == '.' || c == '/' || c == '-' || c == '+' || c == '@':
			if i == 0 && c != '.' && c != '/' {
				return false
			}
		default:
			return false
		}
	}
	return !yamlNeedsQuotes(s)
}

// yamlQuote writes a double-quoted YAML scalar. Everything PyYAML's reader
// refuses raw or would fold as a line break is escaped.
func yamlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || (r >= 0x7f && r <= 0x9f):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
