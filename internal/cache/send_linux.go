package cache

import (
	"fmt"
	"os"
	"syscall"
)

// sendAnswer copies the answer from the entry's file to out inside the
// kernel (sendfile), so its pages are handed over rather than copied
// through this process. It reports how much went out; a destination
// sendfile does not take (a terminal, say) sends nothing and no error.
func (e *Entry) sendAnswer(out *os.File) (int64, error) {
	off := e.body
	end := e.body + e.length
	for off < end {
		n, err := syscall.Sendfile(int(out.Fd()), int(e.f.Fd()), &off, int(min(end-off, 1<<30)))
		if err == syscall.EINTR || err == syscall.EAGAIN {
			continue
		}
		if err != nil {
			if off == e.body && (err == syscall.EINVAL || err == syscall.ENOSYS) {
				return 0, nil
			}
			return off - e.body, err
		}
		if n == 0 {
			// The file ended early: it was cut after Data checked it.
			return off - e.body, fmt.Errorf("cache: %w: the entry was cut while being sent", ErrCorrupt)
		}
	}
	return off - e.body, nil
}
