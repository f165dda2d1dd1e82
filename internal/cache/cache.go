// Package cache keeps kook-inventory's last answer on local disk, so that
// when the inventory has not changed Ansible gets it after one round trip
// to ZooKeeper (the version check) instead of a full read.
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// format changes whenever what kook-inventory caches changes shape, so an
// upgraded binary never serves an older binary's answer.
const format = "kook-cache-1"

// Cache is a directory of answers, one file per (servers, root).
type Cache struct {
	dir string
}

// Open returns the cache under os.UserCacheDir()/kook (so XDG_CACHE_HOME
// moves it). The directory is created on first Put.
func Open() (*Cache, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &Cache{dir: filepath.Join(base, "kook")}, nil
}

// At returns a cache kept in dir.
func At(dir string) *Cache { return &Cache{dir: dir} }

// Entry is one cached answer.
type Entry struct {
	Version string    // the inventory version the data was made from
	Data    []byte    // the answer
	Saved   time.Time // when it was written
}

func (c *Cache) path(servers []string, root string) string {
	sum := sha256.Sum256([]byte(format + "\x00" + strings.Join(servers, ",") + "\x00" + root))
	return filepath.Join(c.dir, hex.EncodeToString(sum[:12])+".json")
}

// Get returns the entry kept for servers and root, whatever its version.
// A missing or unreadable entry is simply absent.
func (c *Cache) Get(servers []string, root string) (Entry, bool) {
	p := c.path(servers, root)
	data, err := os.ReadFile(p)
	if err != nil {
		return Entry{}, false
	}
	header, body, ok := bytes.Cut(data, []byte("\n"))
	if !ok {
		return Entry{}, false
	}
	fields := strings.Fields(string(header))
	if len(fields) != 2 || fields[0] != format {
		return Entry{}, false
	}
	info, err := os.Stat(p)
	if err != nil {
		return Entry{}, false
	}
	return Entry{Version: fields[1], Data: body, Saved: info.ModTime()}, true
}

// Put keeps data as the answer for servers and root at version. It writes a
// temporary file and renames it, so a concurrent Get sees the old entry or
// the new one, never a mix.
func (c *Cache) Put(servers []string, root, version string, data []byte) error {
	if strings.ContainsAny(version, " \n") || version == "" {
		return errors.New("cache: bad version")
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	f, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	defer os.Remove(f.Name())
	buf := make([]byte, 0, len(format)+len(version)+2+len(data))
	buf = append(buf, format...)
	buf = append(buf, ' ')
	buf = append(buf, version...)
	buf = append(buf, '\n')
	buf = append(buf, data...)
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("cache: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(f.Name(), c.path(servers, root)); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Remove forgets the entry for servers and root.
func (c *Cache) Remove(servers []string, root string) error {
	err := os.Remove(c.path(servers, root))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
