package ansible

import (
	"errors"

	"github.com/kook-project/kook/pkg/kook"
)

// Read reads inventory sources — files, directories, "-" for stdin — and
// merges them in order the way Ansible merges several -i options, then
// reconciles the result. format, when not empty, overrides detection for
// every file source.
func Read(sources []string, format Format, warn Warner) (*kook.Inventory, error) {
	return nil, errors.New("Read not implemented yet")
}
