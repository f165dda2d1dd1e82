package cli

import "errors"

// watchCmd is `kook watch`.
type watchCmd struct {
	Group string `help:"Only changes about group G, the groups below it and their hosts." placeholder:"G"`
	JSON  bool   `name:"json" help:"JSON lines (the default; kept for scripts that say it)."`
}

func (cmd *watchCmd) Run(k *kookRun) error { return errors.New("not yet") }
