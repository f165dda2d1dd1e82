package store

import (
	"context"
	"slices"
	"sync"

	"github.com/kook-project/kook/pkg/kook"
)

// LoadEncoded reads the whole inventory as one consistent snapshot, as Load
// does, but keeps every host's and group's vars as the canonical JSON the
// buckets already hold (kook.AppendJSON wrote them) instead of decoding
// them. It is what --list needs: rendering LoadEncoded's answer gives the
// same bytes as rendering Load's, at a fraction of the cost, because no
// value is decoded, allocated, collected or encoded again.
//
// A root that holds no inventory gives an error wrapping ErrNoInventory.
func (s *Store) LoadEncoded(ctx context.Context) (*kook.Encoded, Version, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	sn, err := s.snapshot(ctx, false)
	if err != nil {
		return nil, Version{}, err
	}
	if !sn.exists {
		return nil, Version{}, s.noInventory()
	}
	enc, err := sn.encoded()
	if err != nil {
		return nil, Version{}, err
	}
	return enc, sn.version(), nil
}

// encHost is a host record scanned without decoding its vars.
type encHost struct {
	name     string
	vars     []byte // a span of the bucket's data
	fileVars []byte // likewise; nil when the record has none
	groups   []encMember
}

// encMember is a host's place in one group, as its bucket holds it.
type encMember struct {
	group []byte // the group's name: a span of the bucket's data, mostly
	pos   int64
	index int32 // of the group in Encoded.Groups, once encoded resolved it
}

// emptyVars is the vars of a record without any; shared, never written to.
var emptyVars = []byte("{}")

// scanHostBucket cuts a host bucket into records, reading each record's
// memberships and slicing out its vars. A bucket holds some hundreds of
// hosts and several times as many memberships, whose group names are
// only looked up: they are kept as spans of the data, not allocated.
func scanHostBucket(data []byte) ([]encHost, error) {
	d := newDecoder(data, nil)
	sc := hostScratches.Get().(*hostScratch)
	defer hostScratches.Put(sc)
	hosts, members, starts := sc.hosts[:0], sc.members[:0], sc.starts[:0]
	err := d.spans(func(name []byte) error {
		h := encHost{name: string(name), vars: emptyVars}
		starts = append(starts, len(members))
		err := d.spans(func(k []byte) error {
			switch string(k) {
			case "vars":
				var err error
				h.vars, err = d.objectSpan("vars", h.name)
				return err
			case "file_vars":
				var err error
				h.fileVars, err = d.objectSpan("file_vars", h.name)
				return err
			case "groups":
				return d.spans(func(g []byte) error {
					p, err := d.int()
					members = append(members, encMember{group: g, pos: p})
					return err
				})
			default:
				return d.skip()
			}
		})
		hosts = append(hosts, h)
		return err
	})
	if err == nil {
		err = d.end()
	}
	var out []encHost
	if err == nil {
		out = slices.Clone(hosts)
		all := slices.Clone(members)
		starts = append(starts, len(all))
		for i := range out {
			out[i].groups = all[starts[i]:starts[i+1]:starts[i+1]]
		}
	}
	// The scratch must not keep this bucket alive.
	clear(hosts)
	clear(members)
	sc.hosts, sc.members, sc.starts = hosts[:0], members[:0], starts[:0]
	return out, err
}

// hostScratch is where scanHostBucket gathers a bucket's records before
// copying them to slices of their size: growing those as records come
// would allocate them about three times over, and at 10,000 hosts make
// the difference between a garbage collection and none.
type hostScratch struct {
	hosts   []encHost
	members []encMember
	starts  []int
}

var hostScratches = sync.Pool{New: func() any { return new(hostScratch) }}

// objectSpan steps over the object that is the value of key in the record
// called name and returns it as a span of the data, copied by no one.
func (d *decoder) objectSpan(key, name string) ([]byte, error) {
	d.skipSpace()
	start := d.pos
	if d.peek() != '{' {
		return nil, d.errorf("%s of %q is not an object", key, name)
	}
	if err := d.skip(); err != nil {
		return nil, err
	}
	return d.data[start:d.pos:d.pos], nil
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
				var err error
				g.Vars, err = d.objectSpan("vars", name)
				return err
			case "file_vars":
				var err error
				g.FileVars, err = d.objectSpan("file_vars", name)
				return err
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
			g.Vars = emptyVars
		}
		out = append(out, g)
		return err
	})
	if err == nil {
		err = d.end()
	}
	return out, err
}

// DecodeVars decodes a vars object as LoadEncoded keeps it (canonical
// JSON) with the store's own decoder, several times faster than
// kook.DecodeJSON; it suits kook.Encoded.Partial and DecodeHosts.
func DecodeVars(data []byte) (kook.Vars, error) {
	d := newDecoder(data, nil)
	v, err := d.vars()
	if err == nil {
		err = d.end()
	}
	if v == nil {
		v = kook.Vars{}
	}
	return v, err
}
