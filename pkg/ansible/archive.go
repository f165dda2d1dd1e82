package ansible

import "github.com/kook-project/kook/pkg/kook"

// ParseArchive reads the archive the original Python Kook's `kook dump` writes.
func ParseArchive(file string, data []byte, warn Warner) (*kook.Inventory, error) {
	return nil, errorf(file, 0, "archive reader not implemented yet")
}
