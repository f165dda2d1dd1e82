package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/kook-project/kook/pkg/kook/store"
)

// registerCmd is `kook register`: idempotent self-registration, what
// cloud-init or a systemd unit runs at boot.
type registerCmd struct {
	Host      string   `arg:"" optional:"" help:"Host to register (default: this machine's fully qualified name)."`
	Assign    []string `arg:"" optional:"" name:"K=V" help:"Host vars, typed as Ansible types K=V after a host in an INI inventory."`
	Group     []string `short:"g" placeholder:"G" help:"Group to join (repeatable); a missing group is created under all."`
	Apply     bool     `help:"Apply the registrations filed by hosts that may not write (needs credentials that may); takes no host."`
	OpenQueue bool     `name:"open-queue" help:"Let hosts that may not write file registrations: the identity in KOOK_REGISTRAR (user:password) may only file them, or anyone when it is unset. Takes no host."`
	Hold      bool     `help:"Once registered, keep the host in kook_alive for as long as kook runs (a systemd service), until SIGINT or SIGTERM."`
}

func (c *registerCmd) Run(k *kookRun) error {
	if c.Apply || c.OpenQueue {
		if c.Host != "" || len(c.Assign) > 0 || len(c.Group) > 0 || c.Hold {
			return usageError{errors.New("--apply and --open-queue take no host, group, K=V or --hold")}
		}
		st, err := k.store()
		if err != nil {
			return err
		}
		if c.OpenQueue {
			if err := st.OpenQueue(k.ctx, k.env.Getenv("KOOK_REGISTRAR")); err != nil {
				return err
			}
			fmt.Fprintf(k.env.Stderr, "registration queue open under %s\n", st.Root())
		}
		if c.Apply {
			n, err := st.ApplyRegistrations(k.ctx)
			fmt.Fprintf(k.env.Stderr, "applied %d filed registration%s\n", n, plural(n))
			return err
		}
		return nil
	}
	// A first argument holding '=' is a var, not a host.
	args := c.Assign
	if strings.Contains(c.Host, "=") {
		args = append([]string{c.Host}, args...)
		c.Host = ""
	}
	vars, err := k.parseAssignments(args)
	if err != nil {
		return err
	}
	host := c.Host
	if host == "" {
		if host, err = fqdn(k.ctx); err != nil {
			return err
		}
	}
	st, err := k.store()
	if err != nil {
		return err
	}
	filed, err := st.Register(k.ctx, store.Registration{Host: host, Groups: c.Group, Vars: vars})
	if err != nil {
		return err
	}
	if filed {
		fmt.Fprintf(k.env.Stderr, "filed the registration of %s for a trusted writer to apply\n", host)
	} else {
		fmt.Fprintf(k.env.Stderr, "registered %s\n", host)
	}
	if c.Hold {
		return k.holdAlive(host)
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// fqdn is this machine's fully qualified name, as `hostname -f` gives it:
// the canonical name of the hostname, or the hostname when it has none.
// The lookup is bounded: a machine booting without DNS still registers.
func fqdn(ctx context.Context) (string, error) {
	name, err := os.Hostname()
	if err != nil {
		return "", fmt.Errorf("cannot tell this machine's name: %v", err)
	}
	if strings.Contains(name, ".") {
		return name, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if cname, err := net.DefaultResolver.LookupCNAME(ctx, name); err == nil && cname != "" {
		if c := strings.TrimSuffix(cname, "."); c != "" {
			return c, nil
		}
	}
	return name, nil
}
