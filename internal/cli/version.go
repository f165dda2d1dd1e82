package cli

import "runtime/debug"

// stamped is the version `make build` writes in with -ldflags -X (git
// describe): the Go toolchain's own VCS stamp is missing wherever
// GOFLAGS=-buildvcs=false or the tree is not a git checkout.
var stamped string

// Version names the build: what `make build` stamped, else the module
// version when built by `go install module@version`, else the VCS
// revision the binary was built from, else "(devel)".
func Version() string {
	if stamped != "" {
		return stamped
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "(devel)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}
