// Command kook-inventory serves the Ansible inventory kept in ZooKeeper
// through Ansible's inventory script protocol (--list, --host) and exports
// it as INI, YAML or JSON.
package main

import (
	"os"

	"github.com/kook-project/kook/internal/cli"
)

func main() { os.Exit(cli.Inventory(cli.OSEnv())) }
