package cli

import "errors"

// rollCmd is `kook roll`.
type rollCmd struct {
	Hosts          []string `arg:"" optional:"" name:"HOST" help:"Hosts to run on."`
	Group          string   `help:"Run on every host of group G and of the groups below it." placeholder:"G"`
	MaxUnavailable int      `help:"At most N hosts at a time, across every roll over the same group." default:"1" placeholder:"N"`
	MaxFail        int      `help:"Stop starting hosts after F failures (0: stop after the first)." default:"0" placeholder:"F"`
	Order          string   `help:"Order of the hosts: inventory or random." enum:"inventory,random" default:"inventory"`
}

func (cmd *rollCmd) Run(k *kookRun) error { return errors.New("not yet") }
