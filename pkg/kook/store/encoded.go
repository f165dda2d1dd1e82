package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kook-project/kook/pkg/kook"
)

// LoadEncoded reads the whole inventory as one consistent snapshot, as Load
// does, but keeps every host's and group's vars as the canonical JSON the
// buckets already hold (kook.AppendJSON wrote them) instead of decoding
// them. It is what --list needs: rendering LoadEncoded's answer gives the
// same bytes as rendering Load's, at a fraction of the cost, because no
// value is decoded, allocated, collected or encoded again.
//
// An empty or absent root gives kook.New().Encode() and the zero Version.
func (s *Store) LoadEncoded(ctx context.Context) (*kook.Encoded, Version, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	sn, err := s.snapshotMode(ctx, false, scanEncoded)
	if err != nil {
		return nil, Version{}, err
	}
	if !sn.exists {
		inv := kook.New()
		inv.Reconcile()
		return inv.Encode(), Version{}, nil
	}
	enc, err := sn.encoded()
	if err != nil {
		return nil, Version{}, err
	}
	return enc, sn.version(), nil
}

// encHost is a host record scanned without decoding its vars.
type encHost struct {
	name   string
	vars   []byte // a span of the bucket's data
	groups []membership
}

// scanHostBucket cuts a host bucket into records, reading each record's
// memberships and slicing out its vars.
func scanHostBucket(data []byte, intern map[string]string) ([]encHost, error) {
	d := newDecoder(data, intern)
	out := make([]encHost, 0, 64)
	err := d.names(func(name string) error {
		e := encHost{name: name}
		err := d.object(func(k string) error {
			switch k {
			case "vars":
				d.skipSpace()
				start := d.pos
				if d.peek() != '{' {
					return d.errorf("vars of %q is not an object", name)
				}
				if err := d.skip(); err != nil {
					return err
				}
				e.vars = data[start:d.pos:d.pos]
				return nil
			case "groups":
				return d.object(func(g string) error {
					p, err := d.int()
					e.groups = append(e.groups, membership{g, p})
					return err
				})
			default:
				return d.skip()
			}
		})
		if e.vars == nil {
			e.vars = []byte("{}")
		}
		out = append(out, e)
		return err
	})
	if err == nil {
		err = d.end()
	}
	return out, err
}

// scanGroupBucket is scanHostBucket for a group bucket.
func scanGroupBucket(data []byte) ([]kook.EncodedGroup, error) {
	d := newDecoder(data, nil)
	var out []kook.EncodedGroup
	err := d.names(func(name string) error {
		g := kook.EncodedGroup{Name: name}
		err := d.object(func(k string) error {
			switch k {
			case "vars":
				d.skipSpace()
				start := d.pos
				if d.peek() != '{' {
					return d.errorf("vars of %q is not an object", name)
				}
				if err := d.skip(); err != nil {
					return err
				}
				g.Vars = data[start:d.pos:d.pos]
				return nil
			case "children":
				if err := d.expect('['); err != nil {
					return err
				}
				if d.peek() == ']' {
					d.pos++
					return nil
				}
				for {
					c, err := d.str()
					if err != nil {
						return err
					}
					g.Children = append(g.Children, c)
					switch d.peek() {
					case ',':
						d.pos++
					case ']':
						d.pos++
						return nil
					default:
						return d.errorf("want ',' or ']' in the children of %q", name)
					}
				}
			default:
				return d.skip()
			}
		})
		if g.Vars == nil {
			g.Vars = []byte("{}")
		}
		out = append(out, g)
		return err
	})
	if err == nil {
		err = d.end()
	}
	return out, err
}

// encoded assembles the Encoded inventory from a snapshot read with
// scanEncoded, with the same checks and the same member order as
// inventory: members sorted by position, then name.
func (sn *snapshot) encoded() (*kook.Encoded, error) {
	nh, ng := 0, 0
	for _, b := range sn.encHosts {
		nh += len(b)
	}
	for _, b := range sn.encGroups {
		ng += len(b)
	}
	enc := &kook.Encoded{Hosts: make([]kook.EncodedHost, 0, nh), Groups: make([]kook.EncodedGroup, 0, ng)}
	for _, b := range sn.encGroups {
		enc.Groups = append(enc.Groups, b...)
	}
	slices.SortFunc(enc.Groups, func(a, b kook.EncodedGroup) int { return strings.Compare(a.Name, b.Name) })
	index := make(map[string]int, len(enc.Groups))
	for i, g := range enc.Groups {
		index[g.Name] = i
	}
	members := make([][]memberPos, len(enc.Groups))
	for _, b := range sn.encHosts {
		for _, e := range b {
			enc.Hosts = append(enc.Hosts, kook.EncodedHost{Name: e.name, Vars: e.vars})
			for _, m := range e.groups {
				i, ok := index[m.group]
				if !ok {
					return nil, fmt.Errorf("the inventory is corrupt: host %q is in group %q, which does not exist", e.name, m.group)
				}
				members[i] = append(members[i], memberPos{m.pos, e.name})
			}
		}
	}
	kook.SortEncodedHosts(enc.Hosts)
	for i, list := range members {
		if len(list) == 0 {
			continue
		}
		slices.SortFunc(list, func(a, b memberPos) int {
			if a.pos != b.pos {
				if a.pos < b.pos {
					return -1
				}
				return 1
			}
			return strings.Compare(a.host, b.host)
		})
		hosts := make([]string, len(list))
		for j, m := range list {
			hosts[j] = m.host
		}
		enc.Groups[i].Hosts = hosts
	}
	for _, g := range enc.Groups {
		for _, c := range g.Children {
			if _, ok := index[c]; !ok {
				return nil, fmt.Errorf("the inventory is corrupt: group %q has child %q, which does not exist", g.Name, c)
			}
		}
	}
	_, okAll := index[kook.All]
	_, okUngrouped := index[kook.Ungrouped]
	if !okAll || !okUngrouped {
		return nil, fmt.Errorf("the inventory is corrupt: it lacks the group %q or %q", kook.All, kook.Ungrouped)
	}
	return enc, nil
}
