package cli

import (
	"fmt"
	"os/signal"
	"syscall"
)

// holdAlive keeps host's liveness node (the kook_alive group) for as long
// as kook runs, making it again after a session loss, until SIGINT or
// SIGTERM (a service stop). It is what `kook register --hold` runs once
// the host is registered.
func (k *kookRun) holdAlive(host string) error {
	c, err := k.coord()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(k.ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	last := ""
	report := func(err error) {
		// Said once per kind of trouble, on stderr (the journal).
		if msg := err.Error(); msg != last {
			last = msg
			k.warn(fmt.Sprintf("%v; holding %s alive again when ZooKeeper answers", err, host))
		}
	}
	return c.HoldAlive(ctx, host, c.NewHolder("kook register --hold"), k.st.SessionTimeout()/2, report)
}
