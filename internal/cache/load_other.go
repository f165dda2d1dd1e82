//go:build !linux

package cache

import (
	"errors"
	"io"
	"os"
)

// load reads the first size bytes of f (one byte more would be a file
// grown since Get, which Data's size check refuses).
func load(f *os.File, size int64) ([]byte, func(), error) {
	buf := make([]byte, size)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	return buf[:n], nil, nil
}
