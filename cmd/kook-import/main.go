// Command kook-import imports Ansible inventories into ZooKeeper, checks
// them for drift against it, and converts between inventory formats.
package main

import (
	"os"

	"github.com/kook-project/kook/internal/cli"
)

func main() { os.Exit(cli.Import(cli.OSEnv())) }
