package ingress

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParsePPID(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("testdata/stat")
	if err != nil {
		t.Fatal(err)
	}
	if ppid, err := ParsePPID(b); err != nil || ppid != 4241 {
		t.Errorf("ppid %d, %v; want 4241 despite the parentheses in the command", ppid, err)
	}
	for _, bad := range []string{"", "12 (x", "12 (x) S", "12 (x) S -3"} {
		if _, err := ParsePPID([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseTCP(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/tcp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	socks, bad, err := ParseTCP(f)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 2 {
		t.Errorf("bad lines %d, want 2", bad)
	}
	var listen, est *Socket
	for i := range socks {
		switch socks[i].Inode {
		case 424242:
			listen = &socks[i]
		case 434343:
			est = &socks[i]
		}
	}
	if listen == nil || listen.State != StateListen || listen.LocalPort() != 8080 || listen.Local != "0100007F:1F90" {
		t.Errorf("listen socket %+v", listen)
	}
	if est == nil || est.State != StateEstablished {
		t.Errorf("established socket %+v", est)
	}
}

func TestTitle(t *testing.T) {
	t.Parallel()
	if got := Title([]byte("nginx: worker process\x00\x00\x00")); got != titleWorker {
		t.Errorf("title %q", got)
	}
}

func FuzzParseTCP(f *testing.F) {
	b, err := os.ReadFile("testdata/tcp")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		socks, _, _ := ParseTCP(strings.NewReader(string(data)))
		for _, s := range socks {
			if !strings.Contains(s.Local, ":") {
				t.Errorf("socket without a port: %+v", s)
			}
			_ = s.LocalPort()
		}
	})
}

func FuzzParsePPID(f *testing.F) {
	b, err := os.ReadFile("testdata/stat")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("1 ()) R 0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if ppid, err := ParsePPID(data); err == nil && ppid < 0 {
			t.Errorf("negative ppid %d", ppid)
		}
	})
}

// parseUint agrees with strconv within its limit.
func FuzzParseUint(f *testing.F) {
	for _, s := range []string{"0", "0A", "ff", "18446744073709551615", "18446744073709551616", "-1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, base := range []uint64{10, 16} {
			got, ok := parseUint([]byte(s), base, 1<<64-1)
			want, err := strconv.ParseUint(s, int(base), 64)
			if strings.HasPrefix(s, "+") || strings.Contains(s, "_") || strings.HasPrefix(strings.ToLower(s), "0x") || strings.HasPrefix(strings.ToLower(s), "0b") || strings.HasPrefix(strings.ToLower(s), "0o") {
				continue // strconv's base prefixes and underscores only apply with base 0
			}
			if ok != (err == nil) || (ok && got != want) {
				t.Fatalf("%q base %d: %d %v, strconv %d %v", s, base, got, ok, want, err)
			}
		}
	})
}

// The Scanner reads a /proc-shaped tree: more entries than one getdents
// buffer holds, non-pid names, vanished and unreadable processes, hostile
// titles and stat lines; it returns exactly the nginx processes, again on
// a second scan with the same buffers.
func TestScannerFindsExactlyNginx(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(pid, file, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, pid, file), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 3000; i++ { // ~80 kB of directory entries
		pid := strconv.Itoa(i)
		write(pid, "cmdline", "/usr/bin/sleep\x00100\x00")
		write(pid, "stat", pid+" (sleep) S 1 1 1")
	}
	var want []Proc
	for i, title := range []string{"nginx: master process /usr/sbin/nginx -g daemon off;", "nginx: worker process", "nginx: worker process is shutting down"} {
		pid := 5000 + i
		write(strconv.Itoa(pid), "cmdline", title+"\x00") // nginx writes its title over argv
		write(strconv.Itoa(pid), "stat", fmt.Sprintf("%d (nginx) S %d 5000 5000", pid, 4999+min(i, 1)))
		want = append(want, Proc{PID: pid, PPID: 4999 + min(i, 1), Title: title})
	}
	write("6000", "cmdline", "nginx: worker process"+strings.Repeat("x", 10000)) // truncated, still nginx
	write("6000", "stat", "6000 (nginx) S 5000 1 1")
	want = append(want, Proc{PID: 6000, PPID: 5000, Title: "nginx: worker process" + strings.Repeat("x", procFileLimit-len("nginx: worker process"))})
	write("6001", "cmdline", "nginx: worker process")
	write("6001", "stat", "6001 (nginx) S -1 1 1") // garbage ppid: skipped
	write("6002", "cmdline", "nginx: worker process")
	// 6002 has no stat: vanished between the two reads, skipped.
	write("self", "cmdline", "nginx: master process")
	write("0", "cmdline", "nginx: master process")
	var s Scanner
	for round := range 2 {
		got, err := s.Scan(root)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got, func(a, b Proc) int { return a.PID - b.PID })
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: got %s, want %s", round, procList(got), procList(want))
		}
	}
	if _, err := s.Scan(filepath.Join(root, "missing")); err == nil {
		t.Error("a missing /proc scanned without error")
	}
}

// procList names processes by pid, ppid and title length (titles can be
// kilobytes long).
func procList(ps []Proc) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "[pid %d ppid %d title %d bytes %.30q] ", p.PID, p.PPID, len(p.Title), p.Title)
	}
	return b.String()
}
