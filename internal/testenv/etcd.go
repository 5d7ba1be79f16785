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
	"syscall"
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
	procs   []*etcdProcess // StartEtcdMixed's members run from a binary; nil for embedded ones
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
	c.procs = make([]*etcdProcess, len(plan))
	for i, p := range plan {
		if p.binary != "" {
			proc := &etcdProcess{t: t, name: p.name, binary: p.binary, logPath: filepath.Join(p.dir, "..", p.name+".log"), args: []string{
				"--name=" + p.name, "--data-dir=" + p.dir,
				"--listen-client-urls=" + p.client.String(), "--advertise-client-urls=" + p.client.String(),
				"--listen-peer-urls=" + p.peer.String(), "--initial-advertise-peer-urls=" + p.peer.String(),
				"--initial-cluster=" + cluster, "--initial-cluster-state=new", "--log-level=error"}}
			proc.start()
			c.procs[i] = proc
			c.stops = append(c.stops, proc.stop)
			t.Cleanup(proc.stop)
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

// etcdProcess is a member run from a binary, which a test can kill, pause
// and start again on its data.
type etcdProcess struct {
	t               testing.TB
	name, binary    string
	args            []string
	logPath         string
	mu              sync.Mutex
	cmd             *exec.Cmd
	exited          chan error
	paused, running bool
}

func (p *etcdProcess) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command(p.binary, p.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = childAttrs()
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("testenv: start %s: %v", p.binary, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	p.cmd, p.exited, p.running, p.paused = cmd, exited, true, false
}

func (p *etcdProcess) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running {
		return
	}
	if p.paused {
		_ = p.cmd.Process.Signal(syscall.SIGCONT)
	}
	stopProcess(p.cmd, p.exited)
	p.running = false
}

func (c *EtcdCluster) process(i int) *etcdProcess {
	if i >= len(c.procs) || c.procs[i] == nil {
		panic(fmt.Sprintf("testenv: etcd member %d is not a process of its own (StartEtcdMixed with a Binary)", i))
	}
	return c.procs[i]
}

// Kill kills member i with SIGKILL, as a crash or an OOM kill does.
func (c *EtcdCluster) Kill(i int) {
	p := c.process(i)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		_ = p.cmd.Process.Kill()
		<-p.exited
		p.running = false
	}
}

// Restart starts member i again on its data directory: it rejoins the
// cluster.
func (c *EtcdCluster) Restart(i int) { c.process(i).start() }

// Pause stops member i with SIGSTOP: its sockets stay open and the kernel
// still accepts connections, but nothing answers (a hung process, not a
// refusing one).
func (c *EtcdCluster) Pause(i int) {
	p := c.process(i)
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGSTOP)
	p.paused = true
}

// Resume continues a paused member with SIGCONT.
func (c *EtcdCluster) Resume(i int) {
	p := c.process(i)
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	p.paused = false
}
