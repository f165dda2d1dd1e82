package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"
)

// TestLargestMultiFits checks the one-multi budget against a real server
// with ZooKeeper's default jute.maxbuffer: a multi of maxMultiOps-1 bucket
// writes totalling maxMultiBytes (as write counts them), plus meta, must
// be applied, or the in-place write path would lose its connection.
func TestLargestMultiFits(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	for p := ""; p != s.cfg.Root; {
		next, _, _ := strings.Cut(s.cfg.Root[len(p)+1:], "/")
		p += "/" + next
		if _, err := s.conn.Create(p, nil, 0, s.acl); err != nil && err != zk.ErrNodeExists {
			t.Fatal(err)
		}
	}
	for _, shape := range []struct{ nodes, ops int }{{16, 16}, {4, maxMultiOps - 1}} {
		t.Run(fmt.Sprintf("%d-writes", shape.ops), func(t *testing.T) {
			base := fmt.Sprintf("%s/multi-%d", s.cfg.Root, shape.ops)
			var create []any
			create = append(create, &zk.CreateRequest{Path: base, Acl: s.acl})
			for i := 0; i < shape.nodes; i++ {
				create = append(create, &zk.CreateRequest{Path: fmt.Sprintf("%s/%04d", base, i), Acl: s.acl})
			}
			if _, err := s.multi(ctx, create); err != nil {
				t.Fatal(err)
			}
			var ops []any
			size := 0
			for i := 0; i < shape.ops; i++ {
				p := fmt.Sprintf("%s/%04d", base, i%shape.nodes)
				n := (maxMultiBytes-size)/(shape.ops-i) - len(p) - 32
				ops = append(ops, &zk.SetDataRequest{Path: p, Data: make([]byte, n), Version: -1})
				size += n + len(p) + 32
			}
			ops = append(ops, &zk.SetDataRequest{Path: base, Data: make([]byte, 200), Version: -1})
			if size > maxMultiBytes || size < maxMultiBytes-shape.ops {
				t.Fatalf("built %d bytes, want %d", size, maxMultiBytes)
			}
			res, err := s.multi(ctx, ops)
			if err != nil {
				t.Fatalf("a multi of %d writes, %d bytes: %v", len(ops), size, err)
			}
			if len(res) != len(ops) {
				t.Fatalf("%d results for %d ops", len(res), len(ops))
			}
		})
	}
}
