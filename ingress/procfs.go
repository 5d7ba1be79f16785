package ingress

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Process titles nginx sets (ngx_setproctitle).
const (
	titleMaster   = "nginx: master process"
	titleWorker   = "nginx: worker process"
	titleShutting = "nginx: worker process is shutting down"
)

// Proc is an nginx process.
type Proc struct {
	PID, PPID int
	Title     string
}

// ParsePPID reads the parent pid from /proc/<pid>/stat, whose second field
// (the command) may hold spaces and parentheses: the fields after the last
// ')' are fixed.
func ParsePPID(stat []byte) (int, error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("stat: no command field")
	}
	// " <state> <ppid> …": skip the state, then read the ppid.
	rest := bytes.TrimLeft(stat[i+1:], " ")
	sp := bytes.IndexByte(rest, ' ')
	if sp < 0 {
		return 0, errors.New("stat: truncated")
	}
	rest = bytes.TrimLeft(rest[sp:], " ")
	if end := bytes.IndexAny(rest, " \n"); end >= 0 {
		rest = rest[:end]
	}
	if len(rest) == 0 {
		return 0, errors.New("stat: truncated")
	}
	ppid, ok := parseDecimal(rest)
	if !ok {
		return 0, fmt.Errorf("stat: ppid %q", rest)
	}
	return ppid, nil
}

// parseDecimal parses a non-negative decimal number of at most 9 digits
// (pids are below 2^22) without allocating.
func parseDecimal(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// Title turns a cmdline (NUL-separated; nginx overwrites argv with its
// title) into a string.
func Title(cmdline []byte) string {
	return strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
}

// Scan lists the nginx processes under procRoot (see Scanner).
func Scan(procRoot string) ([]Proc, error) {
	return new(Scanner).Scan(procRoot)
}

// procFileLimit bounds what is read of a process's cmdline or stat, which
// can be huge or hostile: the first 4 kB hold a title or a stat line.
const procFileLimit = 4096

// Scanner lists the nginx processes under a /proc, every process of the
// node each second in the agent. It reuses its buffers from scan to scan
// and reads the directory and the files with plain system calls: per
// process, one read of its title and a path of a few bytes; its stat
// line and Proc only when it is nginx.
type Scanner struct {
	dirents []byte
	file    []byte
}

// Scan lists the nginx processes under procRoot. Processes vanishing
// between the listing and the read are skipped: that is normal churn.
func (s *Scanner) Scan(procRoot string) ([]Proc, error) {
	dir, err := unix.Open(procRoot, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: procRoot, Err: err}
	}
	defer unix.Close(dir)
	if s.dirents == nil {
		s.dirents, s.file = make([]byte, 16<<10), make([]byte, procFileLimit)
	}
	var out []Proc
	for {
		n, err := unix.Getdents(dir, s.dirents)
		if err != nil {
			return nil, &fs.PathError{Op: "getdents", Path: procRoot, Err: err}
		}
		if n <= 0 {
			return out, nil
		}
		for b := s.dirents[:n]; len(b) > 0; {
			name, rest, ok := nextDirent(b)
			if !ok {
				return nil, fmt.Errorf("%s: malformed directory entry", procRoot)
			}
			b = rest
			pid, ok := parseDecimal(name)
			if !ok || pid <= 0 {
				continue
			}
			if p, ok := s.nginx(dir, string(name), pid); ok {
				out = append(out, p)
			}
		}
	}
}

// nginx reads process pid (directory name under dir) and returns it when
// its title says nginx.
func (s *Scanner) nginx(dir int, name string, pid int) (Proc, bool) {
	cmd, ok := s.read(dir, name+"/cmdline")
	if !ok || !bytes.HasPrefix(cmd, []byte("nginx: ")) {
		return Proc{}, false
	}
	title := Title(cmd)
	stat, ok := s.read(dir, name+"/stat")
	if !ok {
		return Proc{}, false
	}
	ppid, err := ParsePPID(stat)
	if err != nil {
		return Proc{}, false
	}
	return Proc{PID: pid, PPID: ppid, Title: title}, true
}

// read returns the first procFileLimit bytes of the file at path under
// dir, in the Scanner's buffer (valid until the next read).
func (s *Scanner) read(dir int, path string) ([]byte, bool) {
	fd, err := unix.Openat(dir, path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer unix.Close(fd)
	n := 0
	for n < len(s.file) {
		m, err := unix.Read(fd, s.file[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, false
		}
		if m == 0 {
			break
		}
		n += m
	}
	return s.file[:n], true
}

// nextDirent splits the first linux_dirent64 off b: its name, the rest.
func nextDirent(b []byte) (name, rest []byte, ok bool) {
	const nameOff = 19 // d_ino 8, d_off 8, d_reclen 2, d_type 1
	if len(b) < nameOff {
		return nil, nil, false
	}
	reclen := int(binary.NativeEndian.Uint16(b[16:18]))
	if reclen < nameOff || reclen > len(b) {
		return nil, nil, false
	}
	name = b[nameOff:reclen]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return name, b[reclen:], true
}

// SocketInodes returns the socket inodes among a process's open fds, read
// afresh (the master's listening sockets, read once per reload).
func SocketInodes(procRoot string, pid int) (map[uint64]bool, error) {
	return new(FDTable).SocketInodes(procRoot, pid)
}

// FDTable follows one process's socket fds from sample to sample: the
// agent's hot path during a reload storm is one read per shutting-down
// worker and second, a thousand fds each. Reading an fd's link costs the
// kernel a path lookup and a permission check, microseconds per fd; the
// number of open fds costs one stat (the fd directory's size, Linux 6.2
// and later). So a sample lists the fds only when their number changed,
// and reads the links of the fd numbers it has not seen before; every
// fullEvery-th sample reads them all, so an fd closed and its number
// reused between two samples (a worker's new upstream connection taking a
// closed client connection's number) is seen within fullEvery samples.
// The zero FDTable reads everything on its first sample.
type FDTable struct {
	links   map[string]uint64 // fd -> socket inode (0: not a socket, read again)
	inodes  map[uint64]bool
	count   int64 // open fds when last listed; 0 when the kernel does not say
	samples int
	// linksRead counts the links read, for the tests of what is saved.
	linksRead int
}

// fullEvery is how often, in samples, every link is read again.
const fullEvery = 10

// SocketInodes returns the socket inodes among the process's open fds. The
// map is the table's own: read it, do not keep or change it.
func (t *FDTable) SocketInodes(procRoot string, pid int) (map[uint64]bool, error) {
	path := filepath.Join(procRoot, strconv.Itoa(pid), "fd")
	full := t.links == nil || t.samples%fullEvery == 0
	t.samples++
	if !full && t.count > 0 {
		var st unix.Stat_t
		if unix.Stat(path, &st) == nil && st.Size == t.count {
			return t.inodes, nil
		}
	}
	inodes, err := t.read(path, full)
	if err != nil {
		t.links, t.inodes, t.count = nil, nil, 0
		return nil, err
	}
	return inodes, nil
}

// fdsOf returns, by fd number, the fds of the last listing that hold the
// socket inodes want accepts.
func (t *FDTable) fdsOf(want func(inode uint64) bool) map[int]uint64 {
	out := map[int]uint64{}
	for name, inode := range t.links {
		if inode == 0 || !want(inode) {
			continue
		}
		if fd, err := strconv.Atoi(name); err == nil {
			out[fd] = inode
		}
	}
	return out
}

// read lists the fd directory and reads the links it must: all of them
// when full. The count is taken before the listing: a close racing with
// it then only makes the next sample list again, never keeps a closed fd.
// The listing is unsorted and each link read relative to the open
// directory into one buffer: no path walk from / and no allocation per fd.
func (t *FDTable) read(path string, full bool) (map[uint64]bool, error) {
	dir, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	raw, err := dir.SyscallConn()
	if err != nil {
		return nil, err
	}
	var count int64
	_ = raw.Control(func(fd uintptr) {
		var st unix.Stat_t
		if unix.Fstat(int(fd), &st) == nil {
			count = st.Size
		}
	})
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	links := make(map[string]uint64, len(names))
	var buf [64]byte
	var linkErr error
	err = raw.Control(func(fd uintptr) {
		for _, name := range names {
			if inode := t.links[name]; inode != 0 && !full {
				links[name] = inode // a socket seen before
				continue
			}
			n, err := unix.Readlinkat(int(fd), name, buf[:])
			t.linksRead++
			if err == unix.ENOENT {
				continue // closed since the listing
			}
			if err != nil {
				// Listing fds needs CAP_DAC_READ_SEARCH, reading them
				// CAP_SYS_PTRACE: a missing one must not pass for "no sockets".
				linkErr = &fs.PathError{Op: "readlink", Path: dir.Name() + "/" + name, Err: err}
				return
			}
			inode, _ := socketInode(buf[:n])
			links[name] = inode
		}
	})
	if err != nil {
		return nil, err
	}
	if linkErr != nil {
		return nil, linkErr
	}
	inodes := make(map[uint64]bool, len(links))
	for _, inode := range links {
		if inode != 0 {
			inodes[inode] = true
		}
	}
	t.links, t.inodes, t.count = links, inodes, count
	return inodes, nil
}

// socketInode parses a "socket:[12345]" fd link.
func socketInode(link []byte) (uint64, bool) {
	const prefix = "socket:["
	if len(link) < len(prefix)+2 || string(link[:len(prefix)]) != prefix || link[len(link)-1] != ']' {
		return 0, false
	}
	return parseUint(link[len(prefix):len(link)-1], 10, 1<<63)
}

// TCP states in /proc/net/tcp (include/net/tcp_states.h).
const (
	StateEstablished = 0x01
	StateListen      = 0x0A
)

// Socket is one line of /proc/<pid>/net/tcp or tcp6.
type Socket struct {
	Local string // hex address:port as the kernel writes it
	State int
	Inode uint64
}

// LocalPort is the socket's local port.
func (s Socket) LocalPort() int {
	i := strings.LastIndexByte(s.Local, ':')
	p, _ := strconv.ParseUint(s.Local[i+1:], 16, 16)
	return int(p)
}

// ParseTCP parses /proc/net/tcp or tcp6, skipping malformed lines. Only
// LISTEN and ESTABLISHED sockets are kept: nothing else is needed, and a
// busy node has many TIME_WAIT lines.
func ParseTCP(r io.Reader) (socks []Socket, bad int, err error) {
	br := bufio.NewReaderSize(r, 4096)
	first := true
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A real line is ~150 bytes: skip this one whole.
			bad++
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err == io.EOF {
				return socks, bad, nil
			}
			if err != nil {
				return socks, bad, err
			}
			continue
		}
		if len(line) > 0 {
			if first { // header
				first = false
			} else if s, ok := parseTCPLine(line); !ok {
				bad++
			} else if s.State == StateListen || s.State == StateEstablished {
				socks = append(socks, s)
			}
		}
		if err == io.EOF {
			return socks, bad, nil
		}
		if err != nil {
			return socks, bad, err
		}
	}
}

// parseTCPLine reads fields 1 (local address), 3 (state) and 9 (inode)
// without allocating: a busy node's table has 100k lines a sample, and
// only LISTEN and ESTABLISHED ones are kept (their address is the one
// allocation).
func parseTCPLine(line []byte) (Socket, bool) {
	var fields [10][]byte
	n := 0
	for i := 0; i < len(line) && n < len(fields); {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		start := i
		for i < len(line) && !isSpace(line[i]) {
			i++
		}
		if i > start {
			fields[n] = line[start:i]
			n++
		}
	}
	if n < len(fields) || bytes.IndexByte(fields[1], ':') < 0 {
		return Socket{}, false
	}
	st, ok1 := parseUint(fields[3], 16, 0xff)
	inode, ok2 := parseUint(fields[9], 10, 1<<64-1)
	if !ok1 || !ok2 {
		return Socket{}, false
	}
	sock := Socket{State: int(st), Inode: inode}
	if st == StateListen || st == StateEstablished {
		sock.Local = string(fields[1])
	}
	return sock, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// parseUint parses digits of base 10 or 16 up to limit, without
// allocating.
func parseUint(b []byte, base, limit uint64) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		var d uint64
		switch {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if n > (limit-d)/base {
			return 0, false
		}
		n = n*base + d
	}
	return n, true
}

// maxNetTCP bounds one net/tcp read: 150 bytes a line, a million sockets.
const maxNetTCP = 150 << 20

// ErrMalformed marks /proc content that does not parse.
var ErrMalformed = errors.New("malformed")

// Sockets returns the LISTEN and ESTABLISHED TCP sockets of the process's
// network namespace, streaming the tables (a node can hold 100k sockets)
// and reading at most maxNetTCP bytes of each. Malformed lines are skipped
// and reported as an ErrMalformed error next to the sockets that parsed.
func Sockets(procRoot string, pid int) ([]Socket, error) {
	var all []Socket
	bad := 0
	for _, name := range []string{"tcp", "tcp6"} {
		f, err := os.Open(filepath.Join(procRoot, strconv.Itoa(pid), "net", name))
		if err != nil {
			if name == "tcp6" && errors.Is(err, os.ErrNotExist) {
				continue // no IPv6
			}
			return nil, err
		}
		s, b, err := ParseTCP(io.LimitReader(f, maxNetTCP))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %v", name, ErrMalformed, err)
		}
		bad += b
		all = append(all, s...)
	}
	if bad > 0 {
		return all, fmt.Errorf("%d lines of net/tcp: %w", bad, ErrMalformed)
	}
	return all, nil
}

// NetNamespace names the network namespace of a process ("net:[4026531992]"),
// so that processes sharing one read its socket tables once.
func NetNamespace(procRoot string, pid int) (string, error) {
	return os.Readlink(filepath.Join(procRoot, strconv.Itoa(pid), "ns", "net"))
}
