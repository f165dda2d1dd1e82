package cli

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/coord"
	"github.com/kook-project/kook/pkg/kook/store"
)

// The --list answer shows the coordination state (locks, maintenance,
// liveness) beside the inventory, so its cache key is the inventory's
// version plus the state's key, and an answer showing a maintenance that
// ends is not served past that end.

// listKey is the cache key of a --list answer: the inventory's version,
// then the state's key when the inventory uses coordination, so an
// inventory that never did keeps the key (and the answer) it had.
func listKey(v store.Version, stateKey string) string {
	if stateKey == "" {
		return versionKey(v)
	}
	return versionKey(v) + "+" + stateKey
}

// cacheVersion is what the cache keeps: the key, and "~" and the Unix
// time after which the answer is wrong when it has such a time.
func cacheVersion(key string, expires time.Time) string {
	if expires.IsZero() {
		return key
	}
	return key + "~" + strconv.FormatInt(expires.Unix(), 10)
}

// cachedFresh reports whether a cached answer's version is key and the
// answer has not expired.
func cachedFresh(cached, key string, now time.Time) bool {
	k, exp, ok := strings.Cut(cached, "~")
	if k != key {
		return false
	}
	if !ok {
		return true
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && now.Unix() < t
}

// statList returns the inventory's version and the state's key in one
// round trip (the requests go out together over the one connection).
func statList(ctx context.Context, st *store.Store) (string, error) {
	c := coord.New(st.Conn(), st.Root(), nil)
	var sk string
	var serr error
	done := make(chan struct{})
	go func() { defer close(done); sk, serr = c.StateKey(ctx) }()
	v, err := st.Version(ctx)
	<-done
	if err != nil {
		return "", err
	}
	if serr != nil {
		return "", serr
	}
	return listKey(v, sk), nil
}

// loadList reads the inventory and the state together and returns the
// answer to render and the version to cache it under.
func loadList(ctx context.Context, st *store.Store) (*kook.Encoded, string, error) {
	c := coord.New(st.Conn(), st.Root(), nil)
	var state *coord.State
	var serr error
	done := make(chan struct{})
	go func() { defer close(done); state, serr = c.ReadState(ctx) }()
	enc, v, err := st.LoadEncoded(ctx)
	<-done
	if err != nil {
		return nil, "", err
	}
	if serr != nil {
		return nil, "", serr
	}
	expires, err := state.Show(enc, time.Now())
	if err != nil {
		return nil, "", err
	}
	return enc, cacheVersion(listKey(v, state.Key), expires), nil
}
