package ansible

import (
	"strings"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/pysem"
	"github.com/kook-project/kook/pkg/kook"
)

// warnInvalidGroupChars is Ansible's warning (group.py to_safe_group_name
// with TRANSFORM_INVALID_GROUP_CHARS=never), printed once per run.
const warnInvalidGroupChars = "Invalid characters were found in group names but not replaced, use -vvvv to see details"

// ParseINI reads an INI inventory as ansible-core 2.14's ini plugin does
// (plugins/inventory/ini.py), quirks included:
//
//   - lines are split as Python's str.splitlines splits them and stripped;
//     blank lines and lines starting with '#' or ';' are skipped;
//   - hosts before the first section header belong to "ungrouped";
//   - [g] and [g:children] declare g; a [g:vars] or a child never declared
//     anywhere is an error reported at the line that first mentioned it;
//   - host lines are split like shlex.split(line, comments=True); the first
//     word is a host pattern (ExpandHostPattern, plus the INI-only refusal
//     of '---' and of a trailing ':'), the others key=value host vars;
//   - :vars lines are split at the first '=' with no quoting rules;
//   - every value goes through Python's ast.literal_eval and keeps its raw
//     text when that fails, so 1 is an int, 'x' a string, [1] a list.
//
// It returns the raw, unreconciled inventory built in Ansible's order, or
// an *Error naming file and line. Literals Ansible cannot use (under 2.14
// rules sets and complex numbers; under both unhashable keys, integers
// beyond int64, ...) are errors too; 2.19 rules keep what 2.19 keeps
// (iniValueRules), and so is listing "all" as a child, on which Ansible's reconcile
// step fails. Group names Ansible considers invalid are kept and warned
// about once. Error lines are given even where Ansible's message has none.
func ParseINI(file string, data []byte, opts ReadOptions) (*kook.Inventory, error) {
	inv, err := parseINIPartial(file, data, opts)
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// parseINIPartial is ParseINI that also returns, on error, what the ini
// plugin had added to Ansible's inventory before failing: Ansible keeps
// it when it skips a file no plugin parses.
func parseINIPartial(file string, data []byte, opts ReadOptions) (*kook.Inventory, error) {
	p := &iniParser{
		file:    file,
		inv:     kook.New(),
		warn:    opts.Warn,
		rules:   opts.rules(),
		pending: map[string]*iniPending{},
	}
	return p.inv, p.parse(data)
}

type iniPending struct {
	line    int
	vars    bool // [g:vars] waiting for [g]; else a child waiting for [g]
	parents []string
}

type iniParser struct {
	file  string
	inv   *kook.Inventory
	warn  Warner
	rules Rules
	line  int

	warned       bool
	pending      map[string]*iniPending
	pendingOrder []string
	groupOrder   []string // groups in creation order
	allLinkLine  int      // first line that made "all" a child
	rangeHosts   int      // names host ranges produced so far, against MaxRangeHosts
}

func (p *iniParser) errorf(format string, args ...any) error {
	return errorf(p.file, p.line, format, args...)
}

// wrap places err at the current line, keeping it for errors.Is.
func (p *iniParser) wrap(err error) error {
	return &Error{File: p.file, Line: p.line, Err: err}
}

func (p *iniParser) parse(data []byte) error {
	group, state := kook.Ungrouped, "hosts"
	err := pysem.SplitLines(data, func(raw string) error {
		p.line++
		line := pysem.Strip(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			return nil
		}
		if name, tag, ok := matchSection(line); ok {
			if !utf8.ValidString(name) || !utf8.ValidString(tag) {
				return p.errorf("section header is not valid UTF-8")
			}
			p.checkGroupName(name)
			group, state = name, tag
			if state == "" {
				state = "hosts"
			}
			if state != "hosts" && state != "children" && state != "vars" {
				return p.errorf("Section [%s:%s] has unknown type: %s", name, tag, tag)
			}
			return p.declare(group, state)
		}
		if line[0] == '[' && line[len(line)-1] == ']' {
			return p.errorf("Invalid section entry: '%s'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters", line)
		}
		switch state {
		case "hosts":
			return p.hostLine(group, line)
		case "vars":
			return p.varsLine(group, line)
		default:
			return p.childLine(group, line)
		}
	})
	if err != nil {
		return err
	}
	for _, name := range p.pendingOrder {
		d, ok := p.pending[name]
		if !ok {
			continue
		}
		if d.vars {
			return errorf(p.file, d.line, "Section [%s:vars] not valid for undefined group: %s", name, name)
		}
		return errorf(p.file, d.line, "Section [%s:children] includes undefined group: %s", d.parents[len(d.parents)-1], name)
	}
	return p.checkAllIsChild()
}

// checkAllIsChild reports what Ansible's reconcile_inventory fails on when
// "all" was listed as a child: the first parentless group, in creation
// order, that has "all" below it cannot itself be put under "all".
func (p *iniParser) checkAllIsChild() error {
	if p.allLinkLine == 0 {
		return nil
	}
	parents := p.inv.Parents()
	for _, g := range append([]string{kook.Ungrouped}, p.groupOrder...) {
		if len(parents[g]) == 0 && p.reaches(g, kook.All, map[string]bool{}) {
			return errorf(p.file, p.allLinkLine, "Adding group '%s' as child to 'all' creates a recursive dependency loop.", g)
		}
	}
	return nil
}

func (p *iniParser) reaches(from, to string, seen map[string]bool) bool {
	if from == to {
		return true
	}
	if seen[from] {
		return false
	}
	seen[from] = true
	for _, c := range p.inv.Groups[from].Children {
		if p.reaches(c, to, seen) {
			return true
		}
	}
	return false
}

// matchSection is ini.py's section pattern
// `^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$`.
func matchSection(line string) (name, tag string, ok bool) {
	if line[0] != '[' {
		return "", "", false
	}
	i := 1
	for i < len(line) {
		r, n := utf8.DecodeRuneInString(line[i:])
		if r == ':' || r == ']' || pysem.IsSpace(r) {
			break
		}
		i += n
	}
	if i == 1 || i >= len(line) {
		return "", "", false
	}
	name = line[1:i]
	if line[i] == ':' {
		j := i + 1
		for j < len(line) {
			r, n := utf8.DecodeRuneInString(line[j:])
			if !pysem.IsWord(r) {
				break
			}
			j += n
		}
		if j == i+1 {
			return "", "", false
		}
		tag = line[i+1 : j]
		i = j
	}
	if i >= len(line) || line[i] != ']' {
		return "", "", false
	}
	rest := strings.TrimLeftFunc(line[i+1:], pysem.IsSpace)
	if rest != "" && rest[0] != '#' {
		return "", "", false
	}
	return name, tag, true
}

// matchGroupName is ini.py's children-line pattern
// `^([^:\]\s]+)\s*(?:#.*)?$`, backtracking included: in "a#b c" the name
// is "a" and the rest a comment.
func matchGroupName(line string) (string, bool) {
	i := 0
	for i < len(line) {
		r, n := utf8.DecodeRuneInString(line[i:])
		if r == ':' || r == ']' || pysem.IsSpace(r) {
			break
		}
		i += n
	}
	if i == 0 {
		return "", false
	}
	rest := strings.TrimLeftFunc(line[i:], pysem.IsSpace)
	if rest == "" || rest[0] == '#' {
		return line[:i], true
	}
	if k := strings.LastIndexByte(line[1:i], '#'); k >= 0 {
		return line[:k+1], true
	}
	return "", false
}

// checkGroupName warns, once, about a name matching Ansible's
// INVALID_VARIABLE_NAMES `^[\d\W]|[^\w]`.
func (p *iniParser) checkGroupName(name string) {
	if p.warned {
		return
	}
	if pysem.InvalidVariableName(name) {
		p.warned = true
		p.warn.warn("%s", warnInvalidGroupChars)
	}
}

func (p *iniParser) addPending(name string, d *iniPending) {
	p.pending[name] = d
	p.pendingOrder = append(p.pendingOrder, name)
}

// declare handles a section header for group in state.
func (p *iniParser) declare(group, state string) error {
	if _, exists := p.inv.Groups[group]; !exists {
		if _, pend := p.pending[group]; state == "vars" && !pend {
			p.addPending(group, &iniPending{line: p.line, vars: true})
		}
		p.inv.AddGroup(group)
		p.groupOrder = append(p.groupOrder, group)
	}
	if d, pend := p.pending[group]; pend && state != "vars" {
		if d.vars {
			delete(p.pending, group)
		} else {
			return p.addPendingChildren(group)
		}
	}
	return nil
}

// addPendingChildren is ini.py's _add_pending_children.
func (p *iniParser) addPendingChildren(group string) error {
	d := p.pending[group]
	for _, parent := range d.parents {
		if err := p.link(parent, group); err != nil {
			return err
		}
		if pd, ok := p.pending[parent]; ok && !pd.vars && parent != group {
			if err := p.addPendingChildren(parent); err != nil {
				return err
			}
		}
	}
	delete(p.pending, group)
	return nil
}

func (p *iniParser) link(parent, child string) error {
	if parent == child {
		return p.errorf("can't add group to itself")
	}
	if child == kook.All && p.allLinkLine == 0 {
		p.allLinkLine = p.line
	}
	if err := p.inv.AddChild(parent, child); err != nil {
		return p.wrap(err)
	}
	return nil
}

func (p *iniParser) childLine(group, line string) error {
	child, ok := matchGroupName(line)
	if !ok {
		return p.errorf("Expected group name, got: %s", line)
	}
	if !utf8.ValidString(child) {
		return p.errorf("group name is not valid UTF-8")
	}
	if _, exists := p.inv.Groups[child]; exists {
		return p.link(group, child)
	}
	if d, pend := p.pending[child]; pend {
		d.parents = append(d.parents, group)
		return nil
	}
	p.addPending(child, &iniPending{line: p.line, parents: []string{group}})
	return nil
}

func (p *iniParser) varsLine(group, line string) error {
	k, v, ok := strings.Cut(line, "=")
	if !ok {
		return p.errorf("Expected key=value, got: %s", line)
	}
	if !utf8.ValidString(line) {
		return p.errorf("variable definition is not valid UTF-8")
	}
	val, err := iniValueRules(pysem.Strip(v), p.rules)
	if err != nil {
		return p.wrap(err)
	}
	return p.setVar(group, pysem.Strip(k), val)
}

func (p *iniParser) hostLine(group, line string) error {
	tokens, err := shlexSplit(line)
	if err != nil {
		return p.errorf("Error parsing host definition '%s': %v", line, err)
	}
	for _, t := range tokens {
		if !utf8.ValidString(t) {
			return p.errorf("host definition is not valid UTF-8")
		}
	}
	if len(tokens) == 0 {
		return p.errorf("list index out of range")
	}
	pattern := tokens[0]
	names, port, hasPort, err := ExpandHostPattern(pattern)
	if err != nil {
		return p.wrap(err)
	}
	if strings.Contains(pattern, "[") {
		// Each pattern is bounded by ExpandHostPattern; the file as a whole
		// is bounded here, or a few lines of ranges would make billions.
		if p.rangeHosts += len(names); p.rangeHosts > MaxRangeHosts {
			return limitErrorf(p.file, p.line, "host ranges in this file expand to more than %d hosts in all", MaxRangeHosts)
		}
	}
	if !hasPort && strings.HasSuffix(pysem.Strip(pattern), ":") {
		return p.errorf("Invalid host pattern '%s' supplied, ending in ':' is not allowed, this character is reserved to provide a port.", pattern)
	}
	for _, n := range names {
		if pysem.Strip(n) == "---" {
			return p.errorf("Invalid host pattern '%s' supplied, '---' is normally a sign this is a YAML file.", pattern)
		}
	}
	type kv struct {
		k string
		v any
	}
	vars := make([]kv, 0, len(tokens)-1)
	index := map[string]int{}
	for _, t := range tokens[1:] {
		k, raw, ok := strings.Cut(t, "=")
		if !ok {
			return p.errorf("Expected key=value host variable assignment, got: %s", t)
		}
		v, err := iniValueRules(raw, p.rules)
		if err != nil {
			return p.wrap(err)
		}
		if i, dup := index[k]; dup {
			vars[i].v = v // a Python dict: the last value, the first position
		} else {
			index[k] = len(vars)
			vars = append(vars, kv{k, v})
		}
	}
	for _, n := range names {
		if n == "" {
			return p.errorf("Invalid empty host name provided: ")
		}
		_, existed := p.inv.Hosts[n]
		p.inv.AddMember(group, n)
		if !existed && hasPort && port != 0 {
			p.inv.Hosts[n].Vars["ansible_port"] = int64(port)
		}
		for _, e := range vars {
			if err := p.setVar(n, e.k, kook.CopyValue(e.v)); err != nil {
				return err
			}
		}
	}
	return nil
}

// setVar is InventoryData.set_variable: a name that is a group takes the
// var even when a host was meant (Ansible looks up groups first).
func (p *iniParser) setVar(entity, key string, value any) error {
	if g, ok := p.inv.Groups[entity]; ok {
		if key == "ansible_group_priority" {
			prio, err := kook.PriorityOf(value)
			if err != nil {
				return p.wrap(err)
			}
			if prio == 1 {
				delete(g.Vars, key)
			} else {
				g.Vars[key] = prio
			}
			return nil
		}
		g.Vars[key] = value
		return nil
	}
	p.inv.Hosts[entity].Vars[key] = value
	return nil
}
