package cli

import (
	"fmt"
	"io"
	"time"
)

// newProgress returns a progress callback that redraws one line on w at
// most ten times a second; a call with done < 0 clears the line.
func newProgress(w io.Writer, what string) func(done, total int) {
	var last time.Time
	drawn := false
	return func(done, total int) {
		if done < 0 {
			if drawn {
				fmt.Fprint(w, "\r\033[K")
			}
			return
		}
		if now := time.Now(); done < total && now.Sub(last) < 100*time.Millisecond {
			return
		} else {
			last = now
		}
		pct := 0
		if total > 0 {
			pct = done * 100 / total
		}
		const width = 30
		bar := make([]byte, width)
		for i := range bar {
			if i < pct*width/100 {
				bar[i] = '#'
			} else {
				bar[i] = '.'
			}
		}
		fmt.Fprintf(w, "\r%s [%s] %3d%% %d/%d", what, bar, pct, done, total)
		drawn = true
	}
}
