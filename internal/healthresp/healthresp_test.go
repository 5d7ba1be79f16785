package healthresp

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseFormats(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, contentType, format string
		deps                      []Component
		internal                  int
	}{
		{"ietf.json", "application/health+json", FormatHealthJSON,
			[]Component{{Name: "cassandra", Alt: "dfd6cf2b-1b6e-4412-a0b8-f6f7797a60d2"}}, 3},
		{"spring.json", "application/vnd.spring-boot.actuator.v3+json", FormatSpringBoot,
			[]Component{{Name: "orders-db", Alt: "db"}, {Name: "primary", Alt: "db"}, {Name: "payments"}, {Name: "redis"}}, 4},
		{"microprofile.json", "application/json", FormatMicroProfile,
			[]Component{{Name: "inventory-service"}, {Name: "Database connections health check"}}, 1},
		{"plain.txt", "text/plain", FormatPlain, nil, 0},
		{"spring-liveness.json", "application/json", FormatSpringBoot, nil, 0},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Parse(b, tc.contentType, 32)
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if r.Format != tc.format {
			t.Errorf("%s: format %s, want %s", tc.file, r.Format, tc.format)
		}
		if got := r.Dependencies(); !reflect.DeepEqual(got, tc.deps) {
			t.Errorf("%s: dependencies %+v, want %+v", tc.file, got, tc.deps)
		}
		if n := len(r.Components) - len(r.Dependencies()); n != tc.internal {
			t.Errorf("%s: %d internal checks, want %d", tc.file, n, tc.internal)
		}
	}
}

func TestParseHostile(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		body string
		want error
	}{
		"invalid UTF-8":  {"{\"checks\": {\"\xff\xfe\": []}}", ErrInvalidUTF8},
		"deep":           {strings.Repeat("[", 100) + strings.Repeat("]", 100), ErrTooDeep},
		"deep in object": {`{"components":` + strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 41), ErrTooDeep},
		"truncated":      {`{"checks": {"db:x": [{"componentId": "a"`, ErrInvalidJSON},
		"wrong types":    {`{"checks": {"db:x": 5}}`, ErrInvalidJSON},
	} {
		if _, err := Parse([]byte(tc.body), "application/json", 32); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
	// Brackets inside strings do not count as nesting.
	if _, err := Parse([]byte(`{"status":"UP","note":"`+strings.Repeat("[{", 100)+`\"]"}`), "", 32); err != nil {
		t.Errorf("brackets in a string: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b, "application/json", 32)
		if err != nil && (r.Format != "" || r.Components != nil) {
			t.Fatalf("error %v with a result %+v", err, r)
		}
		for _, c := range r.Components {
			if c.Name == "" {
				t.Fatalf("component without a name: %+v", r)
			}
		}
	})
}
