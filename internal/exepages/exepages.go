package exepages

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Mapping is one mapping of /proc/self/smaps.
type Mapping struct {
	Start, End uint64
	Perms      string
	Path       string
	// Rss and Anonymous are in bytes. Anonymous pages of a file mapping
	// are the ones the process wrote (copies on write). Private_Dirty is
	// no sign of that: it also counts page-cache pages not yet written
	// back (a binary just built).
	Rss, Anonymous uint64
}

// releasable: a read-only mapping of the executable (code, read-only data,
// the function table) none of whose pages the process wrote. A written
// private page (a relocation made before the mapping went read-only)
// would be lost by MADV_DONTNEED, so a mapping holding one is left alone.
func (m Mapping) releasable(exe string) bool {
	return m.Path == exe && len(m.Perms) >= 2 && m.Perms[0] == 'r' && m.Perms[1] == '-' && m.Anonymous == 0 && m.End > m.Start
}

// parseSmaps reads the mappings of an smaps file. Fields it does not
// know are skipped; a malformed mapping line is an error.
func parseSmaps(r io.Reader) ([]Mapping, error) {
	var out []Mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		f := strings.Fields(string(line))
		if len(f) == 0 {
			continue
		}
		if name, ok := strings.CutSuffix(f[0], ":"); ok {
			// "Rss:  1234 kB": a field of the current mapping.
			if len(out) == 0 || len(f) < 2 {
				continue
			}
			v, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				continue // VmFlags and the like
			}
			switch name {
			case "Rss":
				out[len(out)-1].Rss = v << 10
			case "Anonymous":
				out[len(out)-1].Anonymous = v << 10
			}
			continue
		}
		if !bytes.Contains(line, []byte("-")) || len(f) < 5 {
			return nil, fmt.Errorf("smaps: malformed mapping %q", line)
		}
		lo, hi, _ := strings.Cut(f[0], "-")
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end < start {
			return nil, fmt.Errorf("smaps: malformed range %q", f[0])
		}
		m := Mapping{Start: start, End: end, Perms: f[1]}
		if len(f) >= 6 {
			m.Path = strings.Join(f[5:], " ")
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("smaps: %w", err)
	}
	return out, nil
}
