package host

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// DiskStats is one device's line of /proc/diskstats, in kernel units
// (Documentation/admin-guide/iostats.rst): sectors of 512 bytes whatever
// the device's sector size, times in milliseconds.
type DiskStats struct {
	Major, Minor                    int
	Name                            string
	ReadsCompleted, SectorsRead     uint64
	WritesCompleted, SectorsWritten uint64
	IOTimeMs, WeightedIOTimeMs      uint64
}

// ParseDiskStats parses /proc/diskstats, skipping malformed lines.
func ParseDiskStats(r io.Reader) (stats []DiskStats, bad int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// 14 fields since 2.6; 18 with discards (4.18), 20 with flushes (5.5).
		if len(f) < 14 {
			bad++
			continue
		}
		var n [11]uint64
		ok := true
		for i := range n {
			v, err := strconv.ParseUint(f[3+i], 10, 64)
			if err != nil {
				ok = false
				break
			}
			n[i] = v
		}
		major, err1 := strconv.Atoi(f[0])
		minor, err2 := strconv.Atoi(f[1])
		if !ok || err1 != nil || err2 != nil || major < 0 || minor < 0 {
			bad++
			continue
		}
		stats = append(stats, DiskStats{
			Major: major, Minor: minor, Name: f[2],
			ReadsCompleted: n[0], SectorsRead: n[2],
			WritesCompleted: n[4], SectorsWritten: n[6],
			IOTimeMs: n[9], WeightedIOTimeMs: n[10],
		})
	}
	return stats, bad, sc.Err()
}
