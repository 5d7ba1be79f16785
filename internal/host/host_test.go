package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseMountInfoFixture(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mounts, bad, err := ParseMountInfo(f)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 2 {
		t.Errorf("bad lines %d, want 2 (the truncated and the x:y one)", bad)
	}
	for _, tt := range []struct {
		path, mountPoint, fsType string
		major, minor             int
	}{
		{"/var/lib/etcd/member/snap/db", "/var/lib/etcd", "xfs", 253, 1},
		{"/var/lib/etcd", "/var/lib/etcd", "xfs", 253, 1},
		{"/var/lib/etcd-bind/member", "/var/lib/etcd-bind", "ext4", 254, 0},
		{"/var/lib/etcdx", "/", "ext4", 254, 0}, // a sibling, not inside /var/lib/etcd
		{"/var/lib/with space/x", "/var/lib/with space", "tmpfs", 0, 55},
	} {
		m, ok := MountFor(mounts, tt.path)
		if !ok || m.MountPoint != tt.mountPoint || m.FSType != tt.fsType || m.Major != tt.major || m.Minor != tt.minor {
			t.Errorf("%s: %+v, want %s %s %d:%d", tt.path, m, tt.mountPoint, tt.fsType, tt.major, tt.minor)
		}
	}
}

func TestParseDiskStatsFixture(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/diskstats")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stats, bad, err := ParseDiskStats(f)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 2 {
		t.Errorf("bad lines %d, want 2", bad)
	}
	var dm DiskStats
	for _, s := range stats {
		if s.Name == "dm-1" {
			dm = s
		}
	}
	want := DiskStats{Major: 253, Minor: 1, Name: "dm-1", ReadsCompleted: 1000, SectorsRead: 16000,
		WritesCompleted: 50000, SectorsWritten: 800000, IOTimeMs: 60000, WeightedIOTimeMs: 90200}
	if dm != want {
		t.Errorf("dm-1 %+v\nwant %+v", dm, want)
	}
}

// TestResolverOnThisMachine resolves the device under a temp dir through
// this machine's own /proc and /sys, and checks its counters against
// /proc/diskstats read around ours.
func TestResolverOnThisMachine(t *testing.T) {
	if _, err := os.Stat("/proc/self/mountinfo"); err != nil {
		t.Fatalf("this test reads the host's /proc: %v", err)
	}
	r := Resolver{ProcRoot: "/proc", SysRoot: "/sys", PID: "self"}
	dir := t.TempDir()
	d, err := r.DeviceFor(dir)
	if err != nil {
		t.Fatalf("device for %s: %v", dir, err)
	}
	before := readLine(t, d)
	s, err := r.Stats(d)
	if err != nil {
		t.Fatal(err)
	}
	after := readLine(t, d)
	if s.Name != d.Name || s.ReadsCompleted < before.ReadsCompleted || s.ReadsCompleted > after.ReadsCompleted ||
		s.WritesCompleted < before.WritesCompleted || s.WritesCompleted > after.WritesCompleted ||
		s.IOTimeMs < before.IOTimeMs || s.IOTimeMs > after.IOTimeMs {
		t.Errorf("stats %+v outside what /proc/diskstats said around them: %+v .. %+v", s, before, after)
	}
	if _, err := r.DeviceFor(filepath.Join(dir, "does-not-exist")); err != ErrNotHere {
		t.Errorf("missing directory: %v, want ErrNotHere", err)
	}
}

func readLine(t *testing.T, d Device) DiskStats {
	t.Helper()
	b, err := os.ReadFile("/proc/diskstats")
	if err != nil {
		t.Fatal(err)
	}
	stats, _, err := ParseDiskStats(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats {
		if s.Major == d.Major && s.Minor == d.Minor {
			return s
		}
	}
	t.Fatalf("%s not in /proc/diskstats", d.Name)
	return DiskStats{}
}

func FuzzParseMountInfo(f *testing.F) {
	b, err := os.ReadFile("testdata/mountinfo")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("1 2 3:4 / / - - -\n1 2 3:4 \\0 \\ x - y z\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mounts, _, _ := ParseMountInfo(strings.NewReader(string(data)))
		for _, m := range mounts {
			if m.Major < 0 || m.Minor < 0 {
				t.Errorf("negative device %+v", m)
			}
		}
		MountFor(mounts, "/var/lib/etcd")
	})
}

func FuzzParseDiskStats(f *testing.F) {
	b, err := os.ReadFile("testdata/diskstats")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		stats, bad, _ := ParseDiskStats(strings.NewReader(string(data)))
		if bad < 0 || len(stats) > strings.Count(string(data), "\n")+1 {
			t.Errorf("%d stats from %d lines", len(stats), strings.Count(string(data), "\n")+1)
		}
	})
}
