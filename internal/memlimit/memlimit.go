package memlimit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// Fraction of the container limit given to the Go heap: the rest is for
// the binary's pages, goroutine stacks and memory the runtime has not yet
// returned.
const Fraction = 0.9

// unlimitedV1 is what cgroup v1 reports without a limit (near MaxInt64,
// rounded to the page size); anything at or above it means none.
const unlimitedV1 = 1 << 62

// ContainerLimit reads the memory limit of the cgroup the process runs in
// under cgroupRoot (normally /sys/fs/cgroup): ok is false when there is
// none. The process' own cgroup directory is mounted at the root in a
// container (cgroup namespace), so the root's files are read first.
func ContainerLimit(cgroupRoot string) (limit int64, ok bool, err error) {
	for _, f := range []string{"memory.max", "memory/memory.limit_in_bytes"} {
		data, err := os.ReadFile(filepath.Join(cgroupRoot, f))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, false, fmt.Errorf("read cgroup memory limit: %w", err)
		}
		s := strings.TrimSpace(string(data))
		if s == "max" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return 0, false, fmt.Errorf("cgroup memory limit %s: %q is not a byte count", f, s)
		}
		if n >= unlimitedV1 {
			return 0, false, nil
		}
		return n, true, nil
	}
	return 0, false, nil
}

// Set applies Fraction of the container's limit as the runtime's soft
// memory limit unless GOMEMLIMIT is set, and returns what it set (0: none).
func Set(cgroupRoot string) (int64, error) {
	if envLimitSet() {
		return 0, nil
	}
	limit, ok, err := ContainerLimit(cgroupRoot)
	if err != nil || !ok {
		return 0, err
	}
	soft := int64(float64(limit) * Fraction)
	debug.SetMemoryLimit(soft)
	return soft, nil
}

// SetGCPercent makes percent the runtime's GOGC unless the environment
// sets GOGC (which then wins, as for GOMEMLIMIT).
func SetGCPercent(percent int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
	}
}

// envLimitSet: GOMEMLIMIT is set, and the runtime's limit is the user's.
func envLimitSet() bool { return os.Getenv("GOMEMLIMIT") != "" }
