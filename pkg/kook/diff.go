package kook

// Change is one difference between two inventories, as a person reads it.
type Change struct{}

// Diff returns what turns old into new.
func Diff(old, new *Inventory) []Change { return nil }
