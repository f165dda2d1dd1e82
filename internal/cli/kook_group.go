package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

// groupCmd is `kook group`: the groups of the live inventory, their
// members and their nesting.
type groupCmd struct {
	Add      groupAddCmd      `cmd:"" help:"Create a group (under parents, else under all), or update one: add parents, set vars."`
	Rm       groupRmCmd       `cmd:"" help:"Remove groups; their hosts and child groups stay, placed as Ansible places them (ungrouped, under all)."`
	Set      groupSetCmd      `cmd:"" help:"Set group vars: K=V typed as Ansible types K=V in an INI inventory."`
	Unset    groupUnsetCmd    `cmd:"" help:"Remove group vars."`
	AddHost  groupAddHostCmd  `cmd:"" name:"add-host" help:"Add existing hosts to a group, at the end of its hosts."`
	RmHost   groupRmHostCmd   `cmd:"" name:"rm-host" help:"Take hosts out of a group; a host left in no group goes to ungrouped."`
	AddChild groupAddChildCmd `cmd:"" name:"add-child" help:"Make groups children of a parent group."`
	RmChild  groupRmChildCmd  `cmd:"" name:"rm-child" help:"Unlink child groups from a parent; a group left without a parent goes under all."`
	Show     groupShowCmd     `cmd:"" help:"Print a group's parents, children, direct hosts and vars."`
	List     groupListCmd     `cmd:"" help:"List the groups."`
}

type groupAddCmd struct {
	Group  string   `arg:"" name:"G" help:"Group name."`
	Assign []string `arg:"" optional:"" name:"K=V" help:"Vars to set, each one shell word." sep:"none"`
	Parent []string `short:"p" placeholder:"P" help:"Make the group a child of P (repeatable); P must exist." sep:"none"`
}

// Run creates or updates the group in one write of group buckets only.
func (c *groupAddCmd) Run(k *kookRun) error {
	warning, err := kook.CheckGroupName(c.Group)
	if err != nil {
		return usageError{err}
	}
	if c.Group == kook.All || c.Group == kook.Ungrouped {
		return usageError{fmt.Errorf("every inventory has the group %q: set its vars with kook group set", c.Group)}
	}
	vars, err := k.parseAssignments(c.Assign)
	if err != nil {
		return err
	}
	if warning != "" {
		k.warn(warning)
	}
	changed, err := k.updateGroups("add group "+c.Group, func(inv *kook.Inventory) error {
		if err := needGroup(inv, c.Parent...); err != nil {
			return err
		}
		g := inv.AddGroup(c.Group)
		for key, v := range vars {
			g.Vars[key] = v
		}
		return linkChildren(inv, c.Parent, []string{c.Group})
	})
	if err != nil {
		return err
	}
	var parents string
	if len(c.Parent) > 0 {
		parents = " under " + strings.Join(c.Parent, ", ")
	}
	k.summary(len(changed) > 0, "group "+c.Group+" already as asked", "group %s added or updated%s%s", c.Group, parents, describeEdit(nil, vars, nil))
	return nil
}

type groupRmCmd struct {
	Groups []string `arg:"" name:"G" help:"Groups to remove." sep:"none"`
}

// Run removes the groups in one write of the whole inventory: every host
// is read, since membership lives on hosts.
func (c *groupRmCmd) Run(k *kookRun) error {
	for _, g := range c.Groups {
		if g == kook.All || g == kook.Ungrouped {
			return usageError{fmt.Errorf("the group %q cannot be removed: every inventory has it", g)}
		}
	}
	st, err := k.writer()
	if err != nil {
		return err
	}
	_, err = st.Update(k.ctx, func(inv *kook.Inventory) error {
		if err := needGroup(inv, c.Groups...); err != nil {
			return err
		}
		for _, g := range c.Groups {
			inv.RemoveGroup(g)
		}
		inv.Reconcile()
		return nil
	}, store.WriteOptions{})
	if err != nil {
		return fmt.Errorf("remove %s: %w", nouns(len(c.Groups), "group"), err)
	}
	k.summary(true, "", "removed %s%s", nouns(len(c.Groups), "group"), nameList(c.Groups))
	return nil
}

type groupSetCmd struct {
	Group  string   `arg:"" name:"G" help:"Group name."`
	Assign []string `arg:"" name:"K=V" help:"Vars to set, each one shell word." sep:"none"`
}

// Run sets the group's vars in one write.
func (c *groupSetCmd) Run(k *kookRun) error {
	vars, err := k.parseAssignments(c.Assign)
	if err != nil {
		return err
	}
	return k.editGroupVars(c.Group, vars, nil)
}

// editGroupVars sets and unsets vars of an existing group in one write.
func (k *kookRun) editGroupVars(group string, set kook.Vars, unset []string) error {
	changed, err := k.updateGroups("change group "+group, func(inv *kook.Inventory) error {
		if err := needGroup(inv, group); err != nil {
			return err
		}
		for key, v := range set {
			inv.Groups[group].Vars[key] = v
		}
		for _, key := range unset {
			delete(inv.Groups[group].Vars, key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	k.summary(len(changed) > 0, "group "+group+" already as asked", "group %s changed%s", group, describeEdit(nil, set, unset))
	return nil
}

type groupUnsetCmd struct {
	Group string   `arg:"" name:"G" help:"Group name."`
	Keys  []string `arg:"" name:"K" help:"Names of the vars to remove." sep:"none"`
}

// Run removes the group's vars in one write.
func (c *groupUnsetCmd) Run(k *kookRun) error {
	if err := checkVarNames(c.Keys); err != nil {
		return err
	}
	return k.editGroupVars(c.Group, nil, c.Keys)
}

type groupAddHostCmd struct {
	Group string   `arg:"" name:"G" help:"Group name."`
	Hosts []string `arg:"" name:"HOST" help:"Existing hosts to add (kook host add creates hosts)." sep:"none"`
}

// Run adds every host in one write of their buckets and the group's.
func (c *groupAddHostCmd) Run(k *kookRun) error {
	if err := realGroup(c.Group); err != nil {
		return err
	}
	return k.memberships("add", c.Group, c.Hosts, func(h string) store.HostEdit {
		return store.HostEdit{Name: h, Join: []string{c.Group}}
	})
}

type groupRmHostCmd struct {
	Group string   `arg:"" name:"G" help:"Group name."`
	Hosts []string `arg:"" name:"HOST" help:"Hosts to take out of the group." sep:"none"`
}

// Run takes every host out in one write of their buckets.
func (c *groupRmHostCmd) Run(k *kookRun) error {
	if err := realGroup(c.Group); err != nil {
		return err
	}
	return k.memberships("remove", c.Group, c.Hosts, func(h string) store.HostEdit {
		return store.HostEdit{Name: h, Leave: []string{c.Group}}
	})
}

// realGroup refuses the two groups whose members Ansible decides.
func realGroup(g string) error {
	if g == kook.All || g == kook.Ungrouped {
		return usageError{fmt.Errorf("Ansible decides who is in %q: every host is in all, and in ungrouped when in no other group", g)}
	}
	return nil
}

// memberships writes one edit per host in one write and reports it.
func (k *kookRun) memberships(verb, group string, hosts []string, edit func(string) store.HostEdit) error {
	st, err := k.writer()
	if err != nil {
		return err
	}
	edits := make([]store.HostEdit, len(hosts))
	for i, h := range hosts {
		edits[i] = edit(h)
	}
	prep := map[string]string{"add": "to", "remove": "from"}[verb]
	changed, err := st.EditHosts(k.ctx, fmt.Sprintf("%s %s %s group %s", verb, nouns(len(hosts), "host"), prep, group), edits)
	if err != nil {
		return err
	}
	k.summary(len(changed) > 0, "every host named already "+map[string]string{"add": "in", "remove": "out of"}[verb]+" group "+group, "%s %s %s group %s%s", map[string]string{"add": "added", "remove": "removed"}[verb],
		nouns(len(changed), "host"), prep, group, nameList(changed))
	return nil
}

type groupAddChildCmd struct {
	Parent string   `arg:"" name:"P" help:"Parent group."`
	Groups []string `arg:"" name:"G" help:"Groups to make its children." sep:"none"`
}

// Run links the children in one write of group buckets; a link that would
// close a cycle is refused with Ansible's message, nothing written.
func (c *groupAddChildCmd) Run(k *kookRun) error {
	return k.relink("link", c.Parent, c.Groups, func(inv *kook.Inventory) error {
		return linkChildren(inv, []string{c.Parent}, c.Groups)
	})
}

type groupRmChildCmd struct {
	Parent string   `arg:"" name:"P" help:"Parent group."`
	Groups []string `arg:"" name:"G" help:"Child groups to unlink." sep:"none"`
}

// Run unlinks the children in one write of group buckets.
func (c *groupRmChildCmd) Run(k *kookRun) error {
	return k.relink("unlink", c.Parent, c.Groups, func(inv *kook.Inventory) error {
		for _, g := range c.Groups {
			inv.RemoveChild(c.Parent, g)
		}
		return nil
	})
}

// relink runs one change of the links between parent and children (verb
// link or unlink), which must all exist, and reports it.
func (k *kookRun) relink(verb, parent string, children []string, change func(*kook.Inventory) error) error {
	prep := map[string]string{"link": "under", "unlink": "from"}[verb]
	changed, err := k.updateGroups(verb+" groups "+prep+" "+parent, func(inv *kook.Inventory) error {
		if err := needGroup(inv, append([]string{parent}, children...)...); err != nil {
			return err
		}
		return change(inv)
	})
	if err != nil {
		return err
	}
	k.summary(len(changed) > 0, "the links are already so", "%sed %s %s %s", verb, strings.Join(children, ", "), prep, parent)
	return nil
}

// linkChildren links each child under each parent. A child that gets a
// parent other than "all" leaves "all", where only a parentless group
// belongs, so that Ansible shows it under its parents only.
func linkChildren(inv *kook.Inventory, parents, children []string) error {
	for _, p := range parents {
		for _, c := range children {
			if err := inv.AddChild(p, c); err != nil {
				return err
			}
			if p != kook.All {
				inv.RemoveChild(kook.All, c)
			}
		}
	}
	return nil
}

// needGroup names the first of the groups the inventory lacks.
func needGroup(inv *kook.Inventory, names ...string) error {
	for _, name := range names {
		if inv.Groups[name] == nil {
			return fmt.Errorf("no group %q in the inventory: %w", name, store.ErrNotFound)
		}
	}
	return nil
}

// updateGroups runs one store.UpdateGroups write.
func (k *kookRun) updateGroups(what string, fn func(*kook.Inventory) error) ([]string, error) {
	st, err := k.writer()
	if err != nil {
		return nil, err
	}
	return st.UpdateGroups(k.ctx, what, fn)
}

type groupShowCmd struct {
	Group string `arg:"" name:"G" help:"Group name."`
	JSON  bool   `name:"json" help:"Print one JSON document."`
}

// groupDoc is one group in the JSON kook prints.
type groupDoc struct {
	Name     string    `json:"name"`
	Parents  []string  `json:"parents"`
	Children []string  `json:"children"`
	Hosts    []string  `json:"hosts"`
	Vars     jsonValue `json:"vars"`
}

func groupDocOf(inv *kook.Inventory, parents map[string][]string, name string) groupDoc {
	g := inv.Groups[name]
	return groupDoc{Name: name, Parents: orEmpty(parents[name]), Children: orEmpty(g.Children), Hosts: orEmpty(g.Hosts), Vars: jsonValue{map[string]any(g.Vars)}}
}

// Run prints the group; its direct hosts need the whole inventory read.
func (c *groupShowCmd) Run(k *kookRun) error {
	st, err := k.store()
	if err != nil {
		return err
	}
	inv, _, err := st.Load(k.ctx)
	if err != nil {
		return err
	}
	if err := needGroup(inv, c.Group); err != nil {
		return err
	}
	d := groupDocOf(inv, inv.Parents(), c.Group)
	if c.JSON {
		return writeJSON(k.env.Stdout, d)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "group:    %s\nparents:  %s\nchildren: %s\nhosts:    %s\n", d.Name,
		strings.Join(d.Parents, ", "), strings.Join(d.Children, ", "), strings.Join(d.Hosts, ", "))
	writeVarsText(&b, inv.Groups[c.Group].Vars)
	_, err = io.WriteString(k.env.Stdout, b.String())
	return err
}

type groupListCmd struct {
	JSON bool `name:"json" help:"Print one JSON document: every group with parents, children, direct hosts and vars."`
}

// Run prints the group names, sorted, or every group as JSON.
func (c *groupListCmd) Run(k *kookRun) error {
	st, err := k.store()
	if err != nil {
		return err
	}
	inv, _, err := st.Load(k.ctx)
	if err != nil {
		return err
	}
	names := inv.GroupNames()
	if c.JSON {
		parents := inv.Parents()
		docs := make([]groupDoc, 0, len(names))
		for _, n := range names {
			docs = append(docs, groupDocOf(inv, parents, n))
		}
		return writeJSON(k.env.Stdout, docs)
	}
	_, err = io.WriteString(k.env.Stdout, strings.Join(slices.Clip(names), "\n")+"\n")
	return err
}
