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
)

// IsStateNode reports whether name, a child of the root, is one of the
// coordination parents.
func IsStateNode(name string) bool {
	switch name {
	case LocksNode, MaintNode, AliveNode, SemNode:
		return true
	}
	return false
}
