package ingress

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fdHelper is another process whose fds the test opens, closes and
// reuses: reading the test's own fd table would change it (the listing's
// directory takes the lowest free number).
type fdHelper struct {
	cmd *exec.Cmd
	in  io.Writer
	out *bufio.Scanner
}

func startFDHelper(t *testing.T) *fdHelper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFDHelperProcess$")
	cmd.Env = append(os.Environ(), "KRE_FD_HELPER=1")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close(); _ = cmd.Wait() })
	return &fdHelper{cmd: cmd, in: in, out: bufio.NewScanner(out)}
}

// do sends one command and returns the helper's answer: for "pair", the
// two fds and their socket inodes.
func (h *fdHelper) do(t *testing.T, cmd string) []uint64 {
	t.Helper()
	fmt.Fprintln(h.in, cmd)
	if !h.out.Scan() {
		t.Fatalf("helper: no answer to %q", cmd)
	}
	var out []uint64
	for f := range strings.FieldsSeq(h.out.Text()) {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			t.Fatalf("helper answered %q to %q", h.out.Text(), cmd)
		}
		out = append(out, n)
	}
	return out
}

func (h *fdHelper) sample(t *testing.T, tab *FDTable) map[uint64]bool {
	t.Helper()
	got, err := tab.SocketInodes("/proc", h.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestFDHelperProcess is the helper's body: it runs only when started by
// startFDHelper. Commands: "pair" (answers fd0 fd1 inode0 inode1),
// "close N", "dup2 A B" (answer "0").
func TestFDHelperProcess(t *testing.T) {
	if os.Getenv("KRE_FD_HELPER") != "1" {
		return
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		arg := func(i int) int { n, _ := strconv.Atoi(f[i]); return n }
		switch f[0] {
		case "pair":
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
			if err != nil {
				os.Exit(2)
			}
			var a, b unix.Stat_t
			_, _ = unix.Fstat(fds[0], &a), unix.Fstat(fds[1], &b)
			fmt.Println(fds[0], fds[1], a.Ino, b.Ino)
		case "close":
			_ = unix.Close(arg(1))
			fmt.Println(0)
		case "dup2":
			_ = unix.Dup2(arg(1), arg(2))
			fmt.Println(0)
		}
	}
	os.Exit(0)
}

func TestFDTableFollowsOpensAndCloses(t *testing.T) {
	t.Parallel()
	h := startFDHelper(t)
	var tab FDTable
	a := h.do(t, "pair")
	if got := h.sample(t, &tab); !got[a[2]] || !got[a[3]] {
		t.Fatalf("first sample misses the pair's sockets %v: %v", a[2:], got)
	}
	// Nothing changed: nothing is read again.
	read := tab.linksRead
	if got := h.sample(t, &tab); !got[a[2]] || !got[a[3]] || tab.linksRead != read {
		t.Errorf("unchanged fds: %v, %d links read again", got, tab.linksRead-read)
	}
	b := h.do(t, "pair")
	read = tab.linksRead
	if got := h.sample(t, &tab); !got[b[2]] || !got[b[3]] || !got[a[2]] {
		t.Errorf("after a second pair %v: %v", b[2:], got)
	}
	// The pair's two links, and the helper's fds that are no sockets
	// (its stdio, the Go runtime's): never the sockets seen before.
	if n := tab.linksRead - read; n < 2 || n > len(tab.links)-2 {
		t.Errorf("a new pair read %d links of %d fds", n, len(tab.links))
	}
	h.do(t, fmt.Sprint("close ", a[0]))
	if got := h.sample(t, &tab); got[a[2]] || !got[a[3]] || !got[b[2]] {
		t.Errorf("after closing fd %d (inode %d): %v", a[0], a[2], got)
	}
}

// An fd number reused between two samples, with the number of fds
// unchanged, is followed within fullEvery samples: the price of not
// reading every link every second.
func TestFDTableSeesAReusedNumberWithinFullEvery(t *testing.T) {
	t.Parallel()
	h := startFDHelper(t)
	var tab FDTable
	a, c := h.do(t, "pair"), h.do(t, "pair")
	h.sample(t, &tab)
	// a's first fd now holds c's first socket: as many fds as before.
	h.do(t, fmt.Sprint("dup2 ", c[0], " ", a[0]))
	for i := 1; ; i++ {
		got := h.sample(t, &tab)
		if !got[a[2]] {
			if !got[c[2]] || !got[a[3]] {
				t.Fatalf("sample %d: %v, want %d and %d", i, got, c[2], a[3])
			}
			break
		}
		if i >= fullEvery {
			t.Fatalf("the replaced socket is still reported after %d samples", i)
		}
	}
}

func TestFDTableGoneProcess(t *testing.T) {
	t.Parallel()
	var tab FDTable
	if _, err := tab.SocketInodes("/proc", 1<<30); !gone(err) {
		t.Errorf("a process that does not exist: %v, want a not-exist error", err)
	}
}
