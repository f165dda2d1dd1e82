package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/pkg/kook"
)

// Self-registration. A host registering itself at boot should not hold
// credentials that can rewrite or wipe the inventory. The model:
//
//   - A store whose credentials may write the inventory (or a root without
//     credentials at all) applies a registration directly: one small
//     write, idempotent.
//   - A store whose credentials may not (ZooKeeper answers "not
//     authenticated") files it instead as a sequential node under
//     ROOT/queue, whose ACL grants its identity CREATE and nothing else:
//     it can add a registration, not read, change or delete anything.
//   - A trusted writer applies what is filed (ApplyRegistrations): every
//     kook-import, every `kook` verb that writes the inventory (before its
//     own write) and `kook register --apply`, with full credentials, does.
//     A registration is validated as any write is before it is applied.
//
// OpenQueue makes ROOT/queue with that ACL.

// Registration is what a host files about itself.
type Registration struct {
	// Host is the host's name.
	Host string
	// Groups are groups it joins (added to those it has; a missing group
	// is created under "all").
	Groups []string
	// Vars are set over the host's own.
	Vars kook.Vars
}

// ErrNoQueue is wrapped by the error of a Register that may not write the
// inventory and finds no registration queue to file into.
var ErrNoQueue = errors.New("no registration queue")

// Register registers a host, idempotently. When this store may write the
// inventory, the registration is applied before Register returns: it is
// filed under ROOT/queue and whichever registering writer holds the
// applier lock applies every filed registration it finds, many per
// multi, deleting them in the same multi (hosts booting together share
// a few commits instead of queueing on their buckets one by one). When
// this store may not write, the registration stays filed for a trusted
// writer, and Register reports filed.
func (s *Store) Register(ctx context.Context, r Registration) (filed bool, err error) {
	if err := checkRegistration(r); err != nil {
		return false, err
	}
	ctx, cancel := s.opContext(ctx, 3*s.cfg.Timeout)
	defer cancel()
	if _, err := s.writableHead(ctx); err != nil {
		if !errors.Is(err, zk.ErrNoAuth) {
			return false, err
		}
		// May not even read: file it.
		if _, ferr := s.file(ctx, r, false); ferr != nil {
			return false, fmt.Errorf("%v; filing it for a trusted writer instead: %w", err, ferr)
		}
		return true, nil
	}
	entry, err := s.file(ctx, r, true)
	if errors.Is(err, ErrNoQueue) {
		if err = s.makeQueue(ctx); err == nil {
			entry, err = s.file(ctx, r, true)
		}
	}
	if err != nil {
		// No queue to combine through: write directly.
		err = s.register(ctx, r, "register host "+r.Host)
		if !errors.Is(err, zk.ErrNoAuth) {
			return false, err
		}
		if _, ferr := s.file(ctx, r, false); ferr != nil {
			return false, fmt.Errorf("%v; filing it for a trusted writer instead: %w", err, ferr)
		}
		return true, nil
	}
	applied, err := s.await(ctx, entry)
	if errors.Is(err, zk.ErrNoAuth) || (err == nil && !applied) {
		// Filed, but this identity may not apply: a trusted writer will.
		return true, nil
	}
	return false, err
}

// makeQueue creates ROOT/queue with the store's ACL (OpenQueue adds the
// registrar's CREATE).
func (s *Store) makeQueue(ctx context.Context) error {
	err := s.do(ctx, func() error {
		_, err := s.conn.Create(s.queueP(), nil, 0, s.acl)
		if errors.Is(err, zk.ErrNodeExists) {
			return nil
		}
		return err
	})
	return s.zkError("create", s.queueP(), err)
}

// applierP is the lock whose holder applies filed registrations.
func (s *Store) applierP() string { return s.cfg.Root + "/applier" }

// await returns once the filed registration at entry is applied (true),
// refused (its error), or found not applicable by this identity (false,
// or ErrNoAuth). Meanwhile, whenever no one holds the applier lock, it
// takes it and applies what is filed.
func (s *Store) await(ctx context.Context, entry string) (bool, error) {
	for {
		var changed <-chan zk.Event
		var data []byte
		err := s.do(ctx, func() error {
			var err error
			data, _, changed, err = s.conn.GetW(entry)
			return err
		})
		if errors.Is(err, zk.ErrNoNode) {
			return true, nil
		}
		if err != nil {
			return false, s.zkError("read", entry, err)
		}
		if refused := refusal(data); refused != "" {
			s.do(ctx, func() error { return s.conn.Delete(entry, -1) })
			return false, errors.New(refused)
		}
		held, lockGone, err := s.applyAsLeader(ctx)
		if err != nil {
			return false, err
		}
		if held {
			continue // applied a round; look at our entry again
		}
		select {
		case <-changed:
		case <-lockGone:
		case <-ctx.Done():
			return false, fmt.Errorf("registration filed as %s but not applied in time: %w", entry, s.ctxErr(ctx))
		}
	}
}

// applyAsLeader takes the applier lock if it is free and applies every
// filed registration (held true). When another holds it, it returns a
// channel that fires when the lock is released.
func (s *Store) applyAsLeader(ctx context.Context) (held bool, released <-chan zk.Event, err error) {
	err = s.do(ctx, func() error {
		_, err := s.conn.Create(s.applierP(), nil, zk.FlagEphemeral, s.acl)
		return err
	})
	if errors.Is(err, zk.ErrNodeExists) {
		var ok bool
		err = s.do(ctx, func() error {
			var err error
			ok, _, released, err = s.conn.ExistsW(s.applierP())
			return err
		})
		if err == nil && !ok {
			return s.applyAsLeader(ctx)
		}
		return false, released, s.zkError("watch", s.applierP(), err)
	}
	if err != nil {
		return false, nil, s.zkError("create", s.applierP(), err)
	}
	defer s.unlockApplier()
	_, err = s.applyFiled(ctx)
	return true, nil, err
}

func checkRegistration(r Registration) error {
	if r.Host == "" {
		return errors.New("register: empty host name")
	}
	for _, g := range r.Groups {
		if g == "" {
			return fmt.Errorf("register %s: empty group name", r.Host)
		}
	}
	if _, err := kook.NormalizeValue(map[string]any(r.Vars)); err != nil {
		return fmt.Errorf("register %s: %v", r.Host, err)
	}
	return nil
}

// register applies r in one small write: the host is created if needed,
// joins r.Groups (each created under "all" if missing) and gets r.Vars.
// Nothing is written when it already holds all of that.
func (s *Store) register(ctx context.Context, r Registration, what string) error {
	nv, err := kook.NormalizeValue(map[string]any(r.Vars))
	if err != nil {
		return err
	}
	vars := kook.Vars(nv.(map[string]any))
	full := func(inv *kook.Inventory) error {
		h := inv.AddHost(r.Host)
		for _, g := range r.Groups {
			inv.AddMember(g, r.Host)
		}
		for k, v := range vars {
			h.Vars[k] = kook.CopyValue(v)
		}
		return nil
	}
	for _, g := range r.Groups {
		if g == kook.All || g == kook.Ungrouped {
			return s.smallFull(ctx, what, full)
		}
	}
	return s.small(ctx, what, func(t *txn) error { return applyRegistration(t, Registration{r.Host, r.Groups, vars}) }, full)
}

// applyRegistration applies r (its vars normalized) on t's buckets,
// writing nothing when the inventory already holds all of it.
func applyRegistration(t *txn, r Registration) error {
	e, err := t.host(r.Host)
	if err != nil {
		return err
	}
	changed := false
	if e == nil {
		e = &hostEntry{name: r.Host, vars: kook.Vars{}}
		changed = true
	}
	for _, g := range r.Groups {
		if g == kook.All || g == kook.Ungrouped {
			return errFull
		}
		if slices.ContainsFunc(e.groups, func(m membership) bool { return m.group == g }) {
			continue
		}
		if err := t.join(e, g); err != nil {
			return err
		}
		changed = true
	}
	e.groups = reconcileHost(e.groups, t)
	if setVars(e.vars, r.Vars) {
		changed = true
	}
	if !changed {
		return nil
	}
	return t.putHost(e)
}

// setVars sets vars over own and reports whether anything changed.
func setVars(own, vars kook.Vars) bool {
	changed := false
	for k, v := range vars {
		if old, ok := own[k]; !ok || !kook.EqualValues(old, v) {
			own[k] = kook.CopyValue(v)
			changed = true
		}
	}
	return changed
}

// queueP is the parent of filed registrations.
func (s *Store) queueP() string { return s.cfg.Root + "/queue" }

// file files r under ROOT/queue and returns its node. wait says a
// registering writer waits on it (await), so a refusal is written into it
// for that writer to read rather than deleted. The node lets this
// identity do anything with it and anyone read it (the trusted writer
// must, and the filer cannot know the writer's identity): registrations
// must not carry secrets.
func (s *Store) file(ctx context.Context, r Registration, wait bool) (string, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	acl := zk.WorldACL(zk.PermRead)
	if s.cfg.Digest != "" {
		user, password, _ := strings.Cut(s.cfg.Digest, ":")
		acl = append(acl, zk.DigestACL(zk.PermAll, user, password)...)
	} else {
		acl = zk.WorldACL(zk.PermAll)
	}
	data, err := encodeRegistration(r, s.actor.Who, wait)
	if err != nil {
		return "", err
	}
	p, err := run(s, ctx, func() (string, error) {
		return s.conn.Create(s.queueP()+"/r-", data, zk.FlagSequence, acl)
	})
	if errors.Is(err, zk.ErrNoNode) {
		return "", fmt.Errorf("%s does not exist: an operator opens it with `kook register --open-queue`: %w", s.queueP(), ErrNoQueue)
	}
	if err != nil {
		return "", s.zkError("file a registration under", s.queueP(), err)
	}
	return p, nil
}

// refusal is the reason written into a refused registration, or "".
func refusal(data []byte) string {
	v, err := kook.DecodeJSON(data)
	if obj, ok := v.(map[string]any); err == nil && ok {
		if why, ok := obj["refused"].(string); ok {
			return why
		}
	}
	return ""
}

func encodeRegistration(r Registration, who string, wait bool) ([]byte, error) {
	b := []byte(`{"host":`)
	b = kook.AppendString(b, r.Host)
	b = append(b, `,"groups":`...)
	b = appendStrings(b, r.Groups)
	b = append(b, `,"vars":`...)
	b, err := kook.AppendVars(b, r.Vars)
	if err != nil {
		return nil, fmt.Errorf("registration of host %s: %w", quoteName(r.Host), err)
	}
	b = append(b, `,"who":`...)
	b = kook.AppendString(b, who)
	if wait {
		b = append(b, `,"wait":true`...)
	}
	return append(b, '}'), nil
}

func decodeRegistration(data []byte) (r Registration, who string, wait bool, err error) {
	v, err := kook.DecodeJSON(data)
	obj, ok := v.(map[string]any)
	if err != nil || !ok {
		return r, "", false, errors.New("not a JSON object")
	}
	r.Host, _ = obj["host"].(string)
	groups, _ := obj["groups"].([]any)
	for _, g := range groups {
		name, ok := g.(string)
		if !ok {
			return r, "", false, errors.New("a group is not a string")
		}
		r.Groups = append(r.Groups, name)
	}
	vars, ok := obj["vars"].(map[string]any)
	if !ok {
		return r, "", false, errors.New("no vars object")
	}
	r.Vars = kook.Vars(vars)
	who, _ = obj["who"].(string)
	wait, _ = obj["wait"].(bool)
	return r, who, wait, checkRegistration(r)
}

// OpenQueue creates ROOT/queue, where identities that may not write the
// inventory file registrations. registrar is the "user:password" of the
// identity allowed to file (CREATE and nothing else; and CREATE and
// DELETE of liveness nodes under ROOT/alive); empty lets anyone file. The
// store's own identity keeps every right. An existing queue gets that ACL.
func (s *Store) OpenQueue(ctx context.Context, registrar string) error {
	if _, err := s.writableHead(ctx); err != nil {
		return err
	}
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	grant := func(perms int32) []zk.ACL { return zk.WorldACL(perms) }
	if registrar != "" {
		user, password, ok := strings.Cut(registrar, ":")
		if !ok || user == "" {
			return errors.New("bad registrar credentials: want user:password")
		}
		grant = func(perms int32) []zk.ACL { return zk.DigestACL(perms, user, password) }
	}
	// The registrar files into the queue, and `kook register --hold`
	// keeps its liveness node (ephemeral) under ROOT/alive: creating and
	// deleting a child there is all it may do.
	for _, n := range []struct {
		path  string
		perms int32
	}{
		{s.queueP(), zk.PermCreate},
		{s.cfg.Root + "/" + AliveNode, zk.PermCreate | zk.PermDelete},
	} {
		acl := append(slices.Clone(s.acl), grant(n.perms)...)
		err := s.do(ctx, func() error {
			_, err := s.conn.Create(n.path, nil, 0, acl)
			if errors.Is(err, zk.ErrNodeExists) {
				_, err = s.conn.SetACL(n.path, acl, -1)
			}
			return err
		})
		if err != nil {
			return s.zkError("open", n.path, err)
		}
	}
	return nil
}

// ApplyRegistrations applies every filed registration, oldest first, many
// per multi, deleting each in the multi that applies it (applying one
// twice would do no harm: registering is idempotent). A registration that
// cannot be applied (an invalid name, a record too large) is refused: a
// writer waiting on it is told why, one filed by a host that may not write
// is deleted and named in the error. It returns how many it applied. A
// root without a queue has nothing to apply; when another writer is
// applying, it leaves the work to it.
func (s *Store) ApplyRegistrations(ctx context.Context) (int, error) {
	lctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	names, err := s.children(lctx, s.queueP())
	cancel()
	if errors.Is(err, zk.ErrNoNode) || (err == nil && len(names) == 0) {
		return 0, nil // the common case costs one read
	}
	if err != nil {
		return 0, err
	}
	err = s.do(ctx, func() error {
		_, err := s.conn.Create(s.applierP(), nil, zk.FlagEphemeral, s.acl)
		return err
	})
	if errors.Is(err, zk.ErrNodeExists) {
		return 0, nil
	}
	if err != nil {
		return 0, s.zkError("create", s.applierP(), err)
	}
	defer s.unlockApplier()
	return s.applyFiled(ctx)
}

// unlockApplier releases the applier lock, within the store's timeout even
// when the caller's context has ended (else it goes with the session).
func (s *Store) unlockApplier() {
	ctx, cancel := s.opContext(context.Background(), s.cfg.Timeout)
	defer cancel()
	s.do(ctx, func() error { return s.conn.Delete(s.applierP(), -1) })
}

// filed is one registration read from the queue.
type filed struct {
	path string
	r    Registration
	who  string
	wait bool
	ver  int32
}

// maxBatchBuckets bounds the host buckets one batch of registrations
// writes, so that its multi stays under maxMultiBytes.
const maxBatchBuckets = 12

// applyFiled applies what the queue holds until it is empty (bounded by
// rounds), with the applier lock held.
func (s *Store) applyFiled(ctx context.Context) (int, error) {
	applied := 0
	var errs []error
	limit := maxBatchBuckets
	known := map[string]*filed{} // by entry name; nil: not to apply
	for round := 0; round < 4*maxSmallAttempts; round++ {
		lctx, cancel := s.opContext(ctx, s.cfg.Timeout)
		names, err := s.children(lctx, s.queueP())
		if err != nil {
			cancel()
			if errors.Is(err, zk.ErrNoNode) {
				break
			}
			return applied, err
		}
		slices.Sort(names) // r-0000000001...: oldest first
		// Entries do not change once filed: each is read once.
		var fresh []string
		for _, n := range names {
			if _, ok := known[n]; !ok {
				fresh = append(fresh, s.queueP()+"/"+n)
			}
		}
		data, stats, err := s.getMany(lctx, fresh, nil)
		cancel()
		if err != nil {
			return applied, err
		}
		for i, p := range fresh {
			name := p[len(s.queueP())+1:]
			switch {
			case stats[i] == nil:
			case refusal(data[i]) != "":
				known[name] = nil // refused, waiting for its writer
			default:
				r, who, wait, derr := decodeRegistration(data[i])
				f := &filed{p, r, who, wait, stats[i].Version}
				if derr != nil {
					errs = append(errs, s.refuse(ctx, *f, derr))
					known[name] = nil
					continue
				}
				known[name] = f
			}
		}
		var todo []filed
		for _, n := range names {
			if f := known[n]; f != nil {
				todo = append(todo, *f)
			}
		}
		if len(todo) == 0 {
			break
		}
		n, bad, err := s.applyBatch(ctx, todo, limit)
		switch {
		case err == nil:
			applied += n
			limit = maxBatchBuckets
		case errors.Is(err, ErrConflict):
			s.retries.Add(1)
			if serr := sleep(ctx, min(round, 5)); serr != nil {
				return applied, serr
			}
		case bad == nil && errors.Is(err, errFull) && limit > 1:
			limit /= 2 // the batch's multi was too large
		case bad != nil || errors.Is(err, errFull):
			// One registration cannot be applied in a batch: apply it
			// alone (the full path handles what the small one cannot),
			// refusing it if that fails too.
			f := todo[0]
			if bad != nil {
				f = *bad
			}
			known[f.path[len(s.queueP())+1:]] = nil
			if rerr := s.register(ctx, f.r, applyWhat([]filed{f})); rerr != nil {
				errs = append(errs, s.refuse(ctx, f, rerr))
			} else {
				applied++
				s.do(ctx, func() error { return s.conn.Delete(f.path, -1) })
			}
		default:
			return applied, errors.Join(append(errs, err)...)
		}
	}
	return applied, errors.Join(errs...)
}

// applyBatch applies the first of todo, those whose hosts fall in at most
// limit host buckets, in one small write that deletes their entries. It
// returns how many it applied; bad is the registration that failed, when
// one did.
func (s *Store) applyBatch(ctx context.Context, todo []filed, limit int) (n int, bad *filed, err error) {
	var batch []filed
	err = s.smallOnce(ctx, "", func(t *txn) error {
		batch, bad = batch[:0], nil
		buckets := map[string]bool{}
		for i := range todo {
			f := &todo[i]
			p := t.hostPath(f.r.Host)
			if !buckets[p] && len(buckets) >= limit {
				continue
			}
			buckets[p] = true
			if err := applyRegistration(t, f.r); err != nil {
				bad = f
				return err
			}
			batch = append(batch, *f)
			t.extra = append(t.extra, &zk.DeleteRequest{Path: f.path, Version: f.ver})
		}
		t.change.what = applyWhat(batch)
		return nil
	})
	if err != nil {
		return 0, bad, err
	}
	return len(batch), nil, nil
}

// applyWhat says what applying batch does, for the change log.
func applyWhat(batch []filed) string {
	if len(batch) == 1 {
		return fmt.Sprintf("apply the registration of host %s filed by %s", batch[0].r.Host, batch[0].who)
	}
	var who []string
	for _, f := range batch {
		if !slices.Contains(who, f.who) {
			who = append(who, f.who)
		}
	}
	slices.Sort(who)
	return fmt.Sprintf("apply %d registrations filed by %s", len(batch), strings.Join(who, ", "))
}

// refuse marks a registration that cannot be applied: a waiting writer
// reads why; one nobody waits for is deleted. It returns the error to
// report.
func (s *Store) refuse(ctx context.Context, f filed, why error) error {
	err := fmt.Errorf("registration %s refused: %v", f.path, why)
	if f.wait {
		b := kook.AppendString([]byte(`{"refused":`), err.Error())
		s.do(ctx, func() error { _, err := s.conn.Set(f.path, append(b, '}'), -1); return err })
		return err
	}
	s.do(ctx, func() error { return s.conn.Delete(f.path, -1) })
	return err
}
