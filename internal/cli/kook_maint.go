package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kook-project/kook/pkg/kook/coord"
)

// maintCmd is `kook maint on|off|list`.
type maintCmd struct {
	On   maintOnCmd   `cmd:"" help:"Put hosts in maintenance: kook maint on HOST... --reason R [--until DUR|RFC3339]."`
	Off  maintOffCmd  `cmd:"" help:"Take hosts out of maintenance."`
	List maintListCmd `cmd:"" help:"List the hosts in maintenance now: who, why, since, until."`
}

type maintOnCmd struct {
	Hosts  []string `arg:"" name:"HOST" help:"Hosts to put in maintenance."`
	Reason string   `required:"" help:"Why, shown to Ansible as kook_maintenance.reason." placeholder:"R"`
	Until  string   `help:"End of the maintenance: a duration from now (2h) or an RFC 3339 time; none by default." placeholder:"DUR|RFC3339"`
}

func (cmd *maintOnCmd) Run(k *kookRun) error {
	if strings.TrimSpace(cmd.Reason) == "" {
		return usageError{errors.New("--reason must say why")}
	}
	now := time.Now().UTC().Truncate(time.Second)
	m := coord.Maint{Owner: coord.Owner(), Reason: cmd.Reason, Since: now}
	if cmd.Until != "" {
		u, err := coord.ParseUntil(cmd.Until, now)
		if err != nil {
			return usageError{err}
		}
		if !u.After(now) {
			return usageError{fmt.Errorf("--until %s is not in the future", cmd.Until)}
		}
		m.Until = &u
	}
	if _, err := k.targets(cmd.Hosts, ""); err != nil {
		return err
	}
	c, err := k.coord()
	if err != nil {
		return err
	}
	if err := c.MaintOn(k.ctx, cmd.Hosts, m); err != nil {
		return err
	}
	until := ""
	if m.Until != nil {
		until = " until " + m.Until.Format(time.RFC3339)
	}
	fmt.Fprintf(k.env.Stderr, "%d host(s) in maintenance%s: %s\n", len(cmd.Hosts), until, strings.Join(cmd.Hosts, ", "))
	return nil
}

type maintOffCmd struct {
	Hosts []string `arg:"" name:"HOST" help:"Hosts to take out of maintenance."`
}

func (cmd *maintOffCmd) Run(k *kookRun) error {
	c, err := k.coord()
	if err != nil {
		return err
	}
	removed, err := c.MaintOff(k.ctx, cmd.Hosts)
	for _, r := range removed {
		fmt.Fprintf(k.env.Stderr, "%s out of maintenance (was %s since %s: %q)\n", r.Host, r.Owner, r.Since.Format(time.RFC3339), r.Reason)
	}
	if err != nil {
		return err
	}
	if len(removed) < len(cmd.Hosts) {
		k.warn(fmt.Sprintf("%d of the hosts named were not in maintenance", len(cmd.Hosts)-len(removed)))
	}
	return nil
}

type maintListCmd struct {
	JSON bool `name:"json" help:"One JSON object per host instead of a table."`
}

func (cmd *maintListCmd) Run(k *kookRun) error {
	c, err := k.coord()
	if err != nil {
		return err
	}
	list, err := c.MaintList(k.ctx)
	if err != nil {
		return err
	}
	if cmd.JSON {
		return writeJSONLines(k.env.Stdout, list)
	}
	if len(list) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(k.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tOWNER\tSINCE\tUNTIL\tREASON")
	for _, m := range list {
		until := "-"
		if m.Until != nil {
			until = m.Until.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Host, m.Owner, m.Since.Format(time.RFC3339), until, m.Reason)
	}
	return tw.Flush()
}
