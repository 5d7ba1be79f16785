// Package poll runs background polls: a source that is slow or remote
// (etcd members, the API server's /metrics) is read on a schedule and
// scrapes serve its last result, so neither scrape frequency nor an HA pair
// of Prometheus servers multiplies the load on it.
package poll

import (
	"context"
	"time"
)

// Every calls fn at once and then every interval until ctx is done.
func Every(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
