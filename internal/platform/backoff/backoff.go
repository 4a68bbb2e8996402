// Package backoff retries start-up checks (is PostgreSQL up? is Redis?) with growing pauses.
package backoff

import (
	"context"
	"fmt"
	"time"
)

// Retry calls try until it succeeds or ctx ends, waiting 250 ms, 500 ms, … up to 5 s
// between attempts and telling onFail about each failure and the next pause.
func Retry(ctx context.Context, try func(context.Context) error, onFail func(err error, next time.Duration)) error {
	wait := 250 * time.Millisecond
	for {
		err := try(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		}
		onFail(err, wait)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}
