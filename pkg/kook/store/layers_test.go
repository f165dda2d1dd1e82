package store

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kook-project/kook/pkg/kook"
)

// layered is a small inventory with vars in both layers.
func layered() *kook.Inventory {
	inv := kook.New()
	inv.AddMember("web", "web01")
	inv.AddMember("web", "web02")
	if err := inv.AddChild("prod", "web"); err != nil {
		panic(err)
	}
	inv.Groups["web"].Vars["env"] = "web-inline"
	inv.Groups["prod"].FileVars = kook.Vars{"env": "prod-from-file", kook.PriorityVar: int64(10)}
	inv.Groups[kook.All].FileVars = kook.Vars{"http_port": int64(80)}
	inv.Hosts["web01"].Vars["role"] = "inline"
	inv.Hosts["web01"].FileVars = kook.Vars{"role": "file", "nested": map[string]any{"a": []any{1.5}}}
	inv.Reconcile()
	return inv
}

// TestFileVarsStored: both layers survive a write and every read (Load,
// LoadEncoded, a small write that keeps the other vars), and a record
// without vars files has no "file_vars" key, as in schema 1.
func TestFileVarsStored(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	inv := layered()
	if _, err := s.Replace(ctx, inv, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got, _ := mustLoad(t, s)
	if d := diffInv(inv, got); d != "" {
		t.Fatalf("Load after Replace (-want +got):\n%s", d)
	}
	enc, _, err := s.LoadEncoded(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, err := inv.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !enc.Equal(want) {
		t.Errorf("LoadEncoded differs from Encode")
	}
	if err := s.SetHostVar(ctx, "web01", "role", "set"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetGroupVar(ctx, "prod", "x", int64(1)); err != nil {
		t.Fatal(err)
	}
	inv.Hosts["web01"].Vars["role"] = "set"
	inv.Groups["prod"].Vars["x"] = int64(1)
	got, _ = mustLoad(t, s)
	if d := diffInv(inv, got); d != "" {
		t.Fatalf("Load after small writes (-want +got):\n%s", d)
	}
	bucket, _, err := s.conn.Get(s.cfg.Root + "/" + mustMeta(t, s).Current + "/h/" + bucketName(bucketOf("web02", mustMeta(t, s).HostBuckets), mustMeta(t, s).HostBuckets))
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(bucket, []byte(`"web02":`)); i < 0 || bytes.HasPrefix(bucket[i+len(`"web02":`):], []byte(`{"file_vars"`)) {
		t.Errorf("web02, without vars files, is stored as %s", bucket)
	}
}

func mustMeta(t *testing.T, s *Store) meta {
	t.Helper()
	data, _, err := s.conn.Get(s.metaP)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseMeta(s.metaP, data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSchema1Upgrade: a schema 1 root reads as it is, and its next write,
// small or whole, marks it schema 2.
func TestSchema1Upgrade(t *testing.T) {
	ctx := context.Background()
	for _, write := range []struct {
		name string
		do   func(s *Store) error
	}{
		{"small", func(s *Store) error { return s.SetHostVar(ctx, "host000001.example.com", "k", "v") }},
		{"whole", func(s *Store) error { _, err := s.Replace(ctx, fleet(3), WriteOptions{}); return err }},
	} {
		t.Run(write.name, func(t *testing.T) {
			s := open(t)
			inv := fleet(5)
			if _, err := s.Replace(ctx, inv, WriteOptions{}); err != nil {
				t.Fatal(err)
			}
			data, _, err := s.conn.Get(s.metaP)
			if err != nil {
				t.Fatal(err)
			}
			cur := fmt.Sprintf(`"schema":%d`, Schema)
			old := strings.Replace(string(data), cur, `"schema":1`, 1)
			if old == string(data) {
				t.Fatalf("meta does not say %s: %s", cur, data)
			}
			if _, err := s.conn.Set(s.metaP, []byte(old), -1); err != nil {
				t.Fatal(err)
			}
			// A schema 1 root has no change log.
			entries, _, err := s.conn.Children(s.logP)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if err := s.conn.Delete(s.logP+"/"+e, -1); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.conn.Delete(s.logP, -1); err != nil {
				t.Fatal(err)
			}
			got, _ := mustLoad(t, s)
			if d := diffInv(inv, got); d != "" {
				t.Fatalf("Load of the schema 1 root (-want +got):\n%s", d)
			}
			if err := write.do(s); err != nil {
				t.Fatal(err)
			}
			if m := mustMeta(t, s); m.Schema != Schema {
				t.Errorf("after a %s write the root is schema %d, want %d", write.name, m.Schema, Schema)
			}
		})
	}
}
