package host

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrNotHere: the directory does not exist on this host, or sits on no
// block device (tmpfs, overlay without a device): there is nothing to
// measure, which is not an error.
var ErrNotHere = errors.New("no block device for the directory on this host")

// Resolver finds block devices as the host sees them.
type Resolver struct {
	// ProcRoot and SysRoot are the host's /proc and /sys as mounted in
	// the agent's container.
	ProcRoot, SysRoot string
	// PID is the process whose mount namespace and root are the host's:
	// "1" with hostPID (the host's init); "self" in tests and demo.
	PID string
}

// Device is a block device and its I/O counters.
type Device struct {
	Major, Minor int
	Name         string
}

const maxProcFile = 16 << 20

func (r Resolver) open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, maxProcFile), f}, nil
}

// DeviceFor returns the block device holding dir (a path on the host).
func (r Resolver) DeviceFor(dir string) (Device, error) {
	// The host's root as the PID sees it: the data directory of the host,
	// not of this container.
	if _, err := os.Stat(filepath.Join(r.ProcRoot, r.PID, "root", dir)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Device{}, ErrNotHere
		}
		return Device{}, fmt.Errorf("stat %s on the host: %w", dir, err)
	}
	path := filepath.Join(r.ProcRoot, r.PID, "mountinfo")
	f, err := r.open(path)
	if err != nil {
		return Device{}, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	mounts, _, err := ParseMountInfo(f)
	if err != nil {
		return Device{}, fmt.Errorf("read %s: %w", path, err)
	}
	m, ok := MountFor(mounts, filepath.Clean(dir))
	if !ok {
		return Device{}, ErrNotHere
	}
	// /sys/dev/block/MAJ:MIN links to the device (partition, dm-N, …);
	// filesystems without a device (major 0) have no entry.
	link, err := os.Readlink(filepath.Join(r.SysRoot, "dev", "block", fmt.Sprintf("%d:%d", m.Major, m.Minor)))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Device{}, ErrNotHere
		}
		return Device{}, fmt.Errorf("resolve block device %d:%d: %w", m.Major, m.Minor, err)
	}
	return Device{Major: m.Major, Minor: m.Minor, Name: filepath.Base(link)}, nil
}

// Stats returns the device's line of diskstats.
func (r Resolver) Stats(d Device) (DiskStats, error) {
	path := filepath.Join(r.ProcRoot, "diskstats")
	f, err := r.open(path)
	if err != nil {
		return DiskStats{}, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	stats, _, err := ParseDiskStats(f)
	if err != nil {
		return DiskStats{}, fmt.Errorf("read %s: %w", path, err)
	}
	for _, s := range stats {
		if s.Major == d.Major && s.Minor == d.Minor {
			return s, nil
		}
	}
	return DiskStats{}, fmt.Errorf("device %s (%d:%d) not in %s", d.Name, d.Major, d.Minor, path)
}
