package store

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	benchfleet "github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/pkg/kook"
)

// fleetBuckets returns the buckets a write of inv produces, without a
// ZooKeeper.
func fleetBuckets(tb testing.TB, inv *kook.Inventory) (hosts, groups [][]byte) {
	tb.Helper()
	var seq int64
	hostRecs, groupRecs, err := encodeInventory(inv, nil, &seq)
	if err != nil {
		tb.Fatal(err)
	}
	hb, err := chooseBuckets(hostRecs, 0)
	if err != nil {
		tb.Fatal(err)
	}
	gb, err := chooseBuckets(groupRecs, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if hosts, err = buildBuckets(hostRecs, hb, "host"); err != nil {
		tb.Fatal(err)
	}
	if groups, err = buildBuckets(groupRecs, gb, "group"); err != nil {
		tb.Fatal(err)
	}
	return hosts, groups
}

// scanSnapshot is what snapshot does with the buckets it reads.
func scanSnapshot(hosts, groups [][]byte) (*snapshot, error) {
	sn := &snapshot{head: head{exists: true}, hosts: make([][]encHost, len(hosts)), groups: make([][]kook.EncodedGroup, len(groups))}
	for i, d := range hosts {
		var err error
		if sn.hosts[i], err = scanHostBucket(d); err != nil {
			return nil, err
		}
	}
	for i, d := range groups {
		var err error
		if sn.groups[i], err = scanGroupBucket(d); err != nil {
			return nil, err
		}
	}
	return sn, nil
}

var scanFleets = struct {
	sync.Mutex
	m map[int][2][][]byte
}{m: map[int][2][][]byte{}}

func fleetData(tb testing.TB, n int) (hosts, groups [][]byte) {
	scanFleets.Lock()
	defer scanFleets.Unlock()
	if d, ok := scanFleets.m[n]; ok {
		return d[0], d[1]
	}
	inv := benchfleet.Generate(n, 42)
	hosts, groups = fleetBuckets(tb, inv)
	scanFleets.m[n] = [2][][]byte{hosts, groups}
	return hosts, groups
}

// BenchmarkScanEncoded is LoadEncoded's work on the buckets of the
// benchmark fleet (internal/fleet, as make bench imports it), without
// ZooKeeper: scanning every bucket and assembling the Encoded inventory.
func BenchmarkScanEncoded(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			if n >= 100000 && testing.Short() {
				b.Skip("100k hosts skipped in -short mode")
			}
			hosts, groups := fleetData(b, n)
			size := 0
			for _, d := range append(hosts[:len(hosts):len(hosts)], groups...) {
				size += len(d)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sn, err := scanSnapshot(hosts, groups)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := sn.encoded(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// checkScan fails unless scanHostBucket reads data as decodeHostBucket
// does: the same hosts, memberships and vars. When decodeHostBucket refuses
// data, scanHostBucket may accept it (it checks vars only loosely) but must
// not panic.
func checkScan(t *testing.T, data []byte) {
	t.Helper()
	scanned, serr := scanHostBucket(data)
	decoded, derr := decodeHostBucket(data)
	if derr != nil {
		return
	}
	if serr != nil {
		t.Fatalf("scan refused what decode read: %v\n%s", serr, data)
	}
	if len(scanned) != len(decoded) {
		t.Fatalf("scanned %d hosts, decoded %d\n%s", len(scanned), len(decoded), data)
	}
	seen := map[string]int{}
	for _, d := range decoded {
		seen[d.name]++
	}
	for i, d := range decoded {
		s := scanned[i]
		if s.name != d.name {
			t.Fatalf("host %d: scanned %q, decoded %q", i, s.name, d.name)
		}
		var sm, dm []membership
		for _, m := range s.groups {
			sm = append(sm, membership{string(m.group), m.pos})
		}
		dm = append(dm, d.groups...)
		if diff := cmp.Diff(dm, sm, cmp.AllowUnexported(membership{})); diff != "" {
			t.Fatalf("host %q: memberships (-decoded +scanned):\n%s", d.name, diff)
		}
		// decodeHostBucket reads positions with the same code as the scan;
		// kook.DecodeJSON is another reader, whose maps keep only the last
		// of repeated keys.
		got := map[string]any{}
		for _, m := range s.groups {
			got[string(m.group)] = m.pos
		}
		if ref, err := kook.DecodeJSON(data); err == nil && seen[d.name] == 1 && len(got) == len(s.groups) {
			rec, _ := ref.(map[string]any)[d.name].(map[string]any)
			want, _ := rec["groups"].(map[string]any)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("host %q: memberships (-DecodeJSON +scanned):\n%s", d.name, diff)
			}
		}
		// The span must be the vars decode read, as decode reads them: the
		// scan copies vars unchecked, so a bucket that kook did not write
		// (say, "00" for a number) is printed as it is.
		vd := newDecoder(s.vars, nil)
		v, err := vd.vars()
		if err == nil {
			err = vd.end()
		}
		if err != nil {
			t.Fatalf("host %q: scanned vars %s: %v", d.name, s.vars, err)
		}
		if diff := cmp.Diff(d.vars, v, cmpInv); diff != "" {
			t.Fatalf("host %q: vars (-decoded +scanned):\n%s", d.name, diff)
		}
	}
}

func TestScanHostBucket(t *testing.T) {
	hosts, _ := fleetData(t, 1000)
	for _, d := range hosts[:4] {
		checkScan(t, d)
	}
	for name, inv := range sampleInventories() {
		hosts, _ := fleetBuckets(t, inv)
		for _, d := range hosts {
			t.Run(name, func(t *testing.T) { checkScan(t, d) })
		}
	}
	for _, in := range []string{
		`{}`, ` { } `,
		`{"a":{}}`,
		`{"a":{"vars":{},"groups":{}}}`,
		`{"a":{"groups":{"g":-5,"h":0,"i":-0,"j":999999999999999999,"k":-1234567890123456789}},"b":{"vars":{"x":"}]\"{"}}}`,
		`{"a":{"groups":{"i":123456789012345678901}}}`,
		`{"a" : { "groups" : { "g" : 1 , "h" : 2 } , "vars" : { "k" : [ 1 , { } ] } , "other" : [1] } }`,
		`{"\u00e9\ud83d\ude00":{"groups":{"g\"q":7,"\u0067":8}}}`,
		"{\"bad utf8 \xff\":{\"groups\":{\"\xfe\":1}}}",
		`{"a":{"groups":{"g":1.5}}}`,
		`{"a":{"groups":{"g":1e3}}}`,
		`{"a":{"groups":{"g":"1"}}}`,
		`{"a":{"groups":{"g":-}}}`,
		`{"a":{"vars":[]}}`,
		`{"a":{"vars":{"x":"\\"}}}`,
	} {
		checkScan(t, []byte(in))
	}
}

// TestScanGarbled checks that every cut and every one-byte change of a
// bucket gives an error or what decodeHostBucket reads, never a panic.
func TestScanGarbled(t *testing.T) {
	hosts, _ := fleetData(t, 1000)
	data := hosts[0][:600]
	data = append(append([]byte(nil), data...), hosts[0][len(hosts[0])-600:]...) // a few records, whole or cut
	for i := range data {
		if _, err := scanHostBucket(data[:i]); err == nil {
			t.Fatalf("a bucket cut at byte %d was read without error", i)
		}
		for _, c := range []byte{'{', '}', '"', '\\', ':', ',', '[', ']', '-', '9', 'x', 0, 0xff} {
			garbled := append([]byte(nil), data...)
			garbled[i] = c
			checkScan(t, garbled)
		}
	}
}

// TestLoadCorrupt checks that both whole reads name what is corrupt: a
// bucket that does not scan and a graph that does not hold alike (they
// share one assembly), and, for Load, which decodes the vars that the scan
// only steps over (LoadEncoded prints them as they are), the host or group
// whose vars are damaged.
func TestLoadCorrupt(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	res, err := s.Replace(ctx, fleet(5), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gen := s.cfg.Root + "/" + res.Version.Generation
	hostP, groupP := hostBucketPath(gen, 0, 1), groupBucketPath(gen, 0, 1)
	const okGroups = `{"all":{},"ungrouped":{}}`
	reads := []struct {
		name string
		read func() error
	}{
		{"LoadEncoded", func() error { _, _, err := s.LoadEncoded(ctx); return err }},
		{"Load", func() error { _, _, err := s.Load(ctx); return err }},
	}
	for _, c := range []struct {
		hosts, groups, want string
		loadOnly            bool
	}{
		{`{"a":{"vars":{`, okGroups, hostP + " is corrupt", false},
		{`{"a":{"groups":{"all":"x"}}}`, okGroups, hostP + " is corrupt", false},
		{`{"a":{"groups":{"nosuch":1}}}`, okGroups, `group "nosuch", which does not exist`, false},
		{`{}`, `{"all":{"children":["gone"]},"ungrouped":{}}`, `child "gone", which does not exist`, false},
		{`{}`, `{"all":{}}`, "lacks the group", false},
		{`{}`, `{"all":{"vars":[]}}`, groupP + " is corrupt", false},
		{`{"a":{"vars":{"x":nul},"groups":{"all":1}}}`, okGroups, `corrupt: host "a": vars`, true},
		{`{"a":{"file_vars":{"x":[1,}},"groups":{"all":1}}}`, okGroups, `corrupt: host "a": file_vars`, true},
		{`{}`, `{"all":{"vars":{"y":tru}},"ungrouped":{}}`, `corrupt: group "all": vars`, true},
	} {
		if _, err := s.conn.Set(hostP, []byte(c.hosts), -1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.conn.Set(groupP, []byte(c.groups), -1); err != nil {
			t.Fatal(err)
		}
		for _, r := range reads {
			if c.loadOnly && r.name != "Load" {
				continue
			}
			if err := r.read(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s of hosts %s, groups %s: got %v, want an error with %q", r.name, c.hosts, c.groups, err, c.want)
			}
		}
	}
}

// checkEncoded fails unless assembling the scanned buckets gives what the
// oracle gives from the decoded ones: the same Encode for --list (encoded),
// the same inventory and positions for Load and the writers (inventory).
func checkEncoded(t *testing.T, hosts, groups [][]byte) {
	t.Helper()
	sn, err := scanSnapshot(hosts, groups)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := sn.encoded()
	if err != nil {
		t.Fatal(err)
	}
	var dh [][]hostEntry
	var dg [][]groupEntry
	for _, d := range hosts {
		b, err := decodeHostBucket(d)
		if err != nil {
			t.Fatal(err)
		}
		dh = append(dh, b)
	}
	for _, d := range groups {
		b, err := decodeGroupBucket(d)
		if err != nil {
			t.Fatal(err)
		}
		dg = append(dg, b)
	}
	want, wantPos, err := oracleInventory(dh, dg)
	if err != nil {
		t.Fatal(err)
	}
	if wantEnc := mustEncode(t, want); !enc.Equal(wantEnc) {
		t.Fatalf("encoded differs from the oracle's Encode:\n%s\n%s", renderEncoded(t, wantEnc), renderEncoded(t, enc))
	}
	sn, err = scanSnapshot(hosts, groups)
	if err != nil {
		t.Fatal(err)
	}
	got, gotPos, err := sn.inventory(true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffInv(want, got); diff != "" {
		t.Fatalf("inventory differs from the oracle's (-oracle +inventory):\n%s", diff)
	}
	if diff := cmp.Diff(wantPos, gotPos); diff != "" {
		t.Fatalf("positions differ from the oracle's (-oracle +inventory):\n%s", diff)
	}
}

// TestEncodedOrder checks members come out by position, then name, in
// groups whose order is and is not their names' order.
func TestEncodedOrder(t *testing.T) {
	checkEncoded(t, [][]byte{
		[]byte(`{"b":{"groups":{"g":5,"all":3}},"d":{"groups":{"g":10,"all":0}},"a":{"groups":{"g":5,"all":3}}}`),
		[]byte(`{"c":{"groups":{"g":-1,"all":2}},"e":{"groups":{"all":3}}}`),
	}, [][]byte{[]byte(`{"all":{"children":["g","ungrouped"]},"g":{},"ungrouped":{}}`)})

	inv := fleet(1000)
	for i, name := range inv.GroupNames() {
		g := inv.Groups[name]
		switch i % 3 {
		case 0:
			slices.Reverse(g.Hosts)
		case 1:
			rand.New(rand.NewPCG(uint64(i), 0)).Shuffle(len(g.Hosts), func(a, b int) { g.Hosts[a], g.Hosts[b] = g.Hosts[b], g.Hosts[a] })
		}
	}
	for _, inv := range append([]*kook.Inventory{inv}, slices.Collect(maps.Values(sampleInventories()))...) {
		hosts, groups := fleetBuckets(t, inv)
		checkEncoded(t, hosts, groups)
	}
}

// FuzzScanHostBucket checks scanHostBucket against decodeHostBucket on any
// input (see checkScan).
func FuzzScanHostBucket(f *testing.F) {
	hosts, _ := fleetBuckets(f, fleet(5))
	f.Add(hosts[0])
	f.Add([]byte(`{"a":{"groups":{"g":-5,"h":0},"vars":{"x":"}]\"{"}},"b":{}}`))
	f.Add([]byte(`{"\u00e9":{"groups":{"g\"q":7}}}`))
	f.Fuzz(func(t *testing.T, data []byte) { checkScan(t, data) })
}

// The oracle: the store once read its buckets this way, decoding every
// record whole (with the per-record decoder the small writes still use)
// and putting the graph together on its own. assemble must agree with it.

// decodeHostBucket decodes a whole host bucket.
func decodeHostBucket(data []byte) ([]hostEntry, error) {
	return decodeBucket(data, (*decoder).hostRecord)
}

// decodeGroupBucket decodes a whole group bucket.
func decodeGroupBucket(data []byte) ([]groupEntry, error) {
	return decodeBucket(data, (*decoder).groupRecord)
}

// decodeBucket decodes every record of a bucket with rec.
func decodeBucket[E any](data []byte, rec func(d *decoder, name string) (E, error)) ([]E, error) {
	d := newDecoder(data, nil)
	var out []E
	err := d.names(func(name string) error {
		e, err := rec(d, name)
		out = append(out, e)
		return err
	})
	if err == nil {
		err = d.end()
	}
	return out, err
}

// oracleInventory assembles decoded buckets: members sorted by position,
// then name, with the positions returned per group and host.
func oracleInventory(hosts [][]hostEntry, groups [][]groupEntry) (*kook.Inventory, map[string]map[string]int64, error) {
	type memberPos struct {
		pos  int64
		host string
	}
	inv := kook.New()
	for _, b := range groups {
		for _, e := range b {
			inv.Groups[e.name] = &kook.Group{Name: e.name, Vars: e.vars, FileVars: e.fileVars, Children: e.children}
		}
	}
	members := map[string][]memberPos{}
	for _, b := range hosts {
		for _, e := range b {
			inv.Hosts[e.name] = &kook.Host{Name: e.name, Vars: e.vars, FileVars: e.fileVars}
			for _, m := range e.groups {
				members[m.group] = append(members[m.group], memberPos{m.pos, e.name})
			}
		}
	}
	pos := map[string]map[string]int64{}
	for name, list := range members {
		g := inv.Groups[name]
		if g == nil {
			return nil, nil, fmt.Errorf("host %q is in group %q, which does not exist", list[0].host, name)
		}
		slices.SortFunc(list, func(a, b memberPos) int {
			switch {
			case a.pos < b.pos:
				return -1
			case a.pos > b.pos:
				return 1
			}
			return strings.Compare(a.host, b.host)
		})
		pos[name] = map[string]int64{}
		for _, m := range list {
			g.Hosts = append(g.Hosts, m.host)
			pos[name][m.host] = m.pos
		}
	}
	for _, g := range inv.Groups {
		for _, c := range g.Children {
			if inv.Groups[c] == nil {
				return nil, nil, fmt.Errorf("group %q has child %q, which does not exist", g.Name, c)
			}
		}
	}
	if inv.Groups[kook.All] == nil || inv.Groups[kook.Ungrouped] == nil {
		return nil, nil, fmt.Errorf("it lacks the group %q or %q", kook.All, kook.Ungrouped)
	}
	return inv, pos, nil
}
