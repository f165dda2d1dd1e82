package coord

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook/store"
)

// HoldAlive says host is alive for as long as ctx lives: an ephemeral
// sequential node ROOT/alive/HOST~N, which ZooKeeper deletes when the
// session ends (the process died, or lost its network for longer than the
// session timeout). An exists watch on the node fires when it goes; after
// a session loss go-zookeeper opens a new session, and the node is made
// again in it. A check every check interval makes sure of it should a
// watch be lost with its session. When ctx ends the node is deleted.
// Errors of ZooKeeper are retried (the node comes back when ZooKeeper
// does); each one is passed to report, when set.
func (c *Client) HoldAlive(ctx context.Context, host string, h Holder, check time.Duration, report func(error)) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if report == nil {
		report = func(error) {}
	}
	parent := c.path(store.AliveNode)
	node := ""
	for {
		if node == "" {
			if err := c.ensureParents(); err != nil {
				report(err)
			} else if p, err := c.conn.Create(parent+"/"+NodeName(host)+seqSep, data, zk.FlagEphemeral|zk.FlagSequence, c.acl); err != nil {
				report(c.zkErr("create", parent, err))
			} else {
				node = p
			}
		}
		var ev <-chan zk.Event
		if node != "" {
			ok, _, ch, err := c.conn.ExistsW(node)
			switch {
			case err != nil:
				report(c.zkErr("watch", node, err))
			case !ok:
				node = "" // gone with its session: make it again
				continue
			default:
				ev = ch
			}
		}
		t := time.NewTimer(check)
		select {
		case <-ctx.Done():
			t.Stop()
			if node != "" {
				if err := c.conn.Delete(node, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
					return c.zkErr("delete", node, err)
				}
			}
			return nil
		case <-ev:
		case <-t.C:
		}
		t.Stop()
	}
}
