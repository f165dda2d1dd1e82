package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kook-project/kook/pkg/kook"
)

// TestChangeLog: every write records who, the program and its arguments,
// what and which names changed, never values; Log filters and orders.
func TestChangeLog(t *testing.T) {
	ctx := context.Background()
	s := open(t, func(c *Config) {
		c.Actor = Actor{Who: "alice", Program: "kook", Args: []string{"host", "set", "web01"}}
	})
	inv := kook.New()
	inv.AddMember("web", "web01")
	inv.AddMember("db", "db01")
	inv.Reconcile()
	if _, err := s.Replace(ctx, inv, WriteOptions{What: "import fleet.ini"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHostVar(ctx, "web01", "password", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveHost(ctx, "db01"); err != nil {
		t.Fatal(err)
	}
	all, err := s.Log(ctx, LogQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("%d entries: %+v", len(all), all)
	}
	rm, set, imp := all[0], all[1], all[2]
	if !(rm.Seq > set.Seq && set.Seq > imp.Seq) || rm.Time.Before(imp.Time) {
		t.Errorf("not newest first: %+v", all)
	}
	if imp.What != "import fleet.ini" || imp.Hosts["web01"] != LogAdded || imp.Hosts["db01"] != LogAdded || imp.Groups["web"] != LogAdded {
		t.Errorf("import entry: %+v", imp)
	}
	if set.Who != "alice" || set.Program != "kook" || strings.Join(set.Args, " ") != "host set web01" ||
		set.What != "set var password of host web01" || len(set.Hosts) != 1 || set.Hosts["web01"] != LogChanged {
		t.Errorf("set entry: %+v", set)
	}
	if rm.Hosts["db01"] != LogRemoved {
		t.Errorf("remove entry: %+v", rm)
	}
	for _, e := range all {
		if strings.Contains(fmt.Sprint(e), "s3cret") {
			t.Errorf("a value reached the log: %+v", e)
		}
	}
	byHost, err := s.Log(ctx, LogQuery{Host: "db01"})
	if err != nil || len(byHost) != 2 || byHost[0].Seq != rm.Seq || byHost[1].Seq != imp.Seq {
		t.Errorf("--host db01: %+v, %v", byHost, err)
	}
	byGroup, err := s.Log(ctx, LogQuery{Group: "db"})
	// Membership lives on hosts: removing db01 changed db too.
	if err != nil || len(byGroup) != 2 || byGroup[0].Groups["db"] != LogChanged || byGroup[1].Groups["db"] != LogAdded {
		t.Errorf("--group db: %+v, %v", byGroup, err)
	}
	one, err := s.Log(ctx, LogQuery{N: 1})
	if err != nil || len(one) != 1 || one[0].Seq != rm.Seq {
		t.Errorf("N=1: %+v, %v", one, err)
	}
}

// TestChangeLogDefaultsAndOff: without an Actor the entry names the OS
// user; with NoChangeLog it holds only the writer id.
func TestChangeLogDefaultsAndOff(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if err := s.AddHost(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	e, err := s.Log(ctx, LogQuery{N: 1})
	if err != nil || len(e) != 1 || !strings.Contains(e[0].Who, "@") || e[0].Program == "" {
		t.Errorf("default actor: %+v, %v", e, err)
	}
	off := open(t, func(c *Config) { c.NoChangeLog = true })
	if err := off.AddHost(ctx, "a", nil); err != nil {
		t.Fatal(err)
	}
	e, err = off.Log(ctx, LogQuery{N: 1})
	if err != nil || len(e) != 1 || e[0].Writer == "" || e[0].Who != "" || e[0].Hosts != nil {
		t.Errorf("log off: %+v, %v", e, err)
	}
}

// TestChangeLogBounded: collecting keeps the newest entries and later
// writes and reads go on.
func TestChangeLogBounded(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	for i := range 30 {
		if err := s.AddHost(ctx, fmt.Sprintf("h%02d", i), nil); err != nil {
			t.Fatal(err)
		}
	}
	s.collectLog(ctx, 10)
	names, err := s.children(ctx, s.logP)
	if err != nil || len(names) != 10 {
		t.Fatalf("%d entries after collecting to 10: %v", len(names), err)
	}
	if err := s.AddHost(ctx, "last", nil); err != nil {
		t.Fatal(err)
	}
	e, err := s.Log(ctx, LogQuery{N: 100})
	if err != nil || len(e) != 11 || e[0].Hosts["last"] != LogAdded || e[10].Hosts["h20"] != LogAdded {
		t.Errorf("after collecting: %d entries, %v", len(e), err)
	}
}

// TestChangeLogEntryBounded: an entry of a write that touches more names
// than fit keeps what fits and counts the rest.
func TestChangeLogEntryBounded(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.Replace(ctx, fleet(5000), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	e, err := s.Log(ctx, LogQuery{N: 1})
	if err != nil || len(e) != 1 {
		t.Fatal(e, err)
	}
	// 500 groups added and "all" changed; "ungrouped" stays empty.
	if e[0].More == 0 || len(e[0].Groups) != 501 || len(e[0].Hosts)+e[0].More != 5000 {
		t.Errorf("%d hosts, %d groups, %d more", len(e[0].Hosts), len(e[0].Groups), e[0].More)
	}
}
