package poll

import "time"

// RoundBound is the longest a round over n targets can take, whatever the
// targets do, when reads start at most perSecond a second, concurrency at
// a time, and each ends within timeout: the start schedule plus
// ceil(n/concurrency) waves of reads. A round that took longer is a bug,
// not a slow target.
func RoundBound(n int, perSecond float64, concurrency int, timeout time.Duration) time.Duration {
	if n == 0 {
		return 0
	}
	c := max(1, concurrency)
	starts := time.Duration(float64(n-1) / perSecond * float64(time.Second))
	return starts + time.Duration((n+c-1)/c)*timeout
}
