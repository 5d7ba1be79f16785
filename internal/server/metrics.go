package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Exposer writes the collectors' exposition of one scrape in the text
// format: gzipped, as a series of gzip members, when acceptGzip and the
// exposer finds it worth it, else plain. It calls begin with that choice
// before it writes anything.
type Exposer interface {
	Scrape(w io.Writer, acceptGzip bool, begin func(gzipped bool) error) error
}

// contentType is the text exposition format, which every Prometheus
// version and every other scraper reads.
const contentType = "text/plain; version=0.0.4; charset=utf-8"

// metricsHandler serves /metrics: the exporter's own metrics (build info,
// Go runtime, process: a few dozen series, gathered through client_golang)
// followed by the collectors' exposition, written by the collectors
// themselves (collector.Set) because that is where the size is: some
// 250,000 series at 5,000 nodes, most of them unchanged from the last
// scrape and served from it.
type metricsHandler struct {
	self       prometheus.Gatherer
	collectors Exposer
	logger     *slog.Logger
	inFlight   chan struct{}
}

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case h.inFlight <- struct{}{}:
		defer func() { <-h.inFlight }()
	default:
		http.Error(w, "too many concurrent scrapes", http.StatusServiceUnavailable)
		return
	}
	var self bytes.Buffer
	fams, err := h.self.Gather()
	if err != nil {
		// Serve what was gathered, as promhttp's ContinueOnError does.
		h.logger.Error("gather the exporter's own metrics", "err", err)
	}
	enc := expfmt.NewEncoder(&self, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range fams {
		if err := enc.Encode(mf); err != nil {
			h.logger.Error("encode the exporter's own metrics", "err", err)
		}
	}
	// The exporter's own metrics go first, in the encoding the
	// collectors' exposition chose.
	begin := func(gzipped bool) error {
		w.Header().Set("Content-Type", contentType)
		w.Header().Add("Vary", "Accept-Encoding")
		if !gzipped {
			_, err := w.Write(self.Bytes())
			return err
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(zw)
		zw.Reset(w)
		if _, err := zw.Write(self.Bytes()); err != nil {
			return err
		}
		return zw.Close()
	}
	err = h.collectors.Scrape(w, acceptsGzip(r.Header.Get("Accept-Encoding")), begin)
	if err != nil {
		// The status is sent: the client sees a cut body and fails.
		h.logger.Warn("write /metrics", "err", err)
	}
}

// gzipWriters are reused: a new compressor allocates over 1 MB of state.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed) // the level is valid
	return zw
}}

func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0" {
			return true
		}
	}
	return false
}
