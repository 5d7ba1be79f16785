package collector

import (
	"context"
	"errors"

	"github.com/kube-reliability/kube-reliability-exporter/internal/host"
)

// DiskSource resolves the etcd data directory's block device and reads its
// counters (host.Resolver).
type DiskSource interface {
	DeviceFor(dir string) (host.Device, error)
	Stats(host.Device) (host.DiskStats, error)
}

var deviceLabel = []string{"device"}

const perNode = "one series per node holding the etcd data directory (none elsewhere)"

var etcdDiskSpec = Spec{
	Name: "etcd_disk", Modes: Agent | Demo, DefaultEnabled: true,
	Metrics: []MetricSpec{
		{Name: "kube_reliability_etcd_disk_io_time_seconds_total", Type: Counter, Stability: Experimental,
			Help: "Seconds the block device under the etcd data directory spent doing I/O; its rate near 1 means the disk is saturated.", Labels: deviceLabel, Bound: perNode},
		{Name: "kube_reliability_etcd_disk_io_weighted_time_seconds_total", Type: Counter, Stability: Experimental,
			Help: "Weighted seconds of I/O on the etcd data device (time × requests in flight); its rate is the average queue depth.", Labels: deviceLabel, Bound: perNode},
		{Name: "kube_reliability_etcd_disk_reads_completed_total", Type: Counter, Stability: Experimental,
			Help: "Reads completed on the etcd data device.", Labels: deviceLabel, Bound: perNode},
		{Name: "kube_reliability_etcd_disk_writes_completed_total", Type: Counter, Stability: Experimental,
			Help: "Writes completed on the etcd data device.", Labels: deviceLabel, Bound: perNode},
		{Name: "kube_reliability_etcd_disk_read_bytes_total", Type: Counter, Stability: Experimental,
			Help: "Bytes read from the etcd data device.", Labels: deviceLabel, Bound: perNode},
		{Name: "kube_reliability_etcd_disk_written_bytes_total", Type: Counter, Stability: Experimental,
			Help: "Bytes written to the etcd data device.", Labels: deviceLabel, Bound: perNode},
	},
	New: func(d Deps) (Collector, error) {
		if d.Disk == nil || d.EtcdDataDir == "" {
			return nil, errors.New("no host resolver or etcd data directory")
		}
		return etcdDiskCollector{d.Disk, d.EtcdDataDir}, nil
	},
}

type etcdDiskCollector struct {
	src DiskSource
	dir string
}

// sectorBytes: /proc/diskstats counts 512-byte sectors whatever the
// device's own sector size (Documentation/admin-guide/iostats.rst).
const sectorBytes = 512

func (c etcdDiskCollector) Update(_ context.Context, e *Emitter) error {
	d, err := c.src.DeviceFor(c.dir)
	if errors.Is(err, host.ErrNotHere) {
		return nil // not a node holding etcd data: nothing to say, and no false zeros
	}
	if err != nil {
		return err
	}
	s, err := c.src.Stats(d)
	if err != nil {
		return err
	}
	// Kernel milliseconds to seconds at the edge.
	e.Counter("kube_reliability_etcd_disk_io_time_seconds_total", float64(s.IOTimeMs)/1000, d.Name)
	e.Counter("kube_reliability_etcd_disk_io_weighted_time_seconds_total", float64(s.WeightedIOTimeMs)/1000, d.Name)
	e.Counter("kube_reliability_etcd_disk_reads_completed_total", float64(s.ReadsCompleted), d.Name)
	e.Counter("kube_reliability_etcd_disk_writes_completed_total", float64(s.WritesCompleted), d.Name)
	e.Counter("kube_reliability_etcd_disk_read_bytes_total", float64(s.SectorsRead*sectorBytes), d.Name)
	e.Counter("kube_reliability_etcd_disk_written_bytes_total", float64(s.SectorsWritten*sectorBytes), d.Name)
	return nil
}
