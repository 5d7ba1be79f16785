package golden

import (
	"bytes"
	"os"
	"testing"
)

// Check fails t when the file at path differs from got; with update it
// first rewrites the file. regenerate is the command to print on a
// difference.
func Check(t testing.TB, path string, got []byte, update bool, regenerate string) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run %s and review the diff", path, regenerate)
	}
}
