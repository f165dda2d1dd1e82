package ansible

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/kook-project/kook/internal/pysem"
	"github.com/kook-project/kook/pkg/kook"
)

// ParseJSON reads a script-protocol document (what an inventory script
// prints for --list, also what ansible-inventory --list [--export] prints)
// exactly as ansible-core 2.14's script plugin reads it (2.19's, with
// opts.Rules 2.19, where noted):
//
//   - every top-level key except _meta is a group, created in document order;
//   - a list value is the group's hosts; an object may hold hosts (a list),
//     vars (an object) and children (anything iterable: a string is taken
//     character by character, an object by its keys); an object with none of
//     those keys is a group holding one host named like the group, with the
//     object as the group's vars;
//   - _meta.hostvars gives the vars of the hosts the groups list; entries for
//     other hosts are ignored; without it hosts get no vars (2.19: _meta must
//     be an object holding a hostvars object, and a _meta.profile must be
//     "inventory_legacy");
//   - 2.19: the vars of a group given as an object without hosts, vars or
//     children are unsafe (never templated);
//   - host names are taken verbatim, without ranges or ports;
//   - ansible_group_priority in group vars is converted with Python's int()
//     and kept as an int64, dropped when it is the default 1.
//
// Errors carry the line of the offending value and Ansible's wording.
func ParseJSON(file string, data []byte, opts ReadOptions) (*kook.Inventory, error) {
	top, serr := decodeJSONDocument(data)
	if serr != nil {
		return nil, jsonSyntaxErr(file, data, serr)
	}
	p := &scriptParser{file: file, data: data, inv: kook.New(), warn: opts.Warn, rules: opts.rules(), listed: map[string]bool{}}
	if err := p.document(top); err != nil {
		return nil, err
	}
	return p.inv, nil
}

func jsonSyntaxErr(file string, data []byte, e *jsonSyntaxError) error {
	return errorf(file, jsonLineAt(data, e.off), "%s: %s", e.msg, jsonPythonPosition(data, e.off))
}

// scriptParser mirrors script.py's InventoryModule.parse and _parse_group.
type scriptParser struct {
	file   string
	data   []byte
	inv    *kook.Inventory
	warn   Warner
	rules  Rules
	listed map[string]bool // hosts some group lists: the only ones _meta may give vars
	order  []string        // the same, in the order they were listed
	warned bool            // the invalid group name warning was given
}

// addGroup creates a group as InventoryData.add_group does, with the
// warning Group() gives (once) for a name that is not a Python identifier.
func (p *scriptParser) addGroup(name string) {
	if _, ok := p.inv.Groups[name]; !ok {
		if !p.warned && pysem.InvalidVariableName(name) {
			p.warned = true
			p.warn.warn("Invalid characters were found in group names but not replaced, use -vvvv to see details")
		}
		p.inv.AddGroup(name)
	}
}

func (p *scriptParser) errAt(off int, format string, args ...any) error {
	return errorf(p.file, jsonLineAt(p.data, off), format, args...)
}

func (p *scriptParser) document(top any) error {
	obj, ok := jsonPlain(top).(*jsonObject)
	if !ok {
		return p.errAt(p.firstValue(), "needs to be a json dict, got %s", jsonPyTypeName(top))
	}
	var meta any
	metaOff, haveMeta := 0, false
	if p.rules == Rules219 {
		if err := p.checkProfile(obj); err != nil {
			return err
		}
	}
	for i, name := range obj.keys {
		if name == "_meta" {
			v, off, err := p.metaHostvars(obj.vals[i], obj.offs[i])
			if err != nil {
				return err
			}
			if off >= 0 {
				meta, metaOff, haveMeta = v, off, true
			}
			continue
		}
		if err := p.group(name, obj.vals[i], obj.offs[i]); err != nil {
			return err
		}
	}
	if p.rules == Rules219 && !obj.has("_meta") {
		p.warn.warn("Inventory scripts should always provide 'meta.hostvars'. Host variables will be collected by running the inventory script with the '--host' option for each host.")
	}
	if !haveMeta || len(p.order) == 0 {
		// Ansible would run the script with --host per host; a document has
		// nothing more to say, so those hosts have no vars.
		return nil
	}
	hostvars, ok := jsonPlain(meta).(*jsonObject)
	if !ok {
		return p.errAt(metaOff, "Improperly formatted host information for %s: '%s' object has no attribute 'get'",
			p.order[0], jsonPyTypeName(meta))
	}
	// Every host in p.order is in the inventory already (a group listed
	// it), so each range of hosts only reads the inventory's map and fills
	// its own hosts' vars: a large fleet's ranges go on every core. The
	// first bad host in order is the one reported.
	workers := min(runtime.GOMAXPROCS(0), len(p.order)/4096)
	if workers <= 1 {
		return p.hostvars(hostvars, p.order)
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			errs[w] = p.hostvars(hostvars, p.order[w*len(p.order)/workers:(w+1)*len(p.order)/workers])
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// hostvars sets the vars _meta.hostvars gives hosts, which exist.
func (p *scriptParser) hostvars(hostvars *jsonObject, hosts []string) error {
	for _, host := range hosts {
		v, off, ok := hostvars.get(host)
		if !ok {
			continue
		}
		vars, unsafe, ok := jsonVarsObject(v)
		if !ok {
			return p.errAt(off, "Invalid data from file, expected dictionary and got: %s", jsonPyStr(v))
		}
		h := p.inv.Hosts[host]
		for i, k := range vars.keys {
			h.Vars[k] = jsonVarValue(vars.vals[i], unsafe)
		}
	}
	return nil
}

// firstValue is the offset of the document's first non-blank byte.
func (p *scriptParser) firstValue() int {
	for i, c := range p.data {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return i
		}
	}
	return len(p.data)
}

// metaHostvars returns _meta's hostvars and its offset (-1 when there is
// none), failing where Python's `'hostvars' in gdata` and
// `gdata['hostvars']` would.
func (p *scriptParser) metaHostvars(meta any, off int) (any, int, error) {
	if p.rules == Rules219 {
		// 2.19: data_from_meta = gdata.get('hostvars'), which must be a
		// dict (checkProfile made sure _meta is one).
		m := jsonPlain(meta).(*jsonObject)
		v, voff, ok := m.get("hostvars")
		if !ok {
			return nil, 0, p.errAt(off, "Value contains '_meta.hostvars' which is 'NoneType' instead of 'dict'.")
		}
		if _, isObj := jsonPlain(v).(*jsonObject); !isObj {
			return nil, 0, p.errAt(voff, "Value contains '_meta.hostvars' which is '%s' instead of 'dict'.", jsonPyTypeName(v))
		}
		return v, voff, nil
	}
	switch m := jsonPlain(meta).(type) {
	case *jsonObject:
		v, voff, ok := m.get("hostvars")
		if !ok {
			return nil, -1, nil
		}
		return v, voff, nil
	case *jsonArray:
		for _, e := range m.vals {
			if s, ok := e.(string); ok && s == "hostvars" {
				return nil, 0, p.errAt(off, "list indices must be integers or slices, not str")
			}
		}
		return nil, -1, nil
	case string:
		if strings.Contains(m, "hostvars") {
			return nil, 0, p.errAt(off, "string indices must be integers, not 'str'")
		}
		return nil, -1, nil
	}
	return nil, 0, p.errAt(off, "argument of type '%s' is not iterable", jsonPyTypeName(meta))
}

// checkProfile is 2.19's detect_profile_name and get_decoder: _meta, when
// present, is an object whose profile, when present, names the only
// inventory profile there is.
func (p *scriptParser) checkProfile(top *jsonObject) error {
	meta, off, ok := top.get("_meta")
	if !ok {
		return nil
	}
	m, isObj := jsonPlain(meta).(*jsonObject)
	if !isObj {
		return p.errAt(off, "Value contains '_meta' which is '%s' instead of 'dict'.", jsonPyTypeName(meta))
	}
	profile, poff, ok := m.get("profile")
	if !ok {
		return nil
	}
	name, isStr := profile.(string)
	switch {
	case !isStr:
		return p.errAt(poff, "Value contains '_meta.profile' which is '%s' instead of 'str'.", jsonPyTypeName(profile))
	case !strings.HasPrefix(name, "inventory_"):
		return p.errAt(poff, "Non-inventory profile %s is not allowed.", pysem.ReprString(name))
	case name != "inventory_legacy":
		return p.errAt(poff, "Unable to get JSON decoder for inventory script result: unknown profile %s.", pysem.ReprString(name))
	}
	return nil
}

func (p *scriptParser) group(name string, data any, off int) error {
	if name == "" {
		return p.errAt(off, "Invalid empty/false group name provided: ")
	}
	p.addGroup(name)
	data = jsonPlain(data)
	var hosts, vars, children any
	var hostsOff, varsOff, childrenOff int
	var haveHosts, haveVars, haveChildren bool
	obj, isObj := data.(*jsonObject)
	malformed := false // 2.19 marks the vars of such a group unsafe
	switch {
	case !isObj:
		hosts, hostsOff, haveHosts = data, off, true
		if p.rules == Rules219 {
			p.warn.warn("Group %s was converted to 'dict' from '%s'.", pysem.ReprString(name), jsonPyTypeName(data))
		}
	case !obj.has("hosts") && !obj.has("vars") && !obj.has("children"):
		// The shorthand: a host named like the group, the object as vars.
		hosts = &jsonArray{vals: []any{name}, offs: []int{off}}
		hostsOff, haveHosts = off, true
		vars, varsOff, haveVars = obj, off, true
		p.warn.warn("Found both group and host with same name: %s", name)
		if p.rules == Rules219 {
			// The inventory_legacy profile trusts strings only under a
			// group's "vars" and under _meta.hostvars.
			malformed = true
			p.warn.warn("Treating malformed group %s as the sole host of that group. Variables provided in this manner cannot be templated.", pysem.ReprString(name))
		}
	default:
		hosts, hostsOff, haveHosts = obj.get("hosts")
		vars, varsOff, haveVars = obj.get("vars")
		children, childrenOff, haveChildren = obj.get("children")
	}
	if haveHosts {
		list, ok := jsonPlain(hosts).(*jsonArray)
		if !ok {
			return p.errAt(hostsOff, "You defined a group '%s' with bad data for the host list: %s", name, p.groupRepr(data))
		}
		for i, h := range list.vals {
			host, err := p.hostName(jsonPlain(h), list.offs[i])
			if err != nil {
				return err
			}
			p.inv.AddMember(name, host)
			if !p.listed[host] {
				p.listed[host] = true
				p.order = append(p.order, host)
			}
		}
	}
	if haveVars {
		obj, unsafe, ok := jsonVarsObject(vars)
		if !ok {
			return p.errAt(varsOff, "You defined a group '%s' with bad data for variables: %s", name, p.groupRepr(data))
		}
		g := p.inv.Groups[name]
		for i, k := range obj.keys {
			if err := jsonSetGroupVar(g, k, jsonVarValue(obj.vals[i], unsafe || malformed)); err != nil {
				return p.errAt(obj.offs[i], "%v", err)
			}
		}
	}
	if haveChildren {
		names, offs, err := jsonPyIterate(jsonPlain(children))
		if err != nil {
			return p.errAt(childrenOff, "%v", err)
		}
		for i, c := range names {
			child, err := jsonGroupName(jsonPlain(c))
			if err != nil {
				return p.errAt(jsonPick(offs, i, childrenOff), "%v", err)
			}
			p.addGroup(child)
			if child == name {
				return p.errAt(jsonPick(offs, i, childrenOff), "can't add group to itself")
			}
			if err := p.inv.AddChild(name, child); err != nil {
				return p.errAt(jsonPick(offs, i, childrenOff), "%v", err)
			}
		}
	}
	return nil
}

// jsonVarsObject returns a vars object, saying whether it was marked
// unsafe as a whole (its values are then unsafe too).
func jsonVarsObject(v any) (obj *jsonObject, unsafe, ok bool) {
	if t, isTagged := v.(*jsonTagged); isTagged && t.key == "__ansible_unsafe" {
		obj, _, ok = jsonVarsObject(t.val)
		return obj, true, ok
	}
	obj, ok = v.(*jsonObject)
	return obj, false, ok
}

func jsonVarValue(v any, unsafe bool) any {
	if unsafe {
		return jsonWrapUnsafe(jsonValue(v))
	}
	return jsonValue(v)
}

func (p *scriptParser) groupRepr(data any) string {
	if _, ok := data.(*jsonObject); ok {
		return jsonPyRepr(data)
	}
	return "{'hosts': " + jsonPyRepr(data) + "}"
}

func jsonPick(offs []int, i, def int) int {
	if i < len(offs) {
		return offs[i]
	}
	return def
}

// hostName checks a host list entry as script.py (a set) and
// InventoryData.add_host do.
func (p *scriptParser) hostName(h any, off int) (string, error) {
	switch x := h.(type) {
	case string:
		if x == "" {
			return "", p.errAt(off, "Invalid empty host name provided: ")
		}
		return x, nil
	case *jsonArray, *jsonObject:
		return "", p.errAt(off, "unhashable type: '%s'", jsonPyTypeName(h))
	}
	if !jsonPyTruthy(h) {
		return "", p.errAt(off, "Invalid empty host name provided: %s", jsonPyStr(h))
	}
	return "", p.errAt(off, "Invalid host name supplied, expected a string but got %s for %s", pyTypeWords(jsonPyTypeName(h)), jsonPyStr(h))
}

// jsonGroupName checks a child group name as InventoryData.add_group does.
func jsonGroupName(g any) (string, error) {
	if !jsonPyTruthy(g) {
		return "", fmt.Errorf("Invalid empty/false group name provided: %s", jsonPyStr(g))
	}
	if s, ok := g.(string); ok {
		return s, nil
	}
	return "", fmt.Errorf("Invalid group name supplied, expected a string but got %s for %s", pyTypeWords(jsonPyTypeName(g)), jsonPyStr(g))
}

// jsonPyIterate lists what Python's `for x in v` yields: a string's
// characters, a list's elements, an object's keys.
func jsonPyIterate(v any) ([]any, []int, error) {
	switch x := v.(type) {
	case string:
		out := make([]any, 0, len(x))
		for _, r := range x {
			out = append(out, string(r))
		}
		return out, nil, nil
	case *jsonArray:
		return x.vals, x.offs, nil
	case *jsonObject:
		out := make([]any, len(x.keys))
		for i, k := range x.keys {
			out[i] = k
		}
		return out, x.offs, nil
	}
	return nil, nil, fmt.Errorf("'%s' object is not iterable", jsonPyTypeName(v))
}

// jsonSetGroupVar sets a group variable as Group.set_variable does:
// ansible_group_priority goes through int() and is kept only when it is
// not the default 1, everything else is stored as it is.
func jsonSetGroupVar(g *kook.Group, key string, value any) error {
	if key != "ansible_group_priority" {
		g.Vars[key] = value
		return nil
	}
	n, err := jsonPyInt(value)
	if err != nil {
		return err
	}
	if n == 1 {
		delete(g.Vars, key)
	} else {
		g.Vars[key] = n
	}
	return nil
}

// jsonPyInt is int(v) on a decoded value, narrowed to the int64 kook
// keeps priorities in (kook.PriorityOf).
func jsonPyInt(v any) (int64, error) {
	switch v.(type) {
	case *jsonArray, *jsonObject, *jsonTagged:
		return 0, pysem.IntTypeError(jsonPyTypeName(v))
	}
	return kook.PriorityOf(v)
}

func jsonPyTruthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case *jsonArray:
		return len(x.vals) > 0
	case *jsonObject:
		return len(x.keys) > 0
	}
	return true
}

func jsonPyTypeName(v any) string {
	switch v.(type) {
	case *jsonArray:
		return "list"
	case *jsonObject:
		return "dict"
	case *jsonTagged:
		return "AnsibleVaultEncryptedUnicode"
	}
	return pysem.TypeName(v)
}

// jsonPyStr is Python's str() of a decoded value.
func jsonPyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return jsonPyRepr(v)
}

// jsonPyRepr is Python's repr() of a decoded value, for error messages that
// quote the data the way Ansible quotes it.
func jsonPyRepr(v any) string { return pysem.Repr(v) }

// AppendPyRepr writes the list as repr() does.
func (a *jsonArray) AppendPyRepr(b []byte) []byte { return pysem.AppendRepr(b, a.vals) }

// AppendPyRepr writes the object as repr() writes a dict: in its order.
func (o *jsonObject) AppendPyRepr(b []byte) []byte {
	b = append(b, '{')
	for i, k := range o.keys {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = pysem.AppendReprString(b, k)
		b = append(b, ": "...)
		b = pysem.AppendRepr(b, o.vals[i])
	}
	return append(b, '}')
}

// AppendPyRepr writes the tagged value's own repr.
func (t *jsonTagged) AppendPyRepr(b []byte) []byte { return pysem.AppendRepr(b, t.val) }
