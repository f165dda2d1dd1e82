package store

// Coordination state (host locks, maintenance, liveness, roll semaphores)
// lives beside the inventory under the same root, in these parents; what
// they hold is pkg/kook/coord's. A root that holds only them holds no
// inventory yet, and is not "something kook did not write".
const (
	LocksNode = "locks"
	MaintNode = "maint"
	AliveNode = "alive"
	SemNode   = "sem"
	// LockLogNode keeps a record of each lock released by its holder, so
	// a watcher learns of a lock taken and released between two reads.
	LockLogNode = "locklog"
)

// IsStateNode reports whether name, a child of the root, is one of the
// coordination parents.
func IsStateNode(name string) bool {
	switch name {
	case LocksNode, MaintNode, AliveNode, SemNode, LockLogNode:
		return true
	}
	return false
}
