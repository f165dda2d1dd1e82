package ansible

import "github.com/kook-project/kook/pkg/kook"

// ParseINI reads an INI inventory as ansible-core 2.14's ini plugin does.
func ParseINI(file string, data []byte, warn Warner) (*kook.Inventory, error) {
	return nil, errorf(file, 0, "INI reader not implemented yet")
}
