//go:build linux

package exepages

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Release drops the resident pages of the executable's read-only
// mappings and marks them read at random (no fault-around, no
// read-ahead), and returns the RSS those mappings held before. Call it
// after start-up and after each burst of work: between two calls the
// executable's RSS is what ran since the first.
func Release() (uint64, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("exepages: %w", err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("exepages: %w", err)
	}
	maps, err := parseSmaps(f)
	f.Close()
	if err != nil {
		return 0, fmt.Errorf("exepages: %w", err)
	}
	var released uint64
	for _, m := range maps {
		if !m.releasable(exe) {
			continue
		}
		if err := advise(m, unix.MADV_RANDOM); err != nil {
			return released, err
		}
		if m.Rss == 0 {
			continue
		}
		if err := advise(m, unix.MADV_DONTNEED); err != nil {
			return released, err
		}
		released += m.Rss
	}
	return released, nil
}

func advise(m Mapping, advice int) error {
	_, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(m.Start), uintptr(m.End-m.Start), uintptr(advice))
	if errno != 0 {
		return fmt.Errorf("exepages: madvise %#x-%#x (%d): %w", m.Start, m.End, advice, errno)
	}
	return nil
}
