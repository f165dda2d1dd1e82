package kook

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Encoded is an inventory whose vars are kept as their canonical JSON
// (AppendJSON: compact, keys sorted) instead of as values. It is what a
// renderer of the script protocol needs and nothing more, so a reader that
// already holds canonical JSON (the store's buckets) can hand it on without
// decoding a single value: at 100,000 hosts decoding and re-encoding every
// var is most of what printing the inventory costs.
//
// Hosts and Groups are sorted by name; a Host's or Group's Vars is "{}"
// when it has none (never nil in what Encode and the store return). The
// vars-file layers (FileVars) are kept too; OneLayer folds them into what
// the script protocol can carry.
type Encoded struct {
	Hosts  []EncodedHost
	Groups []EncodedGroup
}

// EncodedHost is one host of an Encoded inventory.
type EncodedHost struct {
	Name string
	// Vars is the host's own vars as canonical JSON.
	Vars []byte
	// FileVars is its host_vars/ layer likewise; nil or "{}" when it has
	// none.
	FileVars []byte
}

// EncodedGroup is one group of an Encoded inventory, with the same Hosts
// and Children order as the Group it stands for.
type EncodedGroup struct {
	Name     string
	Vars     []byte
	FileVars []byte // nil or "{}" when the group has no group_vars/ layer
	Hosts    []string
	Children []string
}

// emptyVars is the canonical JSON of no vars; shared, never written to.
var emptyVars = []byte("{}")

// Encode returns inv in Encoded form. The vars are encoded with
// AppendVars, so an inventory and its stored form encode to equal bytes;
// a value outside kook's value set is an error naming the host or group
// and the var. Hosts and Children slices are shared with inv, not copied.
func (inv *Inventory) Encode() (*Encoded, error) {
	e := &Encoded{
		Hosts:  make([]EncodedHost, 0, len(inv.Hosts)),
		Groups: make([]EncodedGroup, 0, len(inv.Groups)),
	}
	// One backing array for every host's vars: a fleet has many small
	// objects, and one allocation per host is most of Encode's cost.
	var buf []byte
	type span struct{ start, end int }
	spans := make([]span, 0, len(inv.Hosts))
	for name, h := range inv.Hosts {
		start := len(buf)
		var err error
		if buf, err = AppendVars(buf, h.Vars); err != nil {
			return nil, fmt.Errorf("host %q: %w", name, err)
		}
		spans = append(spans, span{start, len(buf)})
		eh := EncodedHost{Name: name}
		if len(h.FileVars) > 0 {
			if eh.FileVars, err = AppendVars(nil, h.FileVars); err != nil {
				return nil, fmt.Errorf("host %q: host_vars: %w", name, err)
			}
		}
		e.Hosts = append(e.Hosts, eh)
	}
	for i := range e.Hosts {
		e.Hosts[i].Vars = buf[spans[i].start:spans[i].end:spans[i].end]
	}
	SortEncodedHosts(e.Hosts)
	for name, g := range inv.Groups {
		eg := EncodedGroup{Name: name, Vars: emptyVars, Hosts: g.Hosts, Children: g.Children}
		var err error
		if len(g.Vars) > 0 {
			if eg.Vars, err = AppendVars(nil, g.Vars); err != nil {
				return nil, fmt.Errorf("group %q: %w", name, err)
			}
		}
		if len(g.FileVars) > 0 {
			if eg.FileVars, err = AppendVars(nil, g.FileVars); err != nil {
				return nil, fmt.Errorf("group %q: group_vars: %w", name, err)
			}
		}
		e.Groups = append(e.Groups, eg)
	}
	slices.SortFunc(e.Groups, func(a, b EncodedGroup) int { return strings.Compare(a.Name, b.Name) })
	return e, nil
}

// Equal reports whether e and o hold the same hosts, groups, orders and
// vars bytes in both layers (nil and empty lists are equal, and so are a
// nil and a "{}" FileVars).
func (e *Encoded) Equal(o *Encoded) bool {
	if len(e.Hosts) != len(o.Hosts) || len(e.Groups) != len(o.Groups) {
		return false
	}
	for i, h := range e.Hosts {
		if h.Name != o.Hosts[i].Name || !bytes.Equal(h.Vars, o.Hosts[i].Vars) || !equalLayer(h.FileVars, o.Hosts[i].FileVars) {
			return false
		}
	}
	for i, g := range e.Groups {
		og := o.Groups[i]
		if g.Name != og.Name || !bytes.Equal(g.Vars, og.Vars) || !equalLayer(g.FileVars, og.FileVars) ||
			!slices.Equal(g.Hosts, og.Hosts) || !slices.Equal(g.Children, og.Children) {
			return false
		}
	}
	return true
}

// equalLayer compares two encoded FileVars, nil standing for "{}".
func equalLayer(a, b []byte) bool {
	if len(a) <= 2 && len(b) <= 2 {
		return true
	}
	return bytes.Equal(a, b)
}

// SortEncodedHosts sorts hosts by name (see NameOrder).
func SortEncodedHosts(a []EncodedHost) {
	names := make([]string, len(a))
	for i := range a {
		names[i] = a[i].Name
	}
	sorted := make([]EncodedHost, len(a))
	for i, j := range NameOrder(names) {
		sorted[i] = a[j]
	}
	copy(a, sorted)
}

// NameOrder returns the indexes of names in the names' order: names[o[0]]
// is the least. It is an MSD radix sort: fleet host names share long
// prefixes (web-0001.dc1...), where comparison sorts spend their time.
// Sorting indexes lets a caller put anything in that order.
func NameOrder(names []string) []int {
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	radixSort(names, order, make([]int, len(order)), 0)
	return order
}

// radixSort sorts a, indexes of names, on the names' bytes from depth on.
func radixSort(names []string, a, tmp []int, depth int) {
	if len(a) < 32 {
		for i := 1; i < len(a); i++ {
			for j := i; j > 0 && names[a[j]][depth:] < names[a[j-1]][depth:]; j-- {
				a[j], a[j-1] = a[j-1], a[j]
			}
		}
		return
	}
	var count [257]int // bucket 0: names that end at depth
	for _, i := range a {
		count[radixKey(names[i], depth)]++
	}
	if k := radixKey(names[a[0]], depth); count[k] == len(a) {
		// A byte every name shares (of a common prefix) orders nothing.
		if k > 0 {
			radixSort(names, a, tmp, depth+1)
		}
		return
	}
	var start [258]int
	for i := 0; i < 257; i++ {
		start[i+1] = start[i] + count[i]
	}
	next := start
	for _, i := range a {
		k := radixKey(names[i], depth)
		tmp[next[k]] = i
		next[k]++
	}
	copy(a, tmp[:len(a)])
	for k := 1; k < 257; k++ {
		if count[k] > 1 {
			radixSort(names, a[start[k]:start[k+1]], tmp, depth+1)
		}
	}
}

func radixKey(s string, depth int) int {
	if depth < len(s) {
		return int(s[depth]) + 1
	}
	return 0
}
