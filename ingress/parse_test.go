package ingress

import (
	"os"
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
