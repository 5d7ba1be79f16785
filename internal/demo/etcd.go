package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// EtcdQuotaBytes is the demo etcd's backend quota: small, so that filling
// it near full takes a moment.
const EtcdQuotaBytes = 64 << 20

// Etcd is the demo's embedded single-member etcd, on loopback, in a
// temporary directory removed by Close.
type Etcd struct {
	e         *embed.Etcd
	dir       string
	ClientURL string
}

// StartEtcd starts the demo etcd and writes to it until its database
// holds about 85% of its quota, so the demo shows a cluster close to the
// NOSPACE alarm.
func StartEtcd(ctx context.Context) (*Etcd, error) {
	dir, err := os.MkdirTemp("", "kre-demo-etcd-")
	if err != nil {
		return nil, err
	}
	d := &Etcd{dir: dir}
	ports, err := freePorts(2)
	if err != nil {
		d.Close()
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = "demo-etcd", dir
	cfg.LogLevel, cfg.LogOutputs = "fatal", []string{"stderr"}
	cfg.QuotaBackendBytes = EtcdQuotaBytes
	cfg.UnsafeNoFsync = true // a throwaway demo database
	client, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", ports[0]))
	peer, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", ports[1]))
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("demo etcd: %w", err)
	}
	d.e, d.ClientURL = e, client.String()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		d.Close()
		return nil, fmt.Errorf("demo etcd: %w", err)
	case <-time.After(30 * time.Second):
		d.Close()
		return nil, errors.New("demo etcd not ready after 30s")
	case <-ctx.Done():
		d.Close()
		return nil, ctx.Err()
	}
	if err := d.fill(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *Etcd) fill(ctx context.Context) error {
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{d.ClientURL}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer c.Close()
	// bbolt grows its file in steps and the backend commits in batches, so
	// the size is watched while writing rather than predicted: stop once
	// the file holds 60% of the quota, far enough from it that no write
	// is refused.
	value := strings.Repeat("r", 1<<20)
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		st, err := c.Status(ctx, d.ClientURL)
		if err != nil {
			return fmt.Errorf("demo etcd status: %w", err)
		}
		if st.DbSize >= EtcdQuotaBytes*6/10 {
			return nil
		}
		if st.DbSize >= EtcdQuotaBytes*4/10 {
			// Near the mark, let each write's batch commit before the
			// next size is read: a size read while writes are pending
			// lags by tens of megabytes, and the file then grew past the
			// quota.
			time.Sleep(150 * time.Millisecond)
		}
		if _, err := c.Put(ctx, fmt.Sprintf("/registry/demo/blob-%03d", i%64), value); err != nil {
			return fmt.Errorf("demo etcd fill: %w", err)
		}
	}
	return errors.New("demo etcd fill: database did not grow in 20s")
}

// DataDir is the demo etcd's data directory.
func (d *Etcd) DataDir() string { return d.dir }

// Close stops etcd and removes its directory.
func (d *Etcd) Close() {
	if d.e != nil {
		d.e.Close()
	}
	_ = os.RemoveAll(d.dir)
}

func freePorts(n int) ([]int, error) {
	var out []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}
