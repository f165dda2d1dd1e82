package coord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook/store"
)

// Maint is a host's maintenance record.
type Maint struct {
	Owner  string    `json:"owner"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
	// Until, when set, ends the maintenance: from then on the record is
	// as if absent, whoever reads it (evaluated at read time).
	Until *time.Time `json:"until,omitempty"`
}

// ActiveAt reports whether the record puts its host in maintenance at t.
func (m Maint) ActiveAt(t time.Time) bool { return m.Until == nil || t.Before(*m.Until) }

// MaintInfo is one host's record as MaintList lists it.
type MaintInfo struct {
	Host string `json:"host"`
	Maint
}

// MaintOn puts each host in maintenance with m, replacing any record it
// had. Each record is replaced by delete and create in one multi, so the
// parent's pzxid moves and cached readers notice.
func (c *Client) MaintOn(ctx context.Context, hosts []string, m Maint) error {
	if err := c.ensureParents(); err != nil {
		return err
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	for _, h := range hosts {
		p := c.path(store.MaintNode) + "/" + NodeName(h)
		for attempt := 0; ; attempt++ {
			ok, st, err := c.conn.Exists(p)
			if err != nil {
				return c.zkErr("read", p, err)
			}
			var ops []any
			if ok {
				ops = append(ops, &zk.DeleteRequest{Path: p, Version: st.Version})
			}
			ops = append(ops, &zk.CreateRequest{Path: p, Data: data, Acl: c.acl})
			_, err = c.conn.Multi(ops...)
			if err == nil {
				break
			}
			racing := errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrBadVersion)
			if !racing || attempt >= 10 {
				return c.zkErr("write", p, err)
			}
		}
	}
	return nil
}

// MaintOff ends each host's maintenance and returns the records removed
// (a host not in maintenance has none; it is not an error).
func (c *Client) MaintOff(ctx context.Context, hosts []string) ([]MaintInfo, error) {
	var out []MaintInfo
	for _, h := range hosts {
		p := c.path(store.MaintNode) + "/" + NodeName(h)
		data, st, err := c.conn.Get(p)
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			return out, c.zkErr("read", p, err)
		}
		if err := c.conn.Delete(p, st.Version); err != nil && !errors.Is(err, zk.ErrNoNode) {
			return out, c.zkErr("delete", p, err)
		}
		var m Maint
		json.Unmarshal(data, &m)
		out = append(out, MaintInfo{Host: h, Maint: m})
	}
	return out, nil
}

// MaintList returns every maintenance record in force now, sorted by host.
func (c *Client) MaintList(ctx context.Context) ([]MaintInfo, error) {
	st, err := c.ReadState(ctx)
	if err != nil {
		return nil, err
	}
	now := c.Now()
	var out []MaintInfo
	for h, m := range st.Maint {
		if m.ActiveAt(now) {
			out = append(out, MaintInfo{Host: h, Maint: m})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out, nil
}

// ParseUntil reads --until: a duration from now ("2h") or an RFC 3339 time.
func ParseUntil(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("--until %s: want a positive duration", s)
		}
		return now.Add(d).UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--until %q: want a duration such as 2h or a time such as 2026-01-02T15:04:05Z", s)
	}
	return t.UTC(), nil
}
