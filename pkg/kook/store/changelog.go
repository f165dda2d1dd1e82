package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/pkg/kook"
)

// The change log: ROOT/log holds one sequential entry per write, created
// in the same multi as the change, named "w<writer id>-<sequence>" so that
// a writer that lost its connection mid-commit finds out whether its write
// was applied by looking for its id. Entries hold names, never values:
// vars may hold secrets.

// Actor says who writes, for the change log.
type Actor struct {
	// Who is the person or service; default the digest user, else the
	// OS user@hostname.
	Who string
	// Program is the command; default the base name of os.Args[0].
	Program string
	// Args are the command's arguments with secrets removed (the caller
	// knows which they are); default none.
	Args []string
}

// How a host or group changed, in LogEntry.Hosts and LogEntry.Groups.
const (
	LogAdded   = "added"
	LogRemoved = "removed"
	LogChanged = "changed"
)

// LogEntry is one write in the change log.
type LogEntry struct {
	// Seq orders the entries: a later write has a larger Seq.
	Seq int64
	// Time is when ZooKeeper committed the write.
	Time time.Time
	// Writer identifies the write.
	Writer       string
	Who, Program string
	Args         []string
	// What says what the write did, for a person ("set var port of host
	// web01", "replace the inventory").
	What string
	// Hosts and Groups name every host and group the write added, removed
	// or changed, with how (LogAdded, LogRemoved, LogChanged). Values are
	// never recorded.
	Hosts, Groups map[string]string
	// More counts names left out of an entry that would have grown past
	// maxLogEntry (a bulk import).
	More int
}

// LogQuery selects entries of the change log.
type LogQuery struct {
	// N is how many entries to return at most; 0 means 20.
	N int
	// Host and Group, when set, keep only the entries that name them.
	Host, Group string
}

const (
	// logKeep is how many entries the log keeps; older ones are deleted.
	logKeep = 10000
	// logCollectEvery: one write in this many collects the log, so that
	// collecting costs each write almost nothing.
	logCollectEvery = 256
	// maxLogEntry bounds one entry; names past it are counted, not kept.
	maxLogEntry = 32 << 10
)

// change is what one write did, for its log entry.
type change struct {
	what          string
	hosts, groups map[string]string
}

func (c *change) note(kind, name, how string) {
	m := &c.hosts
	if kind == kook.KindGroup {
		m = &c.groups
	}
	if *m == nil {
		*m = map[string]string{}
	}
	if old, ok := (*m)[name]; ok {
		// Added then changed is added; removed then added is changed.
		switch {
		case old == LogAdded && how == LogChanged:
			return
		case old == LogRemoved && how == LogAdded:
			how = LogChanged
		case old == LogAdded && how == LogRemoved:
			delete(*m, name)
			return
		}
	}
	(*m)[name] = how
}

// actor fills in the defaults of cfg.Actor.
func defaultActor(cfg Config) Actor {
	a := cfg.Actor
	if a.Who == "" {
		if user, _, ok := strings.Cut(cfg.Digest, ":"); ok && user != "" {
			a.Who = user
		} else {
			a.Who = osUser()
		}
	}
	if a.Program == "" && len(os.Args) > 0 {
		a.Program = filepath.Base(os.Args[0])
	}
	return a
}

// osUser is user@hostname of this process.
func osUser() string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// logEntry encodes the entry of a write.
func (s *Store) logEntry(writer string, c *change) []byte {
	b := []byte(`{"writer":`)
	b = kook.AppendString(b, writer)
	if s.cfg.NoChangeLog {
		return append(b, '}')
	}
	a := s.actor()
	b = append(b, `,"who":`...)
	b = kook.AppendString(b, a.Who)
	b = append(b, `,"program":`...)
	b = kook.AppendString(b, a.Program)
	b = append(b, `,"args":`...)
	b = appendStrings(b, a.Args)
	b = append(b, `,"what":`...)
	b = kook.AppendString(b, c.what)
	more := 0
	for _, part := range []struct {
		key   string
		names map[string]string
	}{{"groups", c.groups}, {"hosts", c.hosts}} { // groups are fewer: all of them fit
		b = append(b, `,"`+part.key+`":{`...)
		first := true
		for _, name := range sortedNames(part.names) {
			if len(b)+len(name)+16 > maxLogEntry {
				more++
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = kook.AppendString(b, name)
			b = append(b, ':')
			b = kook.AppendString(b, part.names[name])
		}
		b = append(b, '}')
	}
	if more > 0 {
		b = append(b, `,"more":`...)
		b = strconv.AppendInt(b, int64(more), 10)
	}
	return append(b, '}')
}

func sortedNames(m map[string]string) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// logOps are the ops that record a write in the log: the log parent's
// data set to the writer (unconditionally, so writers never conflict on
// it; its mzxid becomes the version) and the entry.
func (s *Store) logOps(writer string, c *change) []any {
	return []any{
		&zk.SetDataRequest{Path: s.logP, Data: []byte(writer), Version: -1},
		&zk.CreateRequest{Path: s.logP + "/w" + writer + "-", Data: s.logEntry(writer, c), Flags: zk.FlagSequence, Acl: s.acl},
	}
}

// entrySeq returns the sequence number of a log entry's name, or -1.
func entrySeq(name string) int64 {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || !strings.HasPrefix(name, "w") {
		return -1
	}
	n, err := strconv.ParseInt(name[i+1:], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// afterCommit collects the log now and then: one write in
// logCollectEvery lists the log and deletes the entries past the newest
// logKeep. Errors are ignored: the next collection does it.
func (s *Store) afterCommit(ctx context.Context, entryPath string) {
	if entrySeq(entryPath[strings.LastIndexByte(entryPath, '/')+1:])%logCollectEvery != 0 {
		return
	}
	s.collectLog(ctx, logKeep)
}

// collectLog deletes every log entry but the newest keep.
func (s *Store) collectLog(ctx context.Context, keep int) {
	cctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	names, err := s.children(cctx, s.logP)
	if err != nil || len(names) <= keep {
		return
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(entrySeq(a), entrySeq(b)) })
	old := names[:len(names)-keep]
	// One request each, pipelined: a multi would fail whole on an entry
	// another collector deleted first.
	s.watchMany(cctx, allIndexes(len(old)), func(i int) (bool, error) {
		err := s.conn.Delete(s.logP+"/"+old[i], -1)
		if errors.Is(err, zk.ErrNoNode) {
			err = nil
		}
		return false, err
	})
}

// Log returns the newest entries of the change log that q selects, newest
// first. A root without a log (empty, or written only by an older kook)
// gives none.
func (s *Store) Log(ctx context.Context, q LogQuery) ([]LogEntry, error) {
	if q.N <= 0 {
		q.N = 20
	}
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	names, err := s.children(ctx, s.logP)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names = slices.DeleteFunc(names, func(n string) bool { return entrySeq(n) < 0 })
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(entrySeq(b), entrySeq(a)) })
	var out []LogEntry
	batch := min(q.N, 64)
	if q.Host != "" || q.Group != "" {
		batch = 256
	}
	for len(names) > 0 && len(out) < q.N {
		n := min(batch, len(names))
		paths := make([]string, n)
		for i := range paths {
			paths[i] = s.logP + "/" + names[i]
		}
		data, stats, err := s.getMany(ctx, paths, nil)
		if err != nil {
			return nil, err
		}
		for i := range paths {
			if stats[i] == nil {
				continue // collected meanwhile
			}
			e, err := decodeLogEntry(data[i])
			if err != nil {
				return nil, fmt.Errorf("ZooKeeper node %s is corrupt: %v", paths[i], err)
			}
			e.Seq = entrySeq(names[i])
			e.Time = time.UnixMilli(stats[i].Ctime)
			if q.Host != "" && e.Hosts[q.Host] == "" {
				continue
			}
			if q.Group != "" && e.Groups[q.Group] == "" {
				continue
			}
			out = append(out, e)
			if len(out) == q.N {
				break
			}
		}
		names = names[n:]
	}
	return out, nil
}

func decodeLogEntry(data []byte) (LogEntry, error) {
	var e LogEntry
	v, err := kook.DecodeJSON(data)
	if err != nil {
		return e, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return e, errors.New("not a JSON object")
	}
	e.Writer, _ = obj["writer"].(string)
	e.Who, _ = obj["who"].(string)
	e.Program, _ = obj["program"].(string)
	e.What, _ = obj["what"].(string)
	args, _ := obj["args"].([]any)
	for _, a := range args {
		if s, ok := a.(string); ok {
			e.Args = append(e.Args, s)
		}
	}
	names := func(key string) map[string]string {
		m, _ := obj[key].(map[string]any)
		if len(m) == 0 {
			return nil
		}
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[k], _ = v.(string)
		}
		return out
	}
	e.Hosts, e.Groups = names("hosts"), names("groups")
	more, _ := obj["more"].(int64)
	e.More = int(more)
	return e, nil
}

// bucketChanges notes in c every record that differs between the old and
// new contents of some buckets (kind: kook.KindHost or kook.KindGroup),
// and for hosts every group whose members (or their order) changed with
// them. Comparing records, not graphs, is exact, costs only the buckets
// that changed, and serves small and full writes alike.
func bucketChanges(c *change, kind string, old, new [][]byte) error {
	if kind == kook.KindHost {
		return hostChanges(c, old, new)
	}
	oldRecs := map[string][]byte{}
	for _, d := range old {
		recs, err := splitBucket(d)
		if err != nil {
			return err
		}
		for _, r := range recs {
			oldRecs[r.name] = r.json
		}
	}
	for _, d := range new {
		recs, err := splitBucket(d)
		if err != nil {
			return err
		}
		for _, r := range recs {
			o, ok := oldRecs[r.name]
			delete(oldRecs, r.name)
			switch {
			case !ok:
				c.note(kind, r.name, LogAdded)
			case string(o) != string(r.json):
				c.note(kind, r.name, LogChanged)
			}
		}
	}
	for name := range oldRecs {
		c.note(kind, name, LogRemoved)
	}
	return nil
}

func hostChanges(c *change, old, new [][]byte) error {
	oldHosts := map[string]encHost{}
	for _, d := range old {
		hosts, err := scanHostBucket(d)
		if err != nil {
			return err
		}
		for _, h := range hosts {
			oldHosts[h.name] = h
		}
	}
	members := func(h encHost, g map[string]int64) {
		for _, m := range h.groups {
			g[string(m.group)] = m.pos
		}
	}
	moved := func(o, n encHost) bool {
		og, ng := map[string]int64{}, map[string]int64{}
		members(o, og)
		members(n, ng)
		changed := false
		for g, p := range og {
			if q, ok := ng[g]; !ok || q != p {
				c.note(kook.KindGroup, g, LogChanged)
				changed = true
			}
		}
		for g := range ng {
			if _, ok := og[g]; !ok {
				c.note(kook.KindGroup, g, LogChanged)
				changed = true
			}
		}
		return changed
	}
	for _, d := range new {
		hosts, err := scanHostBucket(d)
		if err != nil {
			return err
		}
		for _, h := range hosts {
			o, ok := oldHosts[h.name]
			delete(oldHosts, h.name)
			if !ok {
				c.note(kook.KindHost, h.name, LogAdded)
				moved(encHost{}, h)
				continue
			}
			if moved(o, h) || string(o.vars) != string(h.vars) {
				c.note(kook.KindHost, h.name, LogChanged)
			}
		}
	}
	for name, h := range oldHosts {
		c.note(kook.KindHost, name, LogRemoved)
		moved(h, encHost{})
	}
	return nil
}
