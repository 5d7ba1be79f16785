package podcgroup

import (
	"bytes"
	"strings"
)

// maxFile bounds what PodUID looks at: a real cgroup file is a few hundred
// bytes (one line per v1 hierarchy).
const maxFile = 64 << 10

// PodUID returns the UID of the pod whose cgroup holds the process, from
// the content of /proc/<pid>/cgroup (v1 or v2). It understands both
// kubelet cgroup drivers:
//
//	cgroupfs: /kubepods/burstable/pod<uid>/<container>
//	systemd:  /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid with _>.slice/cri-containerd-<id>.scope
//
// Static pods have the hash of their manifest as UID (32 hex digits),
// which their mirror pod carries in an annotation. ok is false when the
// process is not in a pod's cgroup (nginx installed on the host itself).
func PodUID(cgroup []byte) (uid string, ok bool) {
	if len(cgroup) > maxFile {
		cgroup = cgroup[:maxFile]
	}
	for line := range bytes.Lines(cgroup) {
		// hierarchy-ID:controller-list:path; the path may hold colons.
		parts := bytes.SplitN(bytes.TrimRight(line, "\n"), []byte(":"), 3)
		if len(parts) != 3 {
			continue
		}
		for elem := range strings.SplitSeq(string(parts[2]), "/") {
			if uid, ok := fromElement(elem); ok {
				return uid, true
			}
		}
	}
	return "", false
}

func fromElement(elem string) (string, bool) {
	if s, ok := strings.CutSuffix(elem, ".slice"); ok {
		// kubepods-pod<uid>.slice, kubepods-<qos>-pod<uid>.slice
		if !strings.HasPrefix(s, "kubepods-") {
			return "", false
		}
		i := strings.LastIndex(s, "-pod")
		if i < 0 {
			return "", false
		}
		return validUID(strings.ReplaceAll(s[i+len("-pod"):], "_", "-"))
	}
	if s, ok := strings.CutPrefix(elem, "pod"); ok {
		return validUID(s)
	}
	return "", false
}

// validUID accepts an RFC 4122 UID as the API server assigns them, or the
// 32 hex digits of a static pod's config hash.
func validUID(s string) (string, bool) {
	switch len(s) {
	case 36:
		for i, c := range s {
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if c != '-' {
					return "", false
				}
			} else if !isHex(c) {
				return "", false
			}
		}
	case 32:
		for _, c := range s {
			if !isHex(c) {
				return "", false
			}
		}
	default:
		return "", false
	}
	return strings.ToLower(s), true
}

func isHex(c rune) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
