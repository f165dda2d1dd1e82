package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

// hostCmd is `kook host`: the hosts of the live inventory.
type hostCmd struct {
	Add   hostAddCmd   `cmd:"" help:"Create a host, or update one: add it to groups (beside those it has) and set vars."`
	Rm    hostRmCmd    `cmd:"" help:"Remove hosts from the inventory and from every group."`
	Set   hostSetCmd   `cmd:"" help:"Set host vars: K=V typed as Ansible types K=V after a host in an INI inventory."`
	Unset hostUnsetCmd `cmd:"" help:"Remove host vars."`
	Show  hostShowCmd  `cmd:"" help:"Print a host's groups and own vars, or the vars Ansible gives it."`
	List  hostListCmd  `cmd:"" help:"List hosts, filtered by group and by vars."`
}

type hostAddCmd struct {
	Host         string   `arg:"" name:"HOST" help:"Host name."`
	Assign       []string `arg:"" optional:"" name:"K=V" help:"Vars to set, each one shell word." sep:"none"`
	Group        []string `short:"g" placeholder:"G" help:"Add the host to group G (repeatable); G must exist unless --create-groups." sep:"none"`
	CreateGroups bool     `help:"Create groups named by --group that do not exist, under all."`
}

// Run creates or updates the host in one write.
func (c *hostAddCmd) Run(k *kookRun) error {
	if err := kook.CheckHostName(c.Host); err != nil {
		return usageError{err}
	}
	for _, g := range c.Group {
		warning, err := kook.CheckGroupName(g)
		if err != nil {
			return usageError{err}
		}
		if warning != "" && c.CreateGroups {
			k.warn(warning)
		}
	}
	vars, err := k.parseAssignments(c.Assign)
	if err != nil {
		return err
	}
	st, err := k.writer()
	if err != nil {
		return err
	}
	edit := store.HostEdit{Name: c.Host, Create: true, Join: c.Group, CreateGroups: c.CreateGroups, Set: vars}
	changed, err := st.EditHosts(k.ctx, "add host "+c.Host, []store.HostEdit{edit})
	if err != nil {
		if errors.Is(err, store.ErrNotFound) && !c.CreateGroups {
			return fmt.Errorf("%w (--create-groups creates missing groups)", err)
		}
		return err
	}
	k.summary(len(changed) > 0, "host "+c.Host+" already as asked", "host %s added or updated%s", c.Host, describeEdit(c.Group, vars, nil))
	return nil
}

type hostRmCmd struct {
	Hosts []string `arg:"" name:"HOST" help:"Hosts to remove." sep:"none"`
	Force bool     `help:"A host the inventory lacks is not an error."`
}

// Run removes every named host in one write, or none.
func (c *hostRmCmd) Run(k *kookRun) error {
	st, err := k.writer()
	if err != nil {
		return err
	}
	edits := make([]store.HostEdit, len(c.Hosts))
	for i, h := range c.Hosts {
		edits[i] = store.HostEdit{Name: h, Remove: true, MissingOK: c.Force}
	}
	changed, err := st.EditHosts(k.ctx, "remove "+nouns(len(c.Hosts), "host"), edits)
	if err != nil {
		return err
	}
	k.summary(len(changed) > 0, "none of those hosts exists", "removed %s%s", nouns(len(changed), "host"), nameList(changed))
	return nil
}

type hostSetCmd struct {
	Host   string   `arg:"" name:"HOST" help:"Host name."`
	Assign []string `arg:"" name:"K=V" help:"Vars to set, each one shell word." sep:"none"`
}

// Run sets the vars in one write that reads the host's bucket only.
func (c *hostSetCmd) Run(k *kookRun) error {
	vars, err := k.parseAssignments(c.Assign)
	if err != nil {
		return err
	}
	return k.editHost(store.HostEdit{Name: c.Host, Set: vars}, describeEdit(nil, vars, nil))
}

type hostUnsetCmd struct {
	Host string   `arg:"" name:"HOST" help:"Host name."`
	Keys []string `arg:"" name:"K" help:"Names of the vars to remove." sep:"none"`
}

// Run removes the vars in one write; a var the host lacks is no error.
func (c *hostUnsetCmd) Run(k *kookRun) error {
	if err := checkVarNames(c.Keys); err != nil {
		return err
	}
	return k.editHost(store.HostEdit{Name: c.Host, Unset: c.Keys}, describeEdit(nil, nil, c.Keys))
}

// editHost writes one edit of an existing host and reports it.
func (k *kookRun) editHost(edit store.HostEdit, what string) error {
	st, err := k.writer()
	if err != nil {
		return err
	}
	changed, err := st.EditHosts(k.ctx, "change host "+edit.Name, []store.HostEdit{edit})
	if err != nil {
		return err
	}
	k.summary(len(changed) > 0, "host "+edit.Name+" already as asked", "host %s changed%s", edit.Name, what)
	return nil
}

type hostShowCmd struct {
	Host      string `arg:"" name:"HOST" help:"Host name."`
	Effective bool   `help:"Print the vars Ansible gives the host, as ansible-inventory --host prints them." xor:"what"`
	Explain   bool   `help:"For each var Ansible gives the host, say which host or group (and layer) set it and what it overrode." xor:"what"`
	JSON      bool   `name:"json" help:"Print one JSON document."`
}

// Run prints the host. Without --effective or --explain it reads the
// host's bucket only; with them, the group buckets too.
func (c *hostShowCmd) Run(k *kookRun) error {
	st, err := k.store()
	if err != nil {
		return err
	}
	if !c.Effective && !c.Explain {
		vars, groups, err := st.GetHost(k.ctx, c.Host)
		if err != nil {
			return err
		}
		if c.JSON {
			return writeJSON(k.env.Stdout, hostDoc{Name: c.Host, Groups: groups, Vars: jsonValue{map[string]any(vars)}})
		}
		return writeHostText(k.env.Stdout, c.Host, groups, vars)
	}
	inv, err := st.LoadHost(k.ctx, c.Host)
	if err != nil {
		return err
	}
	if c.Effective {
		// ansible-inventory --host prints the same JSON, indented alike.
		return writeJSON(k.env.Stdout, inv.EffectiveVars(c.Host))
	}
	exp := inv.ExplainVars(c.Host)
	if c.JSON {
		return writeJSON(k.env.Stdout, explainDocs(exp))
	}
	return writeExplain(k.env.Stdout, exp)
}

// hostDoc is one host in the JSON kook prints.
type hostDoc struct {
	Name      string     `json:"name"`
	Groups    []string   `json:"groups"`
	Vars      jsonValue  `json:"vars"`
	Effective *jsonValue `json:"effective,omitempty"`
}

// writeJSON prints v as ansible-inventory prints JSON: keys sorted, four
// spaces of indent, numbers as kook stores them (1.0 stays 1.0).
func writeJSON(w io.Writer, v any) error {
	if vars, ok := v.(kook.Vars); ok {
		v = jsonValue{map[string]any(vars)}
	}
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false) // Ansible prints <, > and & as they are
	if err := enc.Encode(v); err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(compact.Bytes()), "", "    "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}

// jsonValue is a kook value that encoding/json prints as kook encodes it
// (1.0 stays 1.0, keys sorted).
type jsonValue struct{ v any }

// MarshalJSON returns kook's encoding of the value.
func (j jsonValue) MarshalJSON() ([]byte, error) { return []byte(jsonText(j.v)), nil }

// jsonText is a value as kook encodes it (1.0 stays 1.0, keys sorted);
// every value kook prints goes through here.
func jsonText(v any) string { return kook.ShowJSON(v) }

func writeHostText(w io.Writer, name string, groups []string, vars kook.Vars) error {
	var b strings.Builder
	fmt.Fprintf(&b, "host:   %s\ngroups: %s\n", name, strings.Join(groups, ", "))
	writeVarsText(&b, vars)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeVarsText adds vars to a text answer, one "  key: value" line each.
func writeVarsText(b *strings.Builder, vars kook.Vars) {
	if len(vars) == 0 {
		b.WriteString("vars:   none\n")
		return
	}
	b.WriteString("vars:\n")
	for _, k := range sortedVarNames(vars) {
		fmt.Fprintf(b, "  %s: %s\n", k, jsonText(vars[k]))
	}
}

type originDoc struct {
	Kind  string    `json:"kind"`
	Name  string    `json:"name"`
	Layer string    `json:"layer"`
	Value jsonValue `json:"value"`
}

type explainDoc struct {
	Key      string      `json:"key"`
	Value    jsonValue   `json:"value"`
	From     originDoc   `json:"from"`
	Overrode []originDoc `json:"overrode"`
}

func originOf(o kook.VarOrigin) originDoc {
	return originDoc{Kind: o.Kind, Name: o.Name, Layer: o.Layer, Value: jsonValue{o.Value}}
}

func explainDocs(exp []kook.VarExplanation) []explainDoc {
	out := make([]explainDoc, 0, len(exp))
	for _, e := range exp {
		d := explainDoc{Key: e.Key, Value: jsonValue{e.Value}, From: originOf(e.From), Overrode: []originDoc{}}
		for _, o := range e.Overrode {
			d.Overrode = append(d.Overrode, originOf(o))
		}
		out = append(out, d)
	}
	return out
}

// writeExplain prints one line per var: its value, where it comes from and
// what it overrode.
func writeExplain(w io.Writer, exp []kook.VarExplanation) error {
	var b strings.Builder
	for _, e := range exp {
		fmt.Fprintf(&b, "%s = %s  from %s", e.Key, jsonText(e.Value), describeOrigin(e.From))
		for i, o := range e.Overrode {
			sep := ", over "
			if i == 0 {
				sep = "; overrode "
			}
			fmt.Fprintf(&b, "%s%s = %s", sep, describeOrigin(o), jsonText(o.Value))
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func describeOrigin(o kook.VarOrigin) string {
	return fmt.Sprintf("%s %s (%s)", o.Kind, o.Name, o.Layer)
}

// summary prints the one line a write leaves on stderr: what it did, or
// why nothing was written.
func (k *kookRun) summary(changed bool, subject, format string, args ...any) {
	if !changed {
		fmt.Fprintf(k.env.Stderr, "kook: %s; nothing written\n", subject)
		return
	}
	fmt.Fprintf(k.env.Stderr, "kook: "+format+"\n", args...)
}

// describeEdit says in a few words what an edit asked for.
func describeEdit(groups []string, set kook.Vars, unset []string) string {
	var parts []string
	if len(groups) > 0 {
		parts = append(parts, "in "+strings.Join(groups, ", "))
	}
	if len(set) > 0 {
		parts = append(parts, "set "+strings.Join(sortedVarNames(set), ", "))
	}
	if len(unset) > 0 {
		parts = append(parts, "unset "+strings.Join(unset, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}

func sortedVarNames(v kook.Vars) []string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// nouns is "1 host", "3 hosts".
func nouns(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return humanInt(n) + " " + noun + "s"
}

// nameList is ": a, b, c" for a few names, empty for none.
func nameList(names []string) string {
	if len(names) == 0 {
		return ""
	}
	if len(names) > 10 {
		return ": " + strings.Join(names[:10], ", ") + ", ..."
	}
	return ": " + strings.Join(names, ", ")
}
