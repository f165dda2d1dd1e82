package cli

import (
	"bufio"
	"fmt"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"text/template"

	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

type hostListCmd struct {
	Group  string   `short:"g" placeholder:"G" help:"Only the hosts of group G and of the groups below it, as the Ansible pattern G."`
	Where  []string `short:"w" placeholder:"EXPR" help:"Keep hosts whose effective vars match: K=REGEX, K!=REGEX, K (set), !K (not set); repeatable, all must hold. A non-string value is matched in its JSON form." sep:"none"`
	Format string   `short:"f" placeholder:"TEMPLATE" help:"Print each host through this Go text/template over .Name, .Groups, .Vars and .Effective (with join and json)."`
	JSON   bool     `name:"json" help:"Print one JSON document: a list of hosts with name, groups, vars and effective vars." xor:"out"`
}

// hostFilter is one --where expression.
type hostFilter struct {
	key    string
	re     *regexp.Regexp // nil: only whether the key is set
	negate bool
}

// parseWhere reads K=REGEX, K!=REGEX, K and !K.
func parseWhere(expr string) (hostFilter, error) {
	k, re, hasValue := strings.Cut(expr, "=")
	if !hasValue {
		f := hostFilter{key: expr}
		if strings.HasPrefix(expr, "!") {
			f = hostFilter{key: expr[1:], negate: true}
		}
		if f.key == "" {
			return f, usageError{fmt.Errorf("--where %q names no variable", expr)}
		}
		return f, nil
	}
	f := hostFilter{key: k}
	if strings.HasSuffix(k, "!") {
		f = hostFilter{key: k[:len(k)-1], negate: true}
	}
	if f.key == "" {
		return f, usageError{fmt.Errorf("--where %q names no variable", expr)}
	}
	compiled, err := regexp.Compile(re)
	if err != nil {
		return f, usageError{fmt.Errorf("--where %q: %v", expr, err)}
	}
	f.re = compiled
	return f, nil
}

// match reports whether a host with these effective vars passes. K!=RE
// keeps hosts where K is unset too, as "not matching RE".
func (f hostFilter) match(vars kook.Vars) bool {
	v, ok := vars[f.key]
	if f.re == nil {
		return ok != f.negate
	}
	if !ok {
		return f.negate
	}
	s, isString := v.(string)
	if !isString {
		s = jsonText(v)
	}
	return f.re.MatchString(s) != f.negate
}

// formatFuncs are the functions --format templates may call beside Go's
// own: join a list, print a value as JSON.
var formatFuncs = template.FuncMap{
	"join": strings.Join,
	"json": jsonText,
}

// hostView is what --format templates see of a host.
type hostView struct {
	Name      string
	Groups    []string
	Vars      kook.Vars
	Effective kook.Vars
}

// Run lists the hosts that pass every filter, in the order Ansible would
// play them for the pattern (all when no --group).
func (c *hostListCmd) Run(k *kookRun) error {
	var filters []hostFilter
	for _, w := range c.Where {
		f, err := parseWhere(w)
		if err != nil {
			return err
		}
		filters = append(filters, f)
	}
	var tmpl *template.Template
	if c.Format != "" {
		if c.JSON {
			return usageError{fmt.Errorf("--format and --json cannot be used together")}
		}
		t, err := template.New("format").Option("missingkey=zero").Funcs(formatFuncs).Parse(c.Format)
		if err != nil {
			return usageError{fmt.Errorf("--format: %v", err)}
		}
		tmpl = t
	}
	// As in kook-inventory: the buckets read stay alive to the end, so
	// collecting while they arrive only burns CPU.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	st, err := k.store()
	if err != nil {
		return err
	}
	// The groups are decoded, and of the hosts only those of the pattern:
	// decoding every host's vars would cost most of a full read.
	enc, _, err := st.LoadEncoded(k.ctx)
	if err != nil {
		return err
	}
	inv, err := enc.Partial(store.DecodeVars)
	if err != nil {
		return err
	}
	group := kook.All
	if c.Group != "" {
		group = c.Group
		if inv.Groups[group] == nil {
			return fmt.Errorf("no group %q in the inventory", group)
		}
	}
	hosts := inv.GroupHosts(group)
	if len(filters) > 0 || tmpl != nil || c.JSON {
		if err := enc.DecodeHosts(inv, hosts, store.DecodeVars); err != nil {
			return err
		}
	}
	// Effective vars cost a merge per host: only for what needs them.
	var effective map[string]kook.Vars
	switch {
	case c.JSON || strings.Contains(c.Format, "Effective"):
		effective = inv.EffectiveVarsOf(hosts)
	case len(filters) > 0:
		keys := make([]string, len(filters))
		for i, f := range filters {
			keys[i] = f.key
		}
		effective = inv.EffectiveVarsOf(hosts, keys...)
	}
	var hostGroups map[string][]string
	if c.JSON || strings.Contains(c.Format, "Groups") {
		hostGroups = directGroups(inv)
	}
	kept := hosts[:0]
	for _, h := range hosts {
		ok := true
		for _, f := range filters {
			if !f.match(effective[h]) {
				ok = false
				break
			}
		}
		if ok {
			kept = append(kept, h)
		}
	}
	if c.JSON {
		docs := make([]hostDoc, 0, len(kept))
		for _, h := range kept {
			eff := jsonValue{map[string]any(effective[h])}
			docs = append(docs, hostDoc{Name: h, Groups: orEmpty(hostGroups[h]), Vars: jsonValue{map[string]any(inv.Hosts[h].Vars)}, Effective: &eff})
		}
		return writeJSON(k.env.Stdout, docs)
	}
	w := bufio.NewWriterSize(k.env.Stdout, 64<<10)
	for _, h := range kept {
		if tmpl == nil {
			w.WriteString(h)
		} else {
			view := hostView{Name: h, Groups: orEmpty(hostGroups[h]), Vars: inv.Hosts[h].Vars, Effective: effective[h]}
			if err := tmpl.Execute(w, view); err != nil {
				return fmt.Errorf("--format: host %s: %v", h, err)
			}
		}
		w.WriteByte('\n')
	}
	return w.Flush()
}

// directGroups returns each host's direct groups, sorted, "all" left out.
func directGroups(inv *kook.Inventory) map[string][]string {
	out := make(map[string][]string, len(inv.Hosts))
	for name, g := range inv.Groups {
		if name == kook.All {
			continue
		}
		for _, h := range g.Hosts {
			out[h] = append(out[h], name)
		}
	}
	for _, list := range out {
		sort.Strings(list)
	}
	return out
}

func orEmpty(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}
