// Command kook manages the live inventory kept in ZooKeeper: hosts, groups,
// vars, self-registration, the change log, and coordination of the hosts it
// lists.
package main

import (
	"os"

	"github.com/kook-project/kook/internal/cli"
)

func main() { os.Exit(cli.Kook(cli.OSEnv())) }
