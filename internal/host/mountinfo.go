package host

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Mount is one line of /proc/<pid>/mountinfo (proc(5)).
type Mount struct {
	Major, Minor int
	// Root is the mounted directory within the filesystem (a bind mount's
	// source), MountPoint where it is mounted.
	Root, MountPoint string
	FSType, Source   string
}

// ParseMountInfo parses mountinfo, skipping malformed lines (returned as
// bad).
func ParseMountInfo(r io.Reader) (mounts []Mount, bad int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m, ok := parseMountLine(sc.Text())
		if !ok {
			bad++
			continue
		}
		mounts = append(mounts, m)
	}
	return mounts, bad, sc.Err()
}

// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
func parseMountLine(line string) (Mount, bool) {
	fields := strings.Fields(line)
	sep := -1
	for i, f := range fields {
		if f == "-" && i >= 6 {
			sep = i
			break
		}
	}
	if sep < 0 || len(fields) < sep+3 {
		return Mount{}, false
	}
	maj, min, ok := strings.Cut(fields[2], ":")
	if !ok {
		return Mount{}, false
	}
	major, err1 := strconv.Atoi(maj)
	minor, err2 := strconv.Atoi(min)
	if err1 != nil || err2 != nil || major < 0 || minor < 0 {
		return Mount{}, false
	}
	return Mount{
		Major: major, Minor: minor,
		Root: unescape(fields[3]), MountPoint: unescape(fields[4]),
		FSType: fields[sep+1], Source: unescape(fields[sep+2]),
	}, true
}

// unescape decodes the octal escapes (\040 for a space) the kernel writes.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// MountFor returns the mount holding path: the one with the longest mount
// point that is path or a parent directory of it.
func MountFor(mounts []Mount, path string) (Mount, bool) {
	best, found := Mount{}, false
	for _, m := range mounts {
		mp := m.MountPoint
		inside := path == mp || mp == "/" || strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/")
		if inside && (!found || len(mp) >= len(best.MountPoint)) {
			// Later lines win ties: a mount stacked over another hides it.
			best, found = m, true
		}
	}
	return best, found
}
