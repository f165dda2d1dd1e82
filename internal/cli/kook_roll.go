package cli

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/kook-project/kook/pkg/kook/coord"
)

// rollCmd is `kook roll`.
type rollCmd struct {
	Hosts          []string `arg:"" optional:"" name:"HOST" help:"Hosts to run on."`
	Group          string   `help:"Run on every host of group G and of the groups below it; the bound is then shared by every roll over G." placeholder:"G"`
	MaxUnavailable int      `help:"At most N hosts at a time (across every roll over the same group)." default:"1" placeholder:"N"`
	MaxFail        int      `help:"Start no more hosts once F have failed." default:"1" placeholder:"F"`
	Order          string   `help:"Order of the hosts: inventory or random." enum:"inventory,random" default:"inventory"`
	Reason         string   `help:"Why, shown as each host's lock reason (default: the command)." placeholder:"R"`
}

func (cmd *rollCmd) Run(k *kookRun) error {
	if len(k.command) == 0 {
		return usageError{errors.New("say what to run on each host: kook roll HOST... -- CMD [ARG...]")}
	}
	if cmd.MaxUnavailable < 1 {
		return usageError{errors.New("--max-unavailable must be at least 1")}
	}
	if cmd.MaxFail < 1 {
		return usageError{errors.New("--max-fail must be at least 1")}
	}
	hosts, err := k.targets(cmd.Hosts, cmd.Group)
	if err != nil {
		return err
	}
	if cmd.Order == "random" {
		rand.Shuffle(len(hosts), func(i, j int) { hosts[i], hosts[j] = hosts[j], hosts[i] })
	}
	c, err := k.coord()
	if err != nil {
		return err
	}
	g, err := k.startGuard()
	if err != nil {
		return err
	}
	defer g.Close()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	reason := cmd.Reason
	if reason == "" {
		reason = "kook roll: " + strings.Join(k.command, " ")
	}
	o := coord.RollOptions{
		Hosts: hosts, Group: cmd.Group, Max: cmd.MaxUnavailable, MaxFail: cmd.MaxFail,
		Argv: k.command, Holder: c.NewHolder(reason), Stdout: k.env.Stdout, Stderr: k.env.Stderr, Stop: sigs,
	}
	if isTerminal(k.env.Stderr) {
		o.Progress = func(running, done, failed, total int) {
			fmt.Fprintf(k.env.Stderr, "\rroll: %d/%d done, %d running, %d failed ", done, total, running, failed)
		}
	}
	results, err := c.Roll(k.ctx, g, o)
	if o.Progress != nil {
		fmt.Fprint(k.env.Stderr, "\r\033[K")
	}
	var conflict *coord.SemConflictError
	if errors.As(err, &conflict) {
		return err
	}
	if results != nil {
		printRollSummary(k, results)
	}
	failed := 0
	for _, r := range results {
		if r.Failed() || !r.Ran {
			failed++
		}
	}
	var fenced *coord.FencedError
	switch {
	case errors.As(err, &fenced):
		return exitError{exitFenced, err}
	case err != nil:
		return err
	case failed > 0:
		return exitError{1, fmt.Errorf("%d of %d host(s) failed or did not run", failed, len(results))}
	}
	return nil
}

// printRollSummary writes the table of what happened on each host to
// stderr: stdout carries the commands' own output.
func printRollSummary(k *kookRun, results []coord.HostResult) {
	tw := tabwriter.NewWriter(k.env.Stderr, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tRESULT\tEXIT\tTOOK")
	for _, r := range results {
		result, exit, took := "ok", fmt.Sprint(r.Code), r.End.Sub(r.Start).Round(time.Millisecond).String()
		switch {
		case !r.Ran:
			result, exit, took = "not run", "-", "-"
		case r.Err != nil:
			result = "failed: " + r.Err.Error()
		case r.Code != 0:
			result = "failed"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Host, result, exit, took)
	}
	tw.Flush()
}
