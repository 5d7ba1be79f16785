package ingress

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kube-reliability/kube-reliability-exporter/internal/podcgroup"
	"github.com/kube-reliability/kube-reliability-exporter/internal/poll"
)

// Instance is what the tracker knows about one nginx master.
type Instance struct {
	// Listen identifies the instance by the ports it listens on
	// ("80,443"): bounded and stable across reloads, unlike pids.
	Listen string
	// PodUID is the UID of the pod the master runs in, from its cgroup;
	// empty when nginx runs on the host itself or the cgroup is unreadable.
	PodUID string
	// Reloads counts new worker generations seen since the agent started.
	Reloads    uint64
	LastReload time.Time
	// ShuttingDown workers and the client connections they still hold.
	ShuttingDown, HeldConnections int
	// ConnectionsKnown is false once a worker's or the master's sockets
	// could not be read (no CAP_SYS_PTRACE / CAP_DAC_READ_SEARCH for
	// workers of another user): HeldConnections and Dropped would be
	// made-up zeros then, and are not to be exported.
	ConnectionsKnown bool
	// Dropped counts client connections still open in a shutting-down
	// worker when it exited (finished, or force-closed at
	// worker_shutdown_timeout), as of the last sample before it exited.
	Dropped uint64
}

type master struct {
	// shuttingWorkers counts the workers whose title says they are
	// shutting down, as of the last sample.
	shuttingWorkers int
	active          map[int]bool
	eventLast       bool         // the last sample saw workers change generation
	appeared        map[int]bool // workers first seen active at the last sample
	shutting        map[int]int  // pid -> held client connections at the last sample
	// clients classifies each socket inode of a shutting-down worker:
	// true for a client connection (see countHeld).
	clients map[int]map[uint64]bool
	// fds follows each shutting-down worker's fds between samples.
	fds    map[int]*FDTable
	listen map[string]bool
	ports  string
	podUID string
	// connUnknown: some socket read of this instance failed, so its
	// connection counts are not the truth.
	connUnknown bool
	missed      int // consecutive samples whose scan did not list the master
	reloads     uint64
	lastReload  time.Time
	dropped     uint64
}

// Tracker turns samples of /proc into reload and drop counts. A reload is
// a new generation of workers replacing the old under the same master;
// reloads at least two sampling intervals apart are counted exactly (a
// crashed worker respawned by its master also counts as one).
type Tracker struct {
	procRoot string
	now      func() time.Time
	// scanMu guards scanner, whose buffers one scan at a time reuses.
	scanMu  sync.Mutex
	scanner Scanner

	mu      sync.Mutex
	masters map[int]*master
	errors  map[string]uint64
	// sockets caches one sample's socket tables per network namespace:
	// the masters of one node often share the host's.
	sockets map[string][]Socket
	// direct: sockets are read through pidfd_getfd (socketsByFD), not
	// from the socket table. Only when procRoot is this process's own
	// /proc (its pids are ours), and until the kernel or the agent's
	// privileges refuse it once.
	direct bool
	// scanErr is why the last scan of /proc failed; sampled, whether
	// one ever succeeded. Until then the instances are unknown, not none.
	scanErr error
	sampled bool
}

// ErrNotSampled: no sample of /proc has completed yet.
var ErrNotSampled = errors.New("nginx processes not sampled yet")

// Ready returns nil when the last scan of /proc succeeded: what Instances
// returns is then the node's nginx; otherwise the error says why not.
func (t *Tracker) Ready() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.scanErr != nil:
		return fmt.Errorf("scan %s: %w", t.procRoot, t.scanErr)
	case !t.sampled:
		return ErrNotSampled
	}
	return nil
}

// Reasons a read of /proc failed, for the error counter.
const (
	ReasonPermission = "permission" // the agent lacks CAP_SYS_PTRACE / CAP_DAC_READ_SEARCH
	ReasonMalformed  = "malformed"  // content that does not parse
	ReasonOther      = "other"
)

// count records a failed read; a process that vanished mid-read is normal
// churn, not an error.
func (t *Tracker) count(err error) {
	switch {
	case err == nil, gone(err), errors.Is(err, errTableUnread):
	case errors.Is(err, fs.ErrPermission):
		t.errors[ReasonPermission]++
	case errors.Is(err, ErrMalformed):
		t.errors[ReasonMalformed]++
	default:
		t.errors[ReasonOther]++
	}
}

// NewTracker tracks the nginx processes under procRoot.
func NewTracker(procRoot string, now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	return &Tracker{procRoot: procRoot, now: now, masters: map[int]*master{}, errors: map[string]uint64{},
		direct: filepath.Clean(procRoot) == "/proc"}
}

// Sample reads /proc once and updates every instance.
func (t *Tracker) Sample() error {
	t.scanMu.Lock()
	procs, err := t.scanner.Scan(t.procRoot)
	t.scanMu.Unlock()
	if err != nil {
		t.mu.Lock()
		t.count(err)
		t.scanErr = err
		t.mu.Unlock()
		return err
	}
	masters, children := family(procs)
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.scanErr, t.sampled = nil, true
	t.sockets = map[string][]Socket{}
	defer func() { t.sockets = nil }()
	seen := map[int]bool{}
	for _, mp := range masters {
		seen[mp.PID] = true
		t.sampleMaster(mp, children[mp.PID], now)
	}
	t.forgetGone(seen)
	return nil
}

// family sorts the scanned processes into masters and each master's
// children (by parent PID).
func family(procs []Proc) (masters []Proc, children map[int][]Proc) {
	children = map[int][]Proc{}
	for _, p := range procs {
		if strings.HasPrefix(p.Title, titleMaster) {
			masters = append(masters, p)
		} else {
			children[p.PPID] = append(children[p.PPID], p)
		}
	}
	return masters, children
}

// sampleMaster takes one sample of a master and its workers: a reload
// seen, the connections of workers that finished shutting down counted as
// dropped, the listening addresses and held connections read.
func (t *Tracker) sampleMaster(mp Proc, children []Proc, now time.Time) {
	m := t.masters[mp.PID]
	first := m == nil
	if first {
		m = &master{active: map[int]bool{}, shutting: map[int]int{}, clients: map[int]map[uint64]bool{}, fds: map[int]*FDTable{}, podUID: t.podUID(mp.PID)}
		t.masters[mp.PID] = m
	}
	active, shutting := workers(children)
	event := !first && m.reloading(active, shutting)
	if event && !m.eventLast {
		m.reloads++
		m.lastReload = now
	}
	m.eventLast = event
	m.countGone(shutting)
	if first || len(m.listen) == 0 || m.reloadedAt(now) {
		t.refreshListen(mp.PID, m)
	}
	// Which workers are shutting down is known from their titles,
	// whether or not their sockets can be read.
	m.shuttingWorkers = len(shutting)
	if len(shutting) > 0 {
		t.countHeld(mp.PID, m, shutting)
	}
	m.remember(active)
}

// workers sorts a master's children by title: serving, or shutting down.
func workers(children []Proc) (active, shutting map[int]bool) {
	active, shutting = map[int]bool{}, map[int]bool{}
	for _, c := range children {
		switch c.Title {
		case titleWorker:
			active[c.PID] = true
		case titleShutting:
			shutting[c.PID] = true
		}
	}
	return active, shutting
}

// reloading says whether this sample shows a reload: a worker of the last
// generation has started shutting down, or is gone while a worker not
// seen before is active. One reload can span two samples (old workers
// switch over one by one), so an event right after an event is the same
// reload: reloads at least two sampling intervals apart are counted
// exactly.
func (m *master) reloading(active, shutting map[int]bool) bool {
	if len(m.active) == 0 {
		return false
	}
	oldLeft, newCame := false, false
	for pid := range m.active {
		if !active[pid] {
			oldLeft = true
			break
		}
	}
	// New workers may have started a sample before the old ones left
	// (nginx starts the new generation first): count those as new too.
	for pid := range active {
		if !m.active[pid] || m.appeared[pid] {
			newCame = true
			break
		}
	}
	// Old workers start shutting down only on a reload (or quit); idle
	// ones may exit before any sample sees them shutting.
	for pid := range m.active {
		if shutting[pid] {
			return true
		}
	}
	return oldLeft && newCame
}

// countGone counts as dropped the connections of workers that were
// shutting down and are gone: they took their connections with them.
func (m *master) countGone(shutting map[int]bool) {
	for pid, held := range m.shutting {
		if !shutting[pid] {
			m.dropped += uint64(held)
			delete(m.shutting, pid)
			delete(m.clients, pid)
			delete(m.fds, pid)
		}
	}
}

// remember keeps the serving generation to compare the next sample with.
// Mid-reload a sample can catch the old workers already shutting down and
// the new ones not yet started: keep comparing against the last
// generation seen.
func (m *master) remember(active map[int]bool) {
	if len(active) == 0 {
		return
	}
	m.appeared = map[int]bool{}
	for pid := range active {
		if !m.active[pid] {
			m.appeared[pid] = true
		}
	}
	m.active = active
}

// forgetGone forgets the masters this scan did not see. A master the scan
// missed but whose /proc entry is still there (a read failed under load)
// keeps its state: forgetting it would lose the reload in progress. Three
// misses in a row, it is gone.
func (t *Tracker) forgetGone(seen map[int]bool) {
	for pid, m := range t.masters {
		if seen[pid] {
			m.missed = 0
			continue
		}
		m.missed++
		if _, err := os.Stat(filepath.Join(t.procRoot, strconv.Itoa(pid))); err != nil || m.missed >= 3 {
			delete(t.masters, pid)
		}
	}
}

func (m *master) reloadedAt(now time.Time) bool { return m.lastReload.Equal(now) }

// refreshListen learns the master's listening addresses: LISTEN sockets
// among its own fds.
func (t *Tracker) refreshListen(pid int, m *master) {
	var fds FDTable
	inodes, err := fds.SocketInodes(t.procRoot, pid)
	if err == nil {
		var socks map[uint64]Socket
		socks, err = t.tcpSockets(pid, pid, &fds, func(inode uint64) bool { return inodes[inode] })
		if err == nil {
			m.setListen(socks)
			return
		}
	}
	t.count(err)
	if !gone(err) {
		m.connUnknown = true
	}
}

// setListen keeps the LISTEN sockets among socks as the master's.
func (m *master) setListen(socks map[uint64]Socket) {
	m.listen = map[string]bool{}
	var ports []int
	for _, s := range socks {
		if s.State == StateListen {
			m.listen[s.Local] = true
			if !slices.Contains(ports, s.LocalPort()) {
				ports = append(ports, s.LocalPort())
			}
		}
	}
	slices.Sort(ports)
	p := make([]string, len(ports))
	for i, n := range ports {
		p[i] = strconv.Itoa(n)
	}
	m.ports = strings.Join(p, ",")
}

// countHeld counts, per shutting-down worker, its ESTABLISHED sockets
// accepted on a listening address: a proxying worker also owns its
// upstream connections, which are not client connections.
//
// A shutting-down worker accepts nothing new, so each of its sockets is
// classified once, the first time it is seen (asked through the fd itself,
// socketsByFD; where that is refused, from the namespace's socket table,
// the expensive read), and later samples only follow the worker's
// fds (FDTable: one stat while their number holds, a listing when it
// changes). That keeps a busy node's cost near one stat per worker and
// sample, and it keeps the count right when the worker is cut at
// worker_shutdown_timeout while a sample runs: the fds read at one instant
// are the count, not the overlap of two reads taken while a thousand
// connections close.
func (t *Tracker) countHeld(masterPID int, m *master, shutting map[int]bool) {
	wildcardPorts := map[int]bool{}
	for l := range m.listen {
		addr := l[:strings.LastIndexByte(l, ':')]
		if strings.Trim(addr, "0") == "" {
			wildcardPorts[Socket{Local: l}.LocalPort()] = true
		}
	}
	for pid := range shutting {
		fds := m.fds[pid]
		if fds == nil {
			fds = new(FDTable)
			m.fds[pid] = fds
		}
		inodes, err := fds.SocketInodes(t.procRoot, pid)
		if err != nil {
			// Exited since the scan: keep the last count, which the next
			// sample turns into drops.
			t.count(err)
			if !gone(err) {
				m.connUnknown = true
			}
			continue
		}
		class := m.clients[pid]
		if class == nil {
			class = map[uint64]bool{}
			m.clients[pid] = class
		}
		var unknown []uint64
		for inode := range inodes {
			if _, ok := class[inode]; !ok {
				unknown = append(unknown, inode)
			}
		}
		if len(unknown) > 0 {
			socks, err := t.tcpSockets(pid, masterPID, fds, func(inode uint64) bool { _, known := class[inode]; return !known })
			if err != nil {
				t.count(err)
				if !gone(err) {
					m.connUnknown = true
				}
				continue // exited meanwhile: the last count stands
			}
			// Not found as a client connection: an upstream, a UDP or
			// unix socket, or one closed since the fd listing.
			for _, inode := range unknown {
				s, ok := socks[inode]
				class[inode] = ok && s.State == StateEstablished && (m.listen[s.Local] || wildcardPorts[s.LocalPort()])
			}
		}
		held := 0
		for inode, client := range class {
			if !inodes[inode] {
				delete(class, inode) // closed: the map stays as small as the fd table
				continue
			}
			if client {
				held++
			}
		}
		m.shutting[pid] = held
	}
}

// gone tells a process that exited mid-read.
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// errTableUnread: neither way of reading sockets worked; the error is
// already counted.
var errTableUnread = errors.New("socket table unread")

// tcpSockets describes the TCP sockets of process pid among the socket
// inodes want accepts, as its fd table fds last listed them: read through
// the process's fds where the agent may (socketsByFD), else from the
// socket table of tablePID's network namespace. An error that is gone(err)
// means pid exited meanwhile.
func (t *Tracker) tcpSockets(pid, tablePID int, fds *FDTable, want func(inode uint64) bool) (map[uint64]Socket, error) {
	if t.direct {
		socks, err := socketsByFD(pid, fds.fdsOf(want))
		if !errors.Is(err, ErrNoDirectRead) {
			return socks, err
		}
		// Not an error to count: nothing is lost, the table costs more.
		t.direct = false
	}
	table, ok := t.socketsOf(tablePID)
	if !ok {
		return nil, errTableUnread
	}
	out := map[uint64]Socket{}
	for _, s := range table {
		if want(s.Inode) {
			out[s.Inode] = s
		}
	}
	return out, nil
}

// socketsOf returns the socket table of the process's network namespace,
// read once per sample and namespace. Malformed lines are counted and the
// rest used.
func (t *Tracker) socketsOf(pid int) ([]Socket, bool) {
	ns, err := NetNamespace(t.procRoot, pid)
	if err != nil {
		ns = "pid:" + strconv.Itoa(pid) // unknown namespace: no sharing
	}
	if socks, ok := t.sockets[ns]; ok {
		return socks, true
	}
	socks, err := Sockets(t.procRoot, pid)
	if err != nil {
		t.count(err)
		if !errors.Is(err, ErrMalformed) {
			return nil, false
		}
	}
	if t.sockets != nil {
		t.sockets[ns] = socks
	}
	return socks, true
}

// podUID reads which pod the master runs in; cgroups do not change under
// a running process in Kubernetes, so once per master is enough.
func (t *Tracker) podUID(pid int) string {
	b, err := os.ReadFile(filepath.Join(t.procRoot, strconv.Itoa(pid), "cgroup"))
	if err != nil {
		t.count(err)
		return ""
	}
	uid, _ := podcgroup.PodUID(b)
	return uid
}

// Instances returns every tracked nginx, by listening ports.
func (t *Tracker) Instances() []Instance {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Instance
	for _, m := range t.masters {
		in := Instance{Listen: m.ports, PodUID: m.podUID, ConnectionsKnown: !m.connUnknown && len(m.listen) > 0, Reloads: m.reloads, LastReload: m.lastReload, Dropped: m.dropped, ShuttingDown: m.shuttingWorkers}
		for _, held := range m.shutting {
			in.HeldConnections += held
		}
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b Instance) int {
		return cmp.Or(cmp.Compare(a.PodUID, b.PodUID), cmp.Compare(a.Listen, b.Listen))
	})
	return out
}

// Errors counts failed reads of /proc since start, by reason.
func (t *Tracker) Errors() map[string]uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.errors)
}

// Run samples every interval until ctx is done.
func (t *Tracker) Run(ctx context.Context, interval time.Duration) {
	poll.Every(ctx, interval, func(context.Context) {
		_ = t.Sample() // counted in Errors
	})
}
