package memlimit

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestContainerLimit(t *testing.T) {
	tests := []struct {
		name, file, content string
		limit               int64
		ok, err             bool
	}{
		{"v2 limit", "memory.max", "268435456\n", 268435456, true, false},
		{"v2 unlimited", "memory.max", "max\n", 0, false, false},
		{"v1 limit", "memory/memory.limit_in_bytes", "536870912\n", 536870912, true, false},
		{"v1 unlimited", "memory/memory.limit_in_bytes", "9223372036854771712\n", 0, false, false},
		{"garbage", "memory.max", "lots\n", 0, false, true},
		{"negative", "memory.max", "-1\n", 0, false, true},
		{"no cgroup files", "other", "1", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tt.file, tt.content)
			limit, ok, err := ContainerLimit(dir)
			if limit != tt.limit || ok != tt.ok || (err != nil) != tt.err {
				t.Errorf("ContainerLimit = %d, %t, %v; want %d, %t, error %t", limit, ok, err, tt.limit, tt.ok, tt.err)
			}
		})
	}
}

// Not parallel: it changes the process' memory limit and GOMEMLIMIT.
func TestSet(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	dir := t.TempDir()
	write(t, dir, "memory.max", "1000000000\n")
	t.Setenv("GOMEMLIMIT", "")
	soft, err := Set(dir)
	if err != nil || soft != 900000000 || debug.SetMemoryLimit(-1) != 900000000 {
		t.Errorf("Set = %d, %v; runtime limit %d", soft, err, debug.SetMemoryLimit(-1))
	}
	// An explicit GOMEMLIMIT wins.
	t.Setenv("GOMEMLIMIT", "100MiB")
	if soft, err := Set(dir); soft != 0 || err != nil {
		t.Errorf("with GOMEMLIMIT: Set = %d, %v", soft, err)
	}
}
