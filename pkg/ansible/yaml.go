package ansible

import (
	"errors"
	"strings"

	"github.com/kook-project/kook/internal/pysem"
	"github.com/kook-project/kook/pkg/kook"
)

// ErrNotYAMLInventory is wrapped by the *Error ParseYAML returns for a
// document Ansible's yaml plugin declines rather than rejects: an empty
// document, a top level that is not a mapping, or a plugin configuration
// (a top-level "plugin" key). Ansible then hands the file to the ini
// plugin, so a source reader should fall back to INI on it. The message is
// Ansible's own.
var ErrNotYAMLInventory = errors.New("not a YAML inventory")

type notYAMLInventory struct{ msg string }

func (e notYAMLInventory) Error() string        { return e.msg }
func (e notYAMLInventory) Is(target error) bool { return target == ErrNotYAMLInventory }

// ParseYAML reads a YAML inventory as ansible-core 2.14's yaml plugin does
// (plugins/inventory/yaml.py on PyYAML's YAML 1.1): every top-level key is
// a group; a group holds "hosts", "children" and "vars" sections, children
// are groups defined in place, host keys are host patterns (ranges,
// name:port). Values keep their YAML 1.1 types. Warnings are worded as
// Ansible words them. The inventory returned is raw (not reconciled),
// built in document order; on error it is nil and the error an *Error
// naming the line.
func ParseYAML(file string, data []byte, opts ReadOptions) (*kook.Inventory, error) {
	inv, err := parseYAMLPartial(file, data, opts)
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// parseYAMLPartial is ParseYAML that also returns, on error, what the
// yaml plugin had added to Ansible's inventory before failing (nil when
// it failed before adding anything).
func parseYAMLPartial(file string, data []byte, opts ReadOptions) (*kook.Inventory, error) {
	warn := opts.Warn
	l := &yamlLoader{file: file, warn: warn}
	doc, err := l.load(data)
	if err != nil {
		return nil, err
	}
	line := 0
	if doc != nil {
		line = doc.line
	}
	switch {
	case !yTruthy(doc):
		return nil, &Error{File: file, Line: line, Err: notYAMLInventory{"Parsed empty YAML file"}}
	case doc.kind != yoMap:
		return nil, &Error{File: file, Line: line, Err: notYAMLInventory{
			"YAML inventory has invalid structure, it should be a dictionary, got: " + yTypeString(doc)}}
	}
	if p, ok := doc.get("plugin"); ok && yTruthy(p) {
		return nil, &Error{File: file, Line: p.line, Err: notYAMLInventory{"Plugin configuration YAML file, not YAML inventory"}}
	}
	yp := &yamlInventoryParser{yamlLoader: l, inv: kook.New()}
	for i, k := range doc.keys {
		if _, err := yp.group(k, doc.vals[i]); err != nil {
			return yp.inv, err
		}
	}
	return yp.inv, nil
}

type yamlInventoryParser struct {
	*yamlLoader
	inv        *kook.Inventory
	rangeHosts int // names host ranges produced so far, against MaxRangeHosts
	depth      int // groups being defined, one inside the other
}

// group is yaml.py's _parse_group. It returns the name the parent links,
// which for a skipped definition is str(key), as in Ansible.
func (p *yamlInventoryParser) group(key, data *yobj) (string, error) {
	// Aliases let a document define the same children again and again
	// (each level's children being the previous level ten times over):
	// every definition visited spends the expansion budget.
	p.budget--
	if p.budget < 0 {
		return "", limitErrorf(p.file, key.line, "YAML document expands to more than %d values beyond its own size (alias bomb?)", yamlMaxExpansion)
	}
	// A group may hold itself through an alias ("g: &g {children: {h: *g}}");
	// Python recurses until its recursion limit, and so fails.
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > yamlMaxDepth {
		return "", errorf(p.file, key.line, "maximum recursion depth exceeded: groups nested deeper than %d levels (recursive alias?)", yamlMaxDepth)
	}
	if data.kind != yoMap && data.kind != yoNone {
		p.warn.warn("Skipping '%s' as this is not a valid group definition", yStr(key))
		return yStr(key), nil
	}
	name, err := p.addGroup(key)
	if err != nil {
		return "", err
	}
	if data.kind == yoNone {
		return name, nil
	}
	for _, section := range []string{"vars", "children", "hosts"} {
		i, ok := data.lookup(yStrKey(section))
		if !ok {
			continue
		}
		v := data.vals[i]
		if v.kind == yoStr {
			// yaml.py rewrites the shared document: `hosts: h1` is {h1: None}.
			m := newYMap(v.line, yclsDict)
			m.put(yStrKey(v.s), v, &yobj{kind: yoNone, cls: yclsNone, line: v.line})
			data.vals[i], v = m, m
		}
		if v.kind != yoMap && v.kind != yoNone {
			return "", errorf(p.file, v.line, `Invalid "%s" entry for "%s" group, requires a dictionary, found %s instead.`,
				section, name, yTypeString(v))
		}
	}
	for i, k := range data.keys {
		v := data.vals[i]
		if v.kind != yoMap && v.kind != yoNone {
			// Ansible's exact warning, Python class and all: warnings are
			// checked against the ones ansible-inventory prints.
			p.warn.warn("Skipping key (%s) in group (%s) as it is not a mapping, it is a <class '%s'>", yStr(k), name, v.cls)
			continue
		}
		if v.kind == yoNone {
			continue
		}
		section := ""
		if k.kind == yoStr {
			section = k.s
		}
		switch section {
		case "vars":
			for j, vk := range v.keys {
				if err := p.setGroupVar(name, vk, v.vals[j]); err != nil {
					return "", err
				}
			}
		case "children":
			for j, ck := range v.keys {
				child, err := p.group(ck, v.vals[j])
				if err != nil {
					return "", err
				}
				if err := p.link(name, child, ck.line); err != nil {
					return "", err
				}
			}
		case "hosts":
			for j, hk := range v.keys {
				if err := p.hosts(name, hk, v.vals[j]); err != nil {
					return "", err
				}
			}
		default:
			p.warn.warn(`Skipping unexpected key (%s) in group (%s), only "vars", "children" and "hosts" are valid`, yStr(k), name)
		}
	}
	return name, nil
}

// addGroup is InventoryData.add_group.
func (p *yamlInventoryParser) addGroup(key *yobj) (string, error) {
	if !yTruthy(key) {
		return "", errorf(p.file, key.line, "Unable to add group %s: Invalid empty/false group name provided: %s", yStr(key), yStr(key))
	}
	if key.kind != yoStr {
		return "", errorf(p.file, key.line, "Unable to add group %s: Invalid group name supplied, expected a string but got %s for %s",
			yStr(key), yTypeString(key), yStr(key))
	}
	name := key.s
	if _, ok := p.inv.Groups[name]; !ok {
		if pysem.InvalidVariableName(name) {
			p.warn.warn("Invalid characters were found in group names but not replaced, use -vvvv to see details")
		}
		p.inv.AddGroup(name)
	}
	return name, nil
}

// link is InventoryData.add_child: the child may also be a known host,
// which then becomes a member.
func (p *yamlInventoryParser) link(parent, child string, line int) error {
	switch {
	case p.inv.Groups[child] != nil:
		if err := p.inv.AddChild(parent, child); err != nil {
			return &Error{File: p.file, Line: line, Err: err}
		}
	case p.inv.Hosts[child] != nil:
		p.inv.AddMember(parent, child)
	default:
		return errorf(p.file, line, "%s is not a known host nor group", child)
	}
	return nil
}

// setGroupVar is Group.set_variable: ansible_group_priority goes through
// int() and is kept only when it is not the default 1, which is what
// `ansible-inventory --export` shows.
func (p *yamlInventoryParser) setGroupVar(group string, key, value *yobj) error {
	g := p.inv.Groups[group]
	if key.kind == yoStr && key.s == "ansible_group_priority" {
		n, err := yInt(value)
		if err != nil {
			return &Error{File: p.file, Line: value.line, Err: err}
		}
		if n == 1 {
			delete(g.Vars, key.s)
		} else {
			g.Vars[key.s] = n
		}
		return nil
	}
	v, err := p.value(value)
	if err != nil {
		return err
	}
	g.Vars[yKeyString(key)] = v
	return nil
}

// hosts handles one entry of a hosts section: _parse_host and
// _populate_host_vars.
func (p *yamlInventoryParser) hosts(group string, pattern, vars *yobj) error {
	p.budget-- // a hosts section shared through aliases is walked again
	if p.budget < 0 {
		return limitErrorf(p.file, pattern.line, "YAML document expands to more than %d values beyond its own size (alias bomb?)", yamlMaxExpansion)
	}
	if pattern.kind != yoStr {
		return errorf(p.file, pattern.line, "Host pattern %s must be a string. Enclose integers/floats in quotation marks.", yStr(pattern))
	}
	names, port, hasPort, err := ExpandHostPattern(pattern.s)
	if err != nil {
		return &Error{File: p.file, Line: pattern.line, Err: err}
	}
	if strings.Contains(pattern.s, "[") {
		// Each pattern is bounded by ExpandHostPattern; the file as a whole
		// is bounded here, or a few lines of ranges would make billions.
		if p.rangeHosts += len(names); p.rangeHosts > MaxRangeHosts {
			return limitErrorf(p.file, pattern.line, "host ranges in this file expand to more than %d hosts in all", MaxRangeHosts)
		}
	}
	if !yTruthy(vars) {
		vars = nil // `value or {}`
	} else if vars.kind != yoMap {
		return errorf(p.file, vars.line, "Invalid data from file, expected dictionary and got:\n\n%s", yStr(vars))
	}
	for _, name := range names {
		if name == "" {
			return errorf(p.file, pattern.line, "Invalid empty host name provided: %s", name)
		}
		_, exists := p.inv.Hosts[name]
		p.inv.AddMember(group, name)
		h := p.inv.Hosts[name]
		if !exists && hasPort && port != 0 {
			h.Vars["ansible_port"] = int64(port)
		}
		if vars == nil {
			continue
		}
		for i, k := range vars.keys {
			v, err := p.value(vars.vals[i])
			if err != nil {
				return err
			}
			h.Vars[yKeyString(k)] = v
		}
	}
	return nil
}
