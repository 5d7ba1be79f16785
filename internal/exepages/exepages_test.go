package exepages

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

const smapsFixture = `00400000-02348000 r-xp 00000000 08:01 1234   /usr/bin/kube-reliability-exporter
Size:              31968 kB
Rss:               20480 kB
Private_Dirty:     20480 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me dw sd
02348000-02e51000 r--p 01f48000 08:01 1234   /usr/bin/kube-reliability-exporter
Rss:                9000 kB
Anonymous:             8 kB
02e51000-02e80000 rw-p 02a51000 08:01 1234   /usr/bin/kube-reliability-exporter
Rss:                 100 kB
Anonymous:           100 kB
7f0000000000-7f0000100000 r--p 00000000 08:01 99   /usr/lib/other file.so
Rss:                  64 kB
Anonymous:             0 kB
7f0000200000-7f0000300000 rw-p 00000000 00:00 0
Rss:                1024 kB
Anonymous:          1024 kB
`

// Only the executable's read-only mappings with no written page are
// released: not its data, not another file's, not one holding a
// relocation (an anonymous page), whatever Private_Dirty says.
func TestReleasableMappings(t *testing.T) {
	maps, err := parseSmaps(strings.NewReader(smapsFixture))
	if err != nil {
		t.Fatal(err)
	}
	if len(maps) != 5 {
		t.Fatalf("%d mappings, want 5: %+v", len(maps), maps)
	}
	want := Mapping{Start: 0x400000, End: 0x2348000, Perms: "r-xp", Path: "/usr/bin/kube-reliability-exporter", Rss: 20480 << 10}
	if !reflect.DeepEqual(maps[0], want) {
		t.Errorf("first mapping %+v, want %+v", maps[0], want)
	}
	if maps[3].Path != "/usr/lib/other file.so" {
		t.Errorf("path with a space: %q", maps[3].Path)
	}
	var got []int
	for i, m := range maps {
		if m.releasable("/usr/bin/kube-reliability-exporter") {
			got = append(got, i)
		}
	}
	if !reflect.DeepEqual(got, []int{0}) {
		t.Errorf("releasable mappings %v, want [0] (the code only)", got)
	}
}

func TestParseSmapsRefusesGarbage(t *testing.T) {
	for _, in := range []string{"zz-yy r-xp 0 0 0 /x\n", "00400000 r-xp\n", "2000-1000 r-xp 0 0 0 /x\n"} {
		if _, err := parseSmaps(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	// Fields before any mapping, and unknown values, are skipped.
	maps, err := parseSmaps(strings.NewReader("Rss: 4 kB\n1000-2000 r--p 0 0 0 /x\nRss: many kB\n"))
	if err != nil || len(maps) != 1 || maps[0].Rss != 0 {
		t.Errorf("got %+v, %v", maps, err)
	}
}

// The test binary's own code pages leave RSS, and the code keeps running
// (this test goes on after Release, through code it has not run yet).
func TestReleaseDropsExecutablePages(t *testing.T) {
	before := exeRss(t)
	if before == 0 {
		t.Fatal("the executable has no resident read-only pages before Release")
	}
	released, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	after := exeRss(t)
	if released == 0 || after >= before {
		t.Errorf("RSS of the executable's read-only mappings %d -> %d bytes (released %d)", before, after, released)
	}
	// Twice is harmless.
	if _, err := Release(); err != nil {
		t.Fatal(err)
	}
	if strings.Repeat("ok", 2) != "okok" {
		t.Fatal("code after Release misbehaves")
	}
}

func exeRss(t *testing.T) uint64 {
	t.Helper()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	maps, err := parseSmaps(f)
	if err != nil {
		t.Fatal(err)
	}
	var sum uint64
	for _, m := range maps {
		if m.releasable(exe) {
			sum += m.Rss
		}
	}
	return sum
}
