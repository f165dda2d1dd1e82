package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/coord"
)

// watchCmd is `kook watch`.
type watchCmd struct {
	Group string `help:"Only changes about group G, the groups below it and their hosts." placeholder:"G"`
	JSON  bool   `name:"json" help:"Print each change as one JSON object on a line (else one line for a person)."`
}

func (cmd *watchCmd) Run(k *kookRun) error {
	// A watch keeps the inventory for as long as it runs: the collector's
	// default pace, not the short verbs' (Kook).
	debug.SetGCPercent(100)
	st, err := k.store()
	if err != nil {
		return err
	}
	c, err := k.coord()
	if err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(k.ctx, syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	lastErr := ""
	w := &coord.Watcher{
		C:     c,
		Group: cmd.Group,
		WatchVersion: func(ctx context.Context) (string, <-chan zk.Event, error) {
			v, ch, err := st.WatchVersion(ctx)
			return versionKey(v), ch, err
		},
		Load: func(ctx context.Context) (*kook.Inventory, string, error) {
			inv, v, err := st.Load(ctx)
			return inv, versionKey(v), err
		},
		// A lost connection is said once, on stderr; the watch resumes
		// when ZooKeeper answers again.
		Retry: func(err error) {
			if msg := err.Error(); msg != lastErr {
				lastErr = msg
				k.warn(fmt.Sprintf("%v; retrying", err))
			}
		},
	}
	if cmd.Group != "" {
		inv, _, err := st.Load(ctx)
		if err != nil {
			return err
		}
		if inv.Groups[cmd.Group] == nil {
			return fmt.Errorf("no group %q in the inventory", cmd.Group)
		}
	}
	err = w.Run(ctx, func(e coord.Event) error {
		lastErr = ""
		line, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if len(k.command) > 0 {
			return runForEvent(k, line)
		}
		if cmd.JSON {
			_, err = fmt.Fprintf(k.env.Stdout, "%s\n", line)
		} else {
			_, err = fmt.Fprintln(k.env.Stdout, eventLine(e))
		}
		return err
	})
	if ctx.Err() != nil && k.ctx.Err() == nil {
		return nil // interrupted: the normal end of a watch
	}
	return err
}

// runForEvent runs the command with one event on its stdin; a failing
// command is reported and the watch goes on.
func runForEvent(k *kookRun, line []byte) error {
	proc, err := coord.StartCommand(k.command, nil, bytes.NewReader(append(line, '\n')), k.env.Stdout, k.env.Stderr)
	if err != nil {
		return err
	}
	if code, err := proc.ExitCode(); err != nil || code != 0 {
		k.warn(fmt.Sprintf("%s exited with status %d for %s", k.command[0], code, line))
	}
	return nil
}

// eventLine is an event for a person.
func eventLine(e coord.Event) string {
	s := e.Time.Format("15:04:05") + " " + e.Event
	switch {
	case e.Change != "":
		return s + " " + e.Change
	case e.Holder != nil:
		return s + " " + e.Host + " " + e.Holder.String()
	case e.Maintenance != nil:
		return fmt.Sprintf("%s %s by %s: %q", s, e.Host, e.Maintenance.Owner, e.Maintenance.Reason)
	}
	return s + " " + e.Host
}
