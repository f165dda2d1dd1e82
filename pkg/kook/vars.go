package kook

// EffectiveVars returns the vars Ansible gives host: all's vars, then every
// other group the host is in (directly or through children) by depth,
// ansible_group_priority and name, then the host's own vars.
func (inv *Inventory) EffectiveVars(host string) Vars { return nil }
