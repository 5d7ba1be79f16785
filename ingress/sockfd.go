package ingress

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// ErrNoDirectRead: the kernel or the agent's privileges do not let it
// read another process's sockets directly (pidfd_getfd: Linux 5.6 and
// CAP_SYS_PTRACE); the namespace's socket table is read instead.
var ErrNoDirectRead = errors.New("sockets cannot be read through pidfd_getfd")

// socketsByFD reads the TCP sockets behind some of a process's fds
// directly: each fd is duplicated into the agent (pidfd_getfd, which
// needs CAP_SYS_PTRACE, as reading fd links does) and asked its local
// address and state. The namespace's socket table (Sockets) costs the
// kernel a formatted line per socket of the namespace, tens of thousands
// on a busy ingress node, every time one new socket is to be classified:
// on a reload, that was most of the agent's CPU.
//
// fds maps fd number to the socket inode the caller's listing saw; an fd
// closed or reused since (another inode) is skipped. Sockets that are not
// TCP (unix, UDP) are left out.
func socketsByFD(pid int, fds map[int]uint64) (map[uint64]Socket, error) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, directErr("pidfd_open", pid, err)
	}
	defer unix.Close(pidfd)
	out := make(map[uint64]Socket, len(fds))
	for fd, inode := range fds {
		local, err := unix.PidfdGetfd(pidfd, fd, 0)
		if errors.Is(err, unix.EBADF) {
			continue // closed since the listing
		}
		if err != nil {
			return nil, directErr("pidfd_getfd", pid, err)
		}
		if s, ok := tcpSocket(local, inode); ok {
			out[inode] = s
		}
		unix.Close(local)
	}
	return out, nil
}

// directErr wraps a failed pidfd call: a process gone stays "gone" (it
// exited mid-read); anything else means this way is closed.
func directErr(op string, pid int, err error) error {
	if errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("%s %d: %w", op, pid, err)
	}
	return fmt.Errorf("%s %d: %w: %w", op, pid, ErrNoDirectRead, err)
}

// tcpSocket describes fd as the socket table would: local address in the
// kernel's hex form, TCP state. ok is false for anything but a TCP socket
// with inode inode.
func tcpSocket(fd int, inode uint64) (Socket, bool) {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Ino != inode {
		return Socket{}, false
	}
	if typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_STREAM {
		return Socket{}, false
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return Socket{}, false
	}
	var local string
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		local = hexAddr(a.Addr[:], a.Port)
	case *unix.SockaddrInet6:
		local = hexAddr(a.Addr[:], a.Port)
	default:
		return Socket{}, false
	}
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return Socket{}, false
	}
	return Socket{Local: local, State: int(info.State), Inode: inode}, true
}

// hexAddr writes an address and port as /proc/net/tcp does: each 32-bit
// word of the address (network order in memory) printed as the host reads
// it, %08X, then ":%04X" of the port.
func hexAddr(addr []byte, port int) string {
	b := make([]byte, 0, 2*len(addr)+5)
	for i := 0; i+4 <= len(addr); i += 4 {
		w := binary.NativeEndian.Uint32(addr[i : i+4])
		b = appendHex(b, uint64(w), 8)
	}
	b = append(b, ':')
	b = appendHex(b, uint64(port), 4)
	return string(b)
}

func appendHex(b []byte, v uint64, width int) []byte {
	s := strconv.FormatUint(v, 16)
	for range width - len(s) {
		b = append(b, '0')
	}
	for i := range len(s) {
		c := s[i]
		if c >= 'a' {
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}
