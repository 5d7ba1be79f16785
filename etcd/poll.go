//go:build !agentonly

package etcd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kube-reliability/kube-reliability-exporter/internal/bounded"
)

// Poller polls every member on its own, in parallel, each under Timeout.
type Poller struct {
	cfg    Config
	logger *slog.Logger

	mu sync.Mutex
	// tls, tlsStamp and http change when the TLS files are rotated.
	tls      *tls.Config
	tlsStamp []fileStamp
	http     *http.Client
	clients  map[string]*clientv3.Client
}

// NewPoller checks the TLS files and builds a poller.
func NewPoller(cfg Config, logger *slog.Logger) (*Poller, error) {
	p := &Poller{cfg: cfg, logger: logger, clients: map[string]*clientv3.Client{}}
	if cfg.MaxMetricsBytes <= 0 {
		p.cfg.MaxMetricsBytes = 8 << 20
	}
	if cfg.TLS != (TLSFiles{}) {
		t, stamp, err := loadTLS(cfg.TLS)
		if err != nil {
			return nil, err
		}
		p.tls, p.tlsStamp = t, stamp
	}
	p.http = newMetricsClient(p.tls)
	return p, nil
}

// newMetricsClient reads members' /metrics. It follows no redirect: a
// member answers itself or not at all (a redirect could send the client
// certificate's connection anywhere).
func newMetricsClient(t *tls.Config) *http.Client {
	return &http.Client{
		Transport:     &http.Transport{TLSClientConfig: t, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// loadTLS reads the CA and client key pair, and stamps the files so that a
// later change (a rotated Secret: kubelet swaps the files under the mount)
// is noticed.
func loadTLS(files TLSFiles) (*tls.Config, []fileStamp, error) {
	stamp := stampFiles(files)
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if files.CA != "" {
		pool := x509.NewCertPool()
		b, err := bounded.ReadFile(files.CA, 1<<20)
		if err != nil {
			return nil, nil, fmt.Errorf("etcd CA file: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, nil, fmt.Errorf("etcd CA file %s: no PEM certificate", files.CA)
		}
		t.RootCAs = pool
	}
	if files.Cert != "" || files.Key != "" {
		c, err := tls.LoadX509KeyPair(files.Cert, files.Key)
		if err != nil {
			return nil, nil, fmt.Errorf("etcd client certificate: %w", err)
		}
		t.Certificates = []tls.Certificate{c}
	}
	return t, stamp, nil
}

// fileStamp identifies one version of a file.
type fileStamp struct {
	info os.FileInfo // nil: unreadable
}

func stampFiles(files TLSFiles) []fileStamp {
	var out []fileStamp
	for _, f := range []string{files.CA, files.Cert, files.Key} {
		var st fileStamp
		if f != "" {
			st.info, _ = os.Stat(f)
		}
		out = append(out, st)
	}
	return out
}

func sameStamps(a, b []fileStamp) bool {
	for i := range a {
		x, y := a[i].info, b[i].info
		switch {
		case x == nil || y == nil:
			if x != y {
				return false
			}
		case !os.SameFile(x, y) || !x.ModTime().Equal(y.ModTime()) || x.Size() != y.Size():
			return false
		}
	}
	return true
}

// reloadTLS re-reads the TLS files when they changed since they were last
// read, and then drops the member clients, which hold the old
// configuration. A half-written rotation fails to load: the old
// configuration is kept and the next poll tries again.
func (p *Poller) reloadTLS() {
	if p.cfg.TLS == (TLSFiles{}) || sameStamps(p.tlsStamp, stampFiles(p.cfg.TLS)) {
		return
	}
	t, stamp, err := loadTLS(p.cfg.TLS)
	if err != nil {
		p.logger.Warn("etcd TLS files changed but do not load; keeping the previous ones", "err", err)
		return
	}
	p.logger.Info("etcd TLS files changed, reloaded")
	p.mu.Lock()
	old := p.clients
	p.tls, p.tlsStamp, p.clients, p.http = t, stamp, map[string]*clientv3.Client{}, newMetricsClient(t)
	p.mu.Unlock()
	for _, c := range old {
		_ = c.Close()
	}
}

// Close closes the member clients.
func (p *Poller) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.clients {
		_ = c.Close()
	}
	p.clients = map[string]*clientv3.Client{}
}

func (p *Poller) client(m Member) (*clientv3.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.clients[m.URL]; c != nil {
		return c, nil
	}
	// One client per member, pinned to its endpoint: Status must reach
	// that member, not whichever one the balancer picks.
	c, err := clientv3.New(clientv3.Config{
		Endpoints: []string{m.URL}, DialTimeout: p.cfg.Timeout, TLS: p.tls, // under p.mu
		Logger: zap.NewNop(), AutoSyncInterval: 0, RejectOldCluster: false,
	})
	if err != nil {
		return nil, err
	}
	p.clients[m.URL] = c
	return c, nil
}

// Poll polls every member and returns their statuses in configured order.
func (p *Poller) Poll(ctx context.Context) []MemberStatus {
	p.reloadTLS()
	out := make([]MemberStatus, len(p.cfg.Members))
	var wg sync.WaitGroup
	for i, m := range p.cfg.Members {
		wg.Go(func() {
			mctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
			defer cancel()
			out[i] = p.pollMember(mctx, m)
		})
	}
	wg.Wait()
	return out
}

func (p *Poller) pollMember(ctx context.Context, m Member) MemberStatus {
	st := MemberStatus{Member: m}
	fail := func(err error) MemberStatus {
		st.Up, st.Reason = false, reason(ctx, err)
		p.logger.Debug("etcd member poll failed", "endpoint", m.Name, "err", err)
		return st
	}
	// Dial first: a refused connection or a certificate the CA does not
	// verify is reported as such at once, instead of as a timeout after
	// the gRPC client's retries; the handshake also yields the served
	// certificate.
	notAfter, err := p.preflight(ctx, m)
	if err != nil {
		return fail(err)
	}
	c, err := p.client(m)
	if err != nil {
		return fail(err)
	}
	s, err := c.Status(ctx, m.URL)
	if err != nil {
		return fail(err)
	}
	st.Up = true
	st.Version, st.ID, st.ClusterID, st.Leader = s.Version, s.Header.GetMemberId(), s.Header.GetClusterId(), s.Leader
	st.IsLearner, st.DBSize, st.DBSizeInUse, st.RaftIndex, st.QuotaBytes = s.IsLearner, s.DbSize, s.DbSizeInUse, s.RaftIndex, s.DbSizeQuota
	// Both at once: the alarm list goes through raft and waits for a
	// leader (a whole timeout while the cluster elects one), which must
	// not cost the quota read its time.
	var quotaDone chan struct{}
	var quota int64
	var quotaErr error
	if st.QuotaBytes == 0 {
		// Status has carried the quota only since 3.6; older members
		// export it on /metrics.
		quotaDone = make(chan struct{})
		go func() {
			defer close(quotaDone)
			quota, quotaErr = p.metricsQuota(ctx, m)
		}()
	}
	if a, err := c.AlarmList(ctx); err == nil {
		st.AlarmsKnown, st.Alarms = true, map[string]bool{}
		for _, am := range a.Alarms {
			if am.MemberID == st.ID {
				st.Alarms[am.Alarm.String()] = true
			}
		}
	} else {
		p.logger.Debug("etcd alarm list failed", "endpoint", m.Name, "err", err)
	}
	if quotaDone != nil {
		<-quotaDone
		if quotaErr == nil {
			st.QuotaBytes = quota
		} else {
			st.MetricsFailed = true
			p.logger.Debug("etcd quota from /metrics failed", "endpoint", m.Name, "err", quotaErr)
		}
	}
	st.CertNotAfter = notAfter
	return st
}

func (p *Poller) metricsQuota(ctx context.Context, m Member) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	client := p.http
	p.mu.Unlock()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return ParseQuota(io.LimitReader(resp.Body, p.cfg.MaxMetricsBytes))
}

// preflight dials the member (with TLS for https) and returns the served
// certificate's not-after time (zero for plain http).
func (p *Poller) preflight(ctx context.Context, m Member) (time.Time, error) {
	u, err := url.Parse(m.URL)
	if err != nil {
		return time.Time{}, err
	}
	if u.Scheme != "https" {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", u.Host)
		if err != nil {
			return time.Time{}, err
		}
		return time.Time{}, conn.Close()
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	p.mu.Lock()
	if p.tls != nil {
		cfg = p.tls.Clone()
	}
	p.mu.Unlock()
	if cfg.ServerName == "" {
		cfg.ServerName = u.Hostname()
	}
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return time.Time{}, err
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return time.Time{}, nil
	}
	return certs[0].NotAfter, nil
}

func reason(ctx context.Context, err error) string {
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var alert tls.AlertError
	var header tls.RecordHeaderError
	var ne net.Error
	switch {
	case errors.As(err, &certErr) || errors.As(err, &unknownAuthority) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &alert) || errors.As(err, &header):
		// A certificate not verified either way, or a server speaking
		// something other than TLS.
		return "tls"
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return "unreachable"
	}
	// gRPC errors from the client, by status code.
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.DeadlineExceeded:
			return "timeout"
		case codes.Unavailable:
			return "unreachable"
		}
	}
	return "other"
}
