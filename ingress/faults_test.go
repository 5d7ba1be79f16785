package ingress

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// procTree is a fake /proc for fault injection: the real one cannot be
// made to lie, truncate or vanish on cue. (The real-nginx tests cover the
// honest /proc.)
type procTree struct {
	t    *testing.T
	root string
}

func newProcTree(t *testing.T) *procTree { return &procTree{t, t.TempDir()} }

func (p *procTree) write(pid int, name string, content string) {
	p.t.Helper()
	path := filepath.Join(p.root, strconv.Itoa(pid), name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *procTree) proc(pid, ppid int, title string, sockets ...int) {
	p.t.Helper()
	p.write(pid, "cmdline", title+"\x00")
	p.write(pid, "stat", fmt.Sprintf("%d (nginx) S %d 1 1 0 -1", pid, ppid))
	p.fds(pid, sockets...)
}

func (p *procTree) fds(pid int, sockets ...int) {
	p.t.Helper()
	dir := filepath.Join(p.root, strconv.Itoa(pid), "fd")
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	for i, inode := range sockets {
		if err := os.Symlink(fmt.Sprintf("socket:[%d]", inode), filepath.Join(dir, strconv.Itoa(i+3))); err != nil {
			p.t.Fatal(err)
		}
	}
	// Not a socket: ignored.
	if err := os.Symlink("/dev/null", filepath.Join(dir, "0")); err != nil {
		p.t.Fatal(err)
	}
}

const tcpHeader = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

func tcpLine(local string, state, inode int) string {
	return fmt.Sprintf("   0: %s 0100007F:D39A %02X 00000000:00000000 00:00000000 00000000     0        0 %d 1 0000000000000000 100 0 0 10 0\n", local, state, inode)
}

// TestTrackerFaults: truncated and huge cmdlines, processes vanishing
// between the listing and the read, a 200,000-line socket table with
// overlong and garbage lines, a worker exiting with connections open.
// Every value stays exact; bad lines are counted, never fatal.
func TestTrackerFaults(t *testing.T) {
	t.Parallel()
	p := newProcTree(t)
	var tcp strings.Builder
	tcp.WriteString(tcpHeader)
	tcp.WriteString(tcpLine("0100007F:1F90", StateListen, 1))
	for range 200_000 { // TIME_WAIT: skipped
		tcp.WriteString(tcpLine("0100007F:1F90", 0x06, 0))
	}
	tcp.WriteString(strings.Repeat("x", 10_000) + "\n") // overlong
	tcp.WriteString("garbage\n")
	tcp.WriteString(tcpLine("0100007F:1F90", StateEstablished, 11)) // client
	tcp.WriteString(tcpLine("0100007F:1F90", StateEstablished, 12)) // client
	tcp.WriteString(tcpLine("0100007F:9C40", StateEstablished, 13)) // upstream: not a listening address
	p.write(100, "net/tcp", tcp.String())
	p.proc(100, 1, "nginx: master process /usr/sbin/nginx", 1)
	p.proc(101, 100, "nginx: worker process", 1)
	p.write(102, "cmdline", "nginx: wor")                                // truncated title
	p.write(103, "cmdline", "nginx: worker process\x00")                 // vanished: no stat
	p.write(104, "cmdline", "nginx: "+strings.Repeat("A", 1<<20)+"\x00") // huge
	p.write(104, "stat", "104 (nginx) S 100 1 1 0 -1")
	if err := os.MkdirAll(filepath.Join(p.root, "self"), 0o755); err != nil {
		t.Fatal(err)
	}

	tr := NewTracker(p.root, nil)
	sample := func() Instance {
		t.Helper()
		if err := tr.Sample(); err != nil {
			t.Fatal(err)
		}
		in := tr.Instances()
		if len(in) != 1 {
			t.Fatalf("instances %+v, want the one master", in)
		}
		return in[0]
	}
	if in := sample(); in.Listen != "8080" || !in.ConnectionsKnown || in.Reloads != 0 {
		t.Errorf("first sample: %+v", in)
	}
	// Reload: 101 shuts down holding two clients and an upstream; 105 is new.
	p.proc(101, 100, "nginx: worker process is shutting down", 11, 12, 13)
	p.proc(105, 100, "nginx: worker process", 1)
	if in := sample(); in.Reloads != 1 || in.ShuttingDown != 1 || in.HeldConnections != 2 {
		t.Errorf("after the reload: %+v, want 1 reload, 1 worker shutting down holding 2 clients", in)
	}
	// 101 exits with both clients: 2 drops.
	if err := os.RemoveAll(filepath.Join(p.root, "101")); err != nil {
		t.Fatal(err)
	}
	if in := sample(); in.Reloads != 1 || in.ShuttingDown != 0 || in.Dropped != 2 || !in.ConnectionsKnown {
		t.Errorf("after the old worker exited: %+v, want 2 dropped", in)
	}
	errs := tr.Errors()
	if errs[ReasonMalformed] == 0 || errs[ReasonOther] != 0 || errs[ReasonPermission] != 0 {
		t.Errorf("errors %v: want malformed lines counted, nothing else", errs)
	}
}

// TestTrackerUnreadableFds: a shutting-down worker whose fds cannot be
// read makes the instance's connection counts unknown, not zero.
func TestTrackerUnreadableFds(t *testing.T) {
	t.Parallel()
	p := newProcTree(t)
	p.write(100, "net/tcp", tcpHeader+tcpLine("0100007F:1F90", StateListen, 1)+tcpLine("0100007F:1F90", StateEstablished, 11))
	p.proc(100, 1, "nginx: master process /usr/sbin/nginx", 1)
	p.proc(101, 100, "nginx: worker process", 1)
	tr := NewTracker(p.root, nil)
	if err := tr.Sample(); err != nil {
		t.Fatal(err)
	}
	p.proc(101, 100, "nginx: worker process is shutting down")
	p.proc(105, 100, "nginx: worker process", 1)
	// fd is not a directory: the read fails with something other than
	// "gone".
	if err := os.RemoveAll(filepath.Join(p.root, "101", "fd")); err != nil {
		t.Fatal(err)
	}
	p.write(101, "fd", "not a directory")
	if err := tr.Sample(); err != nil {
		t.Fatal(err)
	}
	in := tr.Instances()[0]
	if in.Reloads != 1 || in.ConnectionsKnown {
		t.Errorf("%+v: want the reload counted and connections unknown", in)
	}
	// The worker's title says it is shutting down, readable fds or not:
	// an agent without its capabilities must still see the pile-up.
	if in.ShuttingDown != 1 {
		t.Errorf("%+v: want 1 worker shutting down, from its title", in)
	}
	if tr.Errors()[ReasonOther] == 0 {
		t.Errorf("errors %v: the failed read is not counted", tr.Errors())
	}
}

// TestTrackerMasterMissedOnce: a scan that misses a live master (a read
// failed under load) does not make the tracker forget it, and the reload
// it was in the middle of is still counted.
func TestTrackerMasterMissedOnce(t *testing.T) {
	t.Parallel()
	p := newProcTree(t)
	p.write(100, "net/tcp", tcpHeader+tcpLine("0100007F:1F90", StateListen, 1))
	p.proc(100, 1, "nginx: master process /usr/sbin/nginx", 1)
	p.proc(101, 100, "nginx: worker process", 1)
	tr := NewTracker(p.root, nil)
	if err := tr.Sample(); err != nil {
		t.Fatal(err)
	}
	p.write(100, "cmdline", "") // unreadable this time
	p.proc(101, 100, "nginx: worker process is shutting down")
	p.proc(102, 100, "nginx: worker process", 1)
	if err := tr.Sample(); err != nil {
		t.Fatal(err)
	}
	p.write(100, "cmdline", "nginx: master process /usr/sbin/nginx\x00")
	if err := tr.Sample(); err != nil {
		t.Fatal(err)
	}
	if in := tr.Instances(); len(in) != 1 || in[0].Reloads != 1 {
		t.Errorf("instances %+v, want the master kept and its reload counted", in)
	}
	// Gone for good: forgotten.
	if err := os.RemoveAll(filepath.Join(p.root, "100")); err != nil {
		t.Fatal(err)
	}
	if err := tr.Sample(); err != nil {
		t.Fatal(err)
	}
	if in := tr.Instances(); len(in) != 0 {
		t.Errorf("instances %+v after the master exited", in)
	}
}

// Before the first sample, and while /proc cannot be scanned, the
// instances are unknown: Ready says why, so no "0 instances" is exported.
func TestTrackerReadyOnlyAfterASuccessfulScan(t *testing.T) {
	t.Parallel()
	p := newProcTree(t)
	tr := NewTracker(p.root, nil)
	if err := tr.Ready(); !errors.Is(err, ErrNotSampled) {
		t.Errorf("before any sample: %v, want ErrNotSampled", err)
	}
	if err := tr.Sample(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Ready(); err != nil {
		t.Errorf("after a sample of an empty /proc: %v, want ready (no nginx is a known zero)", err)
	}
	if err := os.RemoveAll(p.root); err != nil {
		t.Fatal(err)
	}
	if err := tr.Sample(); err == nil {
		t.Fatal("scan of a missing /proc succeeded")
	}
	if err := tr.Ready(); err == nil {
		t.Error("ready after a failed scan")
	}
}
