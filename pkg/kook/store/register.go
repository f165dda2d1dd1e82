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
//     kook-import and `kook register --apply` with full credentials does.
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

// Register registers a host: directly when this store may write the
// inventory, else by filing it under ROOT/queue for a trusted writer. It
// reports whether the registration was filed rather than applied.
func (s *Store) Register(ctx context.Context, r Registration) (filed bool, err error) {
	if err := checkRegistration(r); err != nil {
		return false, err
	}
	err = s.register(ctx, r, "register host "+r.Host)
	if !errors.Is(err, zk.ErrNoAuth) {
		return false, err
	}
	if ferr := s.file(ctx, r); ferr != nil {
		return false, fmt.Errorf("%v; filing it for a trusted writer instead: %w", err, ferr)
	}
	return true, nil
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
	return s.small(ctx, what, func(t *txn) error {
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
			if slices.ContainsFunc(e.groups, func(m membership) bool { return m.group == g }) {
				continue
			}
			if err := t.join(e, g); err != nil {
				return err
			}
			changed = true
		}
		if e.groups, err = reconcileHost(e.groups, t); err != nil {
			return err
		}
		if setVars(e.vars, vars) {
			changed = true
		}
		if !changed {
			return nil
		}
		return t.putHost(e)
	}, full)
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

// file files r under ROOT/queue. The node lets this identity do anything
// with it and anyone read it (the trusted writer must, and the filer
// cannot know the writer's identity): registrations must not carry
// secrets.
func (s *Store) file(ctx context.Context, r Registration) error {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	acl := zk.WorldACL(zk.PermRead)
	if s.cfg.Digest != "" {
		user, password, _ := strings.Cut(s.cfg.Digest, ":")
		acl = append(acl, zk.DigestACL(zk.PermAll, user, password)...)
	} else {
		acl = zk.WorldACL(zk.PermAll)
	}
	data := encodeRegistration(r, s.actor.Who)
	_, err := run(s, ctx, func() (string, error) {
		return s.conn.Create(s.queueP()+"/r-", data, zk.FlagSequence, acl)
	})
	if errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("%s does not exist: an operator opens it with `kook register --open-queue`: %w", s.queueP(), ErrNoQueue)
	}
	if err != nil {
		return s.zkError("file a registration under", s.queueP(), err)
	}
	return nil
}

func encodeRegistration(r Registration, who string) []byte {
	b := []byte(`{"host":`)
	b = kook.AppendString(b, r.Host)
	b = append(b, `,"groups":`...)
	b = appendStrings(b, r.Groups)
	b = append(b, `,"vars":`...)
	b = appendVars(b, r.Vars)
	b = append(b, `,"who":`...)
	b = kook.AppendString(b, who)
	return append(b, '}')
}

func decodeRegistration(data []byte) (Registration, string, error) {
	var r Registration
	v, err := kook.DecodeJSON(data)
	obj, ok := v.(map[string]any)
	if err != nil || !ok {
		return r, "", errors.New("not a JSON object")
	}
	r.Host, _ = obj["host"].(string)
	groups, _ := obj["groups"].([]any)
	for _, g := range groups {
		name, ok := g.(string)
		if !ok {
			return r, "", errors.New("a group is not a string")
		}
		r.Groups = append(r.Groups, name)
	}
	vars, ok := obj["vars"].(map[string]any)
	if !ok {
		return r, "", errors.New("no vars object")
	}
	r.Vars = kook.Vars(vars)
	who, _ := obj["who"].(string)
	return r, who, checkRegistration(r)
}

// OpenQueue creates ROOT/queue, where identities that may not write the
// inventory file registrations. registrar is the "user:password" of the
// identity allowed to file (CREATE and nothing else); empty lets anyone
// file. The store's own identity keeps every right. An existing queue gets
// that ACL.
func (s *Store) OpenQueue(ctx context.Context, registrar string) error {
	if _, err := s.writableHead(ctx); err != nil {
		return err
	}
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	acl := zk.WorldACL(zk.PermCreate)
	if registrar != "" {
		user, password, ok := strings.Cut(registrar, ":")
		if !ok || user == "" {
			return errors.New("bad registrar credentials: want user:password")
		}
		acl = zk.DigestACL(zk.PermCreate, user, password)
	}
	acl = append(slices.Clone(s.acl), acl...)
	err := s.do(ctx, func() error {
		_, err := s.conn.Create(s.queueP(), nil, 0, acl)
		if errors.Is(err, zk.ErrNodeExists) {
			_, err = s.conn.SetACL(s.queueP(), acl, -1)
		}
		return err
	})
	return s.zkError("open", s.queueP(), err)
}

// ApplyRegistrations applies every filed registration, oldest first, and
// deletes it once applied (applying one twice does no harm: registering
// is idempotent). A registration that cannot be applied (an invalid name,
// a cycle) is deleted too and named in the error; the others are still
// applied. It returns how many it applied. A root without a queue has
// nothing to apply.
func (s *Store) ApplyRegistrations(ctx context.Context) (int, error) {
	lctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	names, err := s.children(lctx, s.queueP())
	cancel()
	if errors.Is(err, zk.ErrNoNode) || len(names) == 0 {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	slices.Sort(names) // r-0000000001...: oldest first
	applied := 0
	var errs []error
	for _, name := range names {
		p := s.queueP() + "/" + name
		gctx, cancel := s.opContext(ctx, s.cfg.Timeout)
		data, _, err := s.get(gctx, p)
		cancel()
		if errors.Is(err, zk.ErrNoNode) {
			continue // another writer applied it
		}
		if err != nil {
			return applied, err
		}
		r, who, derr := decodeRegistration(data)
		if derr == nil {
			derr = s.register(ctx, r, fmt.Sprintf("apply the registration of host %s filed by %s", r.Host, who))
			if derr != nil && (errors.Is(derr, ErrConflict) || ambiguous(derr)) {
				return applied, derr // left filed for the next writer
			}
		}
		if derr != nil {
			errs = append(errs, fmt.Errorf("registration %s refused: %v", p, derr))
		} else {
			applied++
		}
		dctx, cancel := s.opContext(ctx, s.cfg.Timeout)
		err = s.do(dctx, func() error { return s.conn.Delete(p, -1) })
		cancel()
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			return applied, s.zkError("delete", p, err)
		}
	}
	return applied, errors.Join(errs...)
}
