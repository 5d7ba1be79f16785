package testenv

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	"go.etcd.io/etcd/server/v3/embed"
)

// Etcd is an embedded single-member etcd on loopback.
type Etcd struct {
	e *embed.Etcd
	// ClientURL is the member's client URL (http://127.0.0.1:port).
	ClientURL string
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartEtcd starts an embedded etcd in a temporary directory and stops it
// when the test ends. quotaBytes sets the backend quota (0: etcd's default).
func StartEtcd(t testing.TB, quotaBytes int64) *Etcd {
	t.Helper()
	client := loopbackURL(t, "http")
	cfg := memberConfig("etcd-0", t.TempDir(), client, loopbackURL(t, "http"))
	cfg.QuotaBackendBytes = quotaBytes
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatalf("testenv: start embedded etcd: %v", err)
	}
	t.Cleanup(sync.OnceFunc(e.Close))
	waitReady(t, e, cfg.Name)
	return &Etcd{e: e, ClientURL: client.String()}
}

// memberConfig is an embedded member's configuration on loopback: quiet,
// without fsync (test data is disposable; fsync only slows every write).
func memberConfig(name, dir string, client, peer url.URL) *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name, cfg.Dir = name, dir
	// Shutdown logs "server closed" errors by design.
	cfg.LogLevel, cfg.LogOutputs = "fatal", []string{"stderr"}
	cfg.UnsafeNoFsync = true
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(name)
	return cfg
}

// waitReady waits for an embedded member to serve, failing the test if it
// errors or takes over a minute.
func waitReady(t testing.TB, e *embed.Etcd, name string) {
	t.Helper()
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		t.Fatalf("testenv: embedded etcd %s failed: %v", name, err)
	case <-time.After(60 * time.Second):
		t.Fatalf("testenv: embedded etcd %s not ready after 60s", name)
	}
}

func loopbackURL(t testing.TB, scheme string) url.URL {
	return mustURL(t, fmt.Sprintf("%s://127.0.0.1:%d", scheme, FreePort(t)))
}

func mustURL(t testing.TB, s string) url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("testenv: parse %s: %v", s, err)
	}
	return *u
}

// EtcdCluster is an embedded multi-member etcd cluster on loopback.
type EtcdCluster struct {
	members []*embed.Etcd
	stops   []func()
	// ClientURLs are the members' client URLs, in member order.
	ClientURLs []string
	// Names are the members' names (etcd-0, etcd-1, …).
	Names []string
}

// StartEtcdCluster starts n members in one process with the given backend
// quota (0: etcd's default) and stops them when the test ends.
func StartEtcdCluster(t testing.TB, n int, quotaBytes int64) *EtcdCluster {
	t.Helper()
	c := &EtcdCluster{}
	cfgs := make([]*embed.Config, n)
	var initial []string
	for i := range n {
		client, peer := loopbackURL(t, "http"), loopbackURL(t, "http")
		cfg := memberConfig(fmt.Sprintf("etcd-%d", i), t.TempDir(), client, peer)
		cfg.QuotaBackendBytes = quotaBytes
		initial = append(initial, cfg.Name+"="+peer.String())
		cfgs[i] = cfg
		c.ClientURLs = append(c.ClientURLs, client.String())
		c.Names = append(c.Names, cfg.Name)
	}
	for _, cfg := range cfgs {
		cfg.InitialCluster = strings.Join(initial, ",")
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			t.Fatalf("testenv: start embedded etcd %s: %v", cfg.Name, err)
		}
		c.members = append(c.members, e)
		// embed.Etcd.Close is not safe to call twice.
		stop := sync.OnceFunc(e.Close)
		c.stops = append(c.stops, stop)
		t.Cleanup(stop)
	}
	for i, e := range c.members {
		waitReady(t, e, cfgs[i].Name)
	}
	return c
}

// Stop stops member i, as a crashed or partitioned member would look to
// its clients.
func (c *EtcdCluster) Stop(i int) { c.stops[i]() }

// EtcdMemberSpec is one member of a real multi-version cluster: Binary is
// an etcd executable (an older release, or Debian's), or "" for an
// embedded member of this module's etcd version.
type EtcdMemberSpec struct{ Binary string }

// StartEtcdMixed starts one cluster whose members run the given binaries
// (a rolling upgrade caught half-way), all with one --initial-cluster, on
// loopback; it stops them and removes their data when the test ends.
func StartEtcdMixed(t testing.TB, specs []EtcdMemberSpec) *EtcdCluster {
	t.Helper()
	c := &EtcdCluster{}
	type planned struct {
		name         string
		client, peer url.URL
		dir, binary  string
	}
	var plan []planned
	var initial []string
	for i, s := range specs {
		p := planned{
			name:   fmt.Sprintf("etcd-%d", i),
			client: loopbackURL(t, "http"),
			peer:   loopbackURL(t, "http"),
			dir:    t.TempDir(), binary: s.Binary,
		}
		plan = append(plan, p)
		initial = append(initial, p.name+"="+p.peer.String())
		c.ClientURLs = append(c.ClientURLs, p.client.String())
		c.Names = append(c.Names, p.name)
	}
	cluster := strings.Join(initial, ",")
	for _, p := range plan {
		if p.binary != "" {
			cmd := exec.Command(p.binary,
				"--name="+p.name, "--data-dir="+p.dir,
				"--listen-client-urls="+p.client.String(), "--advertise-client-urls="+p.client.String(),
				"--listen-peer-urls="+p.peer.String(), "--initial-advertise-peer-urls="+p.peer.String(),
				"--initial-cluster="+cluster, "--initial-cluster-state=new", "--log-level=error")
			logPath := filepath.Join(p.dir, "..", p.name+".log")
			logf, err := os.Create(logPath)
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stdout, cmd.Stderr = logf, logf
			cmd.SysProcAttr = childAttrs()
			if err := cmd.Start(); err != nil {
				t.Fatalf("testenv: start %s: %v", p.binary, err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait(); logf.Close() }()
			stop := sync.OnceFunc(func() { stopProcess(cmd, exited) })
			c.stops = append(c.stops, stop)
			t.Cleanup(stop)
			continue
		}
		cfg := memberConfig(p.name, p.dir, p.client, p.peer)
		cfg.InitialCluster = cluster
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			t.Fatalf("testenv: start embedded etcd %s: %v", p.name, err)
		}
		stop := sync.OnceFunc(e.Close)
		c.stops = append(c.stops, stop)
		t.Cleanup(stop)
	}
	// Every member answers /health once the cluster has a leader.
	Eventually(t, 60*time.Second, func() error {
		for _, u := range c.ClientURLs {
			resp, err := http.Get(u + "/health")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s/health: %s", u, resp.Status)
			}
		}
		return nil
	})
	return c
}

// StartEtcdTLS starts an embedded single-member etcd whose client endpoint
// serves the given certificate over https on loopback.
func StartEtcdTLS(t testing.TB, certFile, keyFile string) *Etcd {
	t.Helper()
	client := loopbackURL(t, "https")
	cfg := memberConfig("etcd-tls", t.TempDir(), client, loopbackURL(t, "http"))
	cfg.ClientTLSInfo = transport.TLSInfo{CertFile: certFile, KeyFile: keyFile}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatalf("testenv: start TLS etcd: %v", err)
	}
	t.Cleanup(sync.OnceFunc(e.Close))
	waitReady(t, e, cfg.Name)
	return &Etcd{e: e, ClientURL: client.String()}
}
