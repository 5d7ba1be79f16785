package podcgroup

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPodUID(t *testing.T) {
	t.Parallel()
	for file, want := range map[string]string{
		"cgroupfs-v1":   "7f5d0b0c-9f0e-4b7a-8e4a-2d6c1f3a9b10",
		"systemd-v2":    "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
		"guaranteed-v2": "11111111-2222-3333-4444-555555555555",
		"static-pod-v1": "5ad5e3f1c0a84e2b9d7f6a1c3e5b7d9f",
		"host-v2":       "",
		"docker-v1":     "",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		uid, ok := PodUID(b)
		if uid != want || ok != (want != "") {
			t.Errorf("%s: %q %v, want %q", file, uid, ok, want)
		}
	}
}

func TestPodUIDRejects(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		"",
		"garbage",
		"0::/kubepods/podnot-a-uid/x",
		"0::/kubepods.slice/kubepods-besteffort-pod.slice",
		"0::/kubepods.slice/other-pod11111111_2222_3333_4444_555555555555.slice",
		"0::/kubepods/pod11111111-2222-3333-4444-55555555555g/x",
		"0::/kubepods/pod11111111+2222-3333-4444-555555555555/x",
		strings.Repeat("x", 1<<20),
	} {
		if uid, ok := PodUID([]byte(bad)); ok {
			t.Errorf("%.40q gave %q", bad, uid)
		}
	}
	// A pod cgroup past the bound is not looked at.
	huge := append(bytes.Repeat([]byte("1:x:/a\n"), maxFile/7+1), "0::/kubepods/pod11111111-2222-3333-4444-555555555555/x\n"...)
	if uid, ok := PodUID(huge); ok {
		t.Errorf("read past the bound: %q", uid)
	}
}

func FuzzPodUID(f *testing.F) {
	files, _ := filepath.Glob("testdata/*-v*")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		uid, ok := PodUID(b)
		if ok != (uid != "") {
			t.Fatalf("ok %v with uid %q", ok, uid)
		}
		if ok && len(uid) != 36 && len(uid) != 32 {
			t.Fatalf("uid %q", uid)
		}
		if ok && !bytes.Contains(bytes.ToLower(b), []byte(uid[:8])) {
			t.Fatalf("uid %q not in the input", uid)
		}
	})
}
