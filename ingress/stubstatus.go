package ingress

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/kube-reliability/kube-reliability-exporter/internal/bounded"
)

// StubStatus is nginx's stub_status page: connection states now and
// counters since nginx started (shared by all workers).
type StubStatus struct {
	Active, Reading, Writing, Waiting uint64
	Accepted, Handled, Requests       uint64
}

// maxStubStatus bounds a stub_status body: the real one is ~100 bytes.
const maxStubStatus = 4 << 10

// ParseStubStatus parses the page ngx_http_stub_status_module writes:
//
//	Active connections: 291
//	server accepts handled requests
//	 16630948 16630948 31070465
//	Reading: 6 Writing: 179 Waiting: 106
//
// Anything else is an error wrapping ErrMalformed: a proxy's error page
// or a truncated answer must not pass for zeros.
func ParseStubStatus(r io.Reader) (StubStatus, error) {
	var s StubStatus
	sc := bufio.NewScanner(io.LimitReader(r, maxStubStatus))
	sc.Buffer(make([]byte, 512), maxStubStatus)
	var lines []string
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("stub_status: %w: %v", ErrMalformed, err)
	}
	if len(lines) != 4 {
		return s, fmt.Errorf("stub_status: %w: %d lines, want 4", ErrMalformed, len(lines))
	}
	bad := func(what string) (StubStatus, error) {
		return StubStatus{}, fmt.Errorf("stub_status: %w: %s", ErrMalformed, what)
	}
	active, ok := strings.CutPrefix(lines[0], "Active connections:")
	if !ok {
		return bad("no Active connections line")
	}
	if lines[1] != "server accepts handled requests" {
		return bad("no counters header")
	}
	f := strings.Fields(lines[3])
	if len(f) != 6 || f[0] != "Reading:" || f[2] != "Writing:" || f[4] != "Waiting:" {
		return bad("no Reading/Writing/Waiting line")
	}
	counters := strings.Fields(lines[2])
	if len(counters) != 3 {
		return bad("counters line")
	}
	for _, v := range []struct {
		into *uint64
		text string
	}{
		{&s.Active, strings.TrimSpace(active)},
		{&s.Accepted, counters[0]}, {&s.Handled, counters[1]}, {&s.Requests, counters[2]},
		{&s.Reading, f[1]}, {&s.Writing, f[3]}, {&s.Waiting, f[5]},
	} {
		n, err := strconv.ParseUint(v.text, 10, 64)
		if err != nil {
			return bad(fmt.Sprintf("number %q", v.text))
		}
		*v.into = n
	}
	return s, nil
}

// Reasons a stub_status read failed.
const (
	StubTimeout     = "timeout"
	StubUnreachable = "unreachable"
	StubHTTPStatus  = "http_status"
	StubMalformed   = "malformed"
	StubTooLarge    = "too_large"
)

// StubError is a failed stub_status read with its bounded reason.
type StubError struct {
	Reason string
	Err    error
}

func (e *StubError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *StubError) Unwrap() error { return e.Err }

var errRedirect = errors.New("redirect refused: stub_status is read where configured")

// NewStubClient is the HTTP client for stub_status: no redirects (the
// page is never elsewhere), no connection reuse (each read is one short
// request; an idle kept-alive connection would show in nginx's Waiting).
func NewStubClient() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true, MaxResponseHeaderBytes: 16 << 10},
		CheckRedirect: func(*http.Request, []*http.Request) error { return errRedirect },
	}
}

// FetchStubStatus reads and parses one stub_status page within ctx.
func FetchStubStatus(ctx context.Context, c *http.Client, url string) (StubStatus, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return StubStatus{}, &StubError{StubUnreachable, err}
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return StubStatus{}, &StubError{StubTimeout, err}
		}
		var urlErr interface{ Timeout() bool }
		if errors.As(err, &urlErr) && urlErr.Timeout() {
			return StubStatus{}, &StubError{StubTimeout, err}
		}
		if errors.Is(err, errRedirect) {
			return StubStatus{}, &StubError{StubHTTPStatus, err}
		}
		return StubStatus{}, &StubError{StubUnreachable, err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return StubStatus{}, &StubError{StubHTTPStatus, fmt.Errorf("HTTP %d", resp.StatusCode)}
	}
	body, err := bounded.Read(resp.Body, maxStubStatus)
	switch {
	case errors.Is(err, bounded.ErrTooLarge):
		return StubStatus{}, &StubError{StubTooLarge, fmt.Errorf("body %w", err)}
	case err != nil && ctx.Err() != nil:
		return StubStatus{}, &StubError{StubTimeout, err}
	case err != nil:
		return StubStatus{}, &StubError{StubUnreachable, err}
	}
	s, err := ParseStubStatus(bytes.NewReader(body))
	if err != nil {
		return s, &StubError{StubMalformed, err}
	}
	return s, nil
}
