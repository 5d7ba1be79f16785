package bounded

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// At the limit a read is whole; one byte past it is ErrTooLarge with the
// first limit bytes, which Truncated accepts.
func TestRead(t *testing.T) {
	for _, tt := range []struct {
		in       string
		want     string
		tooLarge bool
	}{
		{"", "", false},
		{"abcd", "abcd", false},
		{"abcde", "abcd", true},
		{strings.Repeat("x", 1<<20), "xxxx", true},
	} {
		got, err := Read(strings.NewReader(tt.in), 4)
		if string(got) != tt.want || errors.Is(err, ErrTooLarge) != tt.tooLarge {
			t.Errorf("Read(%d bytes, 4) = %q, %v", len(tt.in), got, err)
		}
		if tt.tooLarge && !strings.Contains(err.Error(), "4 bytes") {
			t.Errorf("error %q does not name the limit", err)
		}
		if got, err := Truncated(Read(strings.NewReader(tt.in), 4)); string(got) != tt.want || err != nil {
			t.Errorf("Truncated(Read(%d bytes, 4)) = %q, %v", len(tt.in), got, err)
		}
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("abcdef"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadFile(path, 3); string(got) != "abc" || !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadFile = %q, %v", got, err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing"), 3); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
