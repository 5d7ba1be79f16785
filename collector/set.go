package collector

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kube-reliability/kube-reliability-exporter/internal/hypothesisfile"
	"github.com/kube-reliability/kube-reliability-exporter/internal/sourcestatus"
)

// Scrape meta-metrics emitted by every Set, one series per collector.
var (
	scrapeDurationSpec = MetricSpec{
		Name: "kube_reliability_scrape_collector_duration_seconds", Type: Gauge, Stability: Stable,
		Help:   "Time in seconds the collector took to produce what the last scrape served (an unchanged collector's output is served again, with the time it took then).",
		Labels: []string{"collector"}, Bound: "one series per enabled collector",
	}
	collectorUpdatesSpec = MetricSpec{
		Name: "kube_reliability_collector_updates_total", Type: Counter, Stability: Experimental,
		Help:   "Times the collector produced its metrics since the exporter started; a collector whose sources did not change is served from its last output without one, so this counts analyses, not scrapes.",
		Labels: []string{"collector"}, Bound: "one series per enabled collector",
	}
	scrapeNoDataSpec = MetricSpec{
		Name: "kube_reliability_scrape_collector_no_data", Type: Gauge, Stability: Stable,
		Help:   "1 while the collector has nothing to report by design (an optional source absent or not configured, or not read yet) rather than failing; its success is then 0 and it exports nothing. Absent otherwise.",
		Labels: []string{"collector"}, Bound: "one series per enabled collector with no data",
	}
	scrapeSuccessSpec = MetricSpec{
		Name: "kube_reliability_scrape_collector_success", Type: Gauge, Stability: Stable,
		Help:   "1 if the collector succeeded in the last scrape, 0 if its state is unknown (failed, timed out, or caches not synced) and it exported nothing.",
		Labels: []string{"collector"}, Bound: "one series per enabled collector",
	}
)

// graceAfterDeadline is how long a scrape waits past a collector's
// deadline for it to return before giving up on it, so one collector
// ignoring its context cannot hang every scrape.
const graceAfterDeadline = time.Second

// Versioned is implemented by collectors whose output changes only when
// their sources do. While Version returns what it returned before the last
// successful Update, that output is served again without calling Update:
// scrapes of an unchanged cluster, the two of an HA pair of Prometheus
// servers among them, cost no analysis and no encoding.
type Versioned interface {
	Version() uint64
}

type running struct {
	spec   *Spec
	c      Collector
	logger *slog.Logger
	// hints are the last output's bytes per family, to size buffers
	// (under Set.runMu).
	hints map[string]int
	// updates counts runs of Update.
	updates atomic.Uint64
	// A collector failing on every scrape (its source down: the API
	// server, etcd) is logged when it starts failing, then at most once
	// per failureLogInterval with the failures left unlogged, and when it
	// recovers (under Set.runMu).
	failing  bool
	lastLog  time.Time
	unlogged int
}

// failureLogInterval bounds a failing collector's log to a line a minute
// however often it is scraped.
const failureLogInterval = time.Minute

// shared holds the analyses collectors (and the hypotheses) share within
// one Set: placement_detail reads placement's, the hypotheses read
// everyone's, and each runs once per change.
type shared struct {
	mu       sync.Mutex
	analyses map[string]any
	// hypotheses is the Set's evaluator, when that collector is enabled.
	hypotheses *Hypotheses
	// view reads the Set's families as last rendered; called by the
	// collectors that run last, during a refresh.
	view familyView
}

// output is what one collector produced for a scrape. Its text is kept
// until it is first compressed, then only its gzip member (a twentieth of
// the size: 26 MiB of text at 150,000 pods is 0.7 MiB compressed); text
// of minGzipBytes or more is compressed as soon as it is made. Once in
// Set.outputs, both change only under Set.mu.
type output struct {
	versioned bool
	version   uint64
	ok        bool
	noData    bool // failed with ErrNoData: nothing to report by design
	duration  time.Duration
	families  []*familyText // those with samples, in spec order; nil once gz is made
	gz        []byte        // the families' text as one gzip member
	// samples caches families parsed back for user-defined hypotheses
	// (under Set.mu), so an unchanged output is parsed once.
	samples map[string][]hypothesisfile.Sample
}

// text is an output's text as a scrape sees it: taken under Set.mu, so
// a later compression does not change what a scrape in progress writes.
type text struct {
	families []*familyText
	gz       []byte
}

// Set runs a selection of collectors and writes their exposition. It is a
// prometheus.Collector too (Collect parses the same text), for tests and
// registries.
type Set struct {
	collectors []running
	timeout    time.Duration
	logger     *slog.Logger
	duration   *prometheus.Desc
	success    *prometheus.Desc
	descs      map[string]*prometheus.Desc

	// runMu serialises refreshes: runs of the collectors whose source
	// changed.
	runMu sync.Mutex
	// mu guards outputs and inflight.
	mu      sync.Mutex
	outputs []*output
	// inflight, while a refresh runs, is closed when it ends: scrapes
	// meanwhile wait for it rather than start another.
	inflight chan struct{}
	// scrapeWait bounds how long a scrape waits for a refresh once every
	// collector has an output (Settings.ScrapeWait; 0: until it ends).
	scrapeWait time.Duration
	shared     *shared
	// owner maps each collector family to its collector's index.
	owner map[string]int
	// afterCollect is Deps.AfterCollect.
	afterCollect func()
}

// Hypotheses returns the steady-state hypotheses of the Set, or nil when
// that collector is not enabled.
func (s *Set) Hypotheses() *Hypotheses { return s.shared.hypotheses }

// NewSet builds the collectors of specs. Each collector's logger is scoped
// with collector=<name>.
func NewSet(specs []*Spec, deps Deps, timeout time.Duration) (*Set, error) {
	s := &Set{
		timeout:      timeout,
		scrapeWait:   deps.Settings.ScrapeWait,
		afterCollect: deps.AfterCollect,
		logger:       deps.Logger,
		duration:     desc(&scrapeDurationSpec),
		success:      desc(&scrapeSuccessSpec),
		descs:        map[string]*prometheus.Desc{},
		owner:        map[string]int{},
	}
	s.descs[scrapeDurationSpec.Name], s.descs[scrapeSuccessSpec.Name] = s.duration, s.success
	s.descs[collectorUpdatesSpec.Name] = desc(&collectorUpdatesSpec)
	s.descs[scrapeNoDataSpec.Name] = desc(&scrapeNoDataSpec)
	s.shared = &shared{analyses: map[string]any{}}
	deps.shared = s.shared
	for _, spec := range specs {
		d := deps
		d.Logger = deps.Logger.With("collector", spec.Name)
		c, err := spec.New(d)
		if errors.Is(err, ErrExemptionsFile) {
			return nil, err // a setting's error, named by the caller
		}
		if err != nil {
			return nil, errors.Join(errors.New("collector "+spec.Name), err)
		}
		for i := range spec.Metrics {
			m := &spec.Metrics[i]
			if _, dup := s.descs[m.Name]; dup {
				return nil, fmt.Errorf("collector %s: metric %s is declared twice", spec.Name, m.Name)
			}
			s.descs[m.Name] = desc(m)
		}
		for i := range spec.Metrics {
			s.owner[spec.Metrics[i].Name] = len(s.collectors)
		}
		s.collectors = append(s.collectors, running{spec: spec, c: c, logger: d.Logger, hints: map[string]int{}})
	}
	s.outputs = make([]*output, len(s.collectors))
	s.shared.view = s.view
	if h := s.shared.hypotheses; h != nil {
		h.refresh = func() { s.render(false, false, 0) }
		if h.user != nil {
			h.user.Known = s.family
			if err := h.user.Load(); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrHypothesesFile, err)
			}
		}
	}
	return s, nil
}

// family reports the labels of a collector family the Set serves.
func (s *Set) family(name string) ([]string, bool) {
	i, ok := s.owner[name]
	if !ok {
		return nil, false
	}
	for _, m := range s.collectors[i].spec.Metrics {
		if m.Name == name {
			return m.Labels, true
		}
	}
	return nil, false
}

// view hands out a family's samples as its collector last produced them.
// Called by the collectors that run last, during a refresh (the first
// round's outputs are in place).
func (s *Set) view(family string) ([]hypothesisfile.Sample, error) {
	i, ok := s.owner[family]
	if !ok {
		return nil, fmt.Errorf("family %s is not served (its collector is disabled)", family)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, name := s.outputs[i], s.collectors[i].spec.Name
	switch {
	case o == nil:
		return nil, fmt.Errorf("collector %s has not run yet", name)
	case o.noData:
		return nil, fmt.Errorf("collector %s has no data", name)
	case !o.ok:
		return nil, fmt.Errorf("collector %s failed or is not synced (kube_reliability_scrape_collector_success 0)", name)
	}
	if got, ok := o.samples[family]; ok {
		return got, nil
	}
	var text bytes.Buffer
	if o.families == nil && o.gz != nil {
		if err := gunzipTo(&text, o.gz); err != nil {
			return nil, err
		}
	} else {
		for _, f := range o.families {
			if f.spec.Name == family {
				text.Write(f.buf)
			}
		}
	}
	var out []hypothesisfile.Sample
	for line := range bytes.Lines(text.Bytes()) {
		if !bytes.HasPrefix(line, []byte(family)) {
			continue
		}
		got, sample, err := hypothesisfile.ParseLine(string(bytes.TrimSuffix(line, []byte("\n"))))
		if err != nil || got != family {
			continue // a comment, or another family sharing the prefix
		}
		out = append(out, sample)
	}
	if o.samples == nil {
		o.samples = map[string][]hypothesisfile.Sample{}
	}
	o.samples[family] = out
	return out, nil
}

func desc(m *MetricSpec) *prometheus.Desc {
	return prometheus.NewDesc(m.Name, m.Help, m.Labels, nil)
}

// exposition is one scrape's output: each collector's, then the scrape
// meta-metrics.
type exposition struct {
	outputs []text
	meta    []*familyText
	gzipped bool
}

// minGzipBytes is the least exposition text a scrape compresses unasked
// (Scrape): below it, gzip saves a few kB on the wire and costs a
// compressor's state, over 1 MB made anew for most scrapes. The agent's
// exposition, on every node, is about 20 kB; central's, at 150,000 pods,
// 26 MiB.
const minGzipBytes = 256 << 10

// render brings every collector's output up to date (refresh) and returns
// the exposition. With gzipped, every output gets its gzip member, unless
// plainIfSmall is true and the whole text is under minGzipBytes (then the
// exposition is plain).
//
// Every call starts a refresh unless one is under way, then waits for it:
// until it ends while some collector has no output yet or wait is 0, else
// at most wait. Past that the last outputs are served and the refresh
// goes on for the next scrape: while a large cluster rolls out, a round
// of analysis takes seconds with the API server on the other core, and a
// scrape that waited for it would come seconds late or time out.
func (s *Set) render(gzipped, plainIfSmall bool, wait time.Duration) exposition {
	s.mu.Lock()
	done := s.inflight
	if done == nil {
		done = make(chan struct{})
		s.inflight = done
		go func() {
			s.refresh()
			s.mu.Lock()
			s.inflight = nil
			s.mu.Unlock()
			close(done)
		}()
	}
	complete := !slices.Contains(s.outputs, nil)
	s.mu.Unlock()
	if complete && wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-done:
		case <-t.C:
		}
		t.Stop()
	} else {
		<-done
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expose(gzipped, plainIfSmall)
}

// refresh runs the collectors whose version changed since their last
// success (or that have none), concurrently, each under its own deadline.
// An output of minGzipBytes or more is compressed as soon as it is made.
//
// At most GOMAXPROCS collectors run at once: more cannot finish sooner,
// and each analysis holds its working set while it runs, which the GC's
// heap goal then grows by.
func (s *Set) refresh() {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	// Two rounds: the collectors that read the others' output run after.
	for _, last := range []bool{false, true} {
		var wg sync.WaitGroup
		for i := range s.collectors {
			r := &s.collectors[i]
			if r.spec.RunsLast != last {
				continue
			}
			v, versioned := r.c.(Versioned)
			var version uint64
			if versioned {
				// Read before Update: a change racing with it only causes
				// one more run later, never a stale output kept.
				version = v.Version()
				s.mu.Lock()
				prev := s.outputs[i]
				s.mu.Unlock()
				if prev != nil && prev.ok && prev.versioned && prev.version == version {
					continue
				}
			}
			r.updates.Add(1)
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				o := s.run(r)
				o.versioned, o.version = versioned, version
				if o.textBytes() >= minGzipBytes {
					// Compressed while its collector holds a slot: the
					// texts of all collectors are never in memory at once
					// (26 MiB at 150,000 pods, a twentieth as gzip). A rare
					// plain scrape decompresses it.
					o.gz, o.families = gzipFamilies(o.families), nil
				}
				s.mu.Lock()
				s.outputs[i] = o
				s.mu.Unlock()
			})
		}
		wg.Wait()
	}
	if s.afterCollect != nil {
		s.afterCollect()
	}
}

// expose builds the exposition from the outputs (under s.mu).
func (s *Set) expose(gzipped, plainIfSmall bool) exposition {
	duration, success := newFamilyText(&scrapeDurationSpec), newFamilyText(&scrapeSuccessSpec)
	updates, noData := newFamilyText(&collectorUpdatesSpec), newFamilyText(&scrapeNoDataSpec)
	for i, o := range s.outputs {
		name := []string{s.collectors[i].spec.Name}
		duration.appendSample(o.duration.Seconds(), name)
		updates.appendSample(float64(s.collectors[i].updates.Load()), name)
		ok := 0.0
		if o.ok {
			ok = 1
		}
		success.appendSample(ok, name)
		if o.noData {
			noData.appendSample(1, name)
		}
	}
	var x exposition
	for _, f := range []*familyText{duration, success, noData, updates} {
		if f.n > 0 {
			x.meta = append(x.meta, f)
		}
	}
	if gzipped && plainIfSmall {
		gzipped = worthGzip(s.outputs)
	}
	x.gzipped = gzipped
	for _, o := range s.outputs {
		if gzipped && o.gz == nil && len(o.families) > 0 {
			o.gz, o.families = gzipFamilies(o.families), nil
		}
		x.outputs = append(x.outputs, text{families: o.families, gz: o.gz})
	}
	return x
}

// Expose writes the exposition of one scrape in the text format (0.0.4):
// with gzipped, as a series of gzip members (RFC 1952 §2.2), the unchanged
// collectors' members as they were compressed before.
func (s *Set) Expose(w io.Writer, gzipped bool) error {
	return s.render(gzipped, false, 0).write(w)
}

// Scrape writes the exposition of one scrape as Expose does, gzipped only
// when acceptGzip and it is worth it (minGzipBytes). It calls begin with
// that choice before writing: the HTTP handler sets its headers then.
func (s *Set) Scrape(w io.Writer, acceptGzip bool, begin func(gzipped bool) error) error {
	x := s.render(acceptGzip, true, s.scrapeWait)
	if err := begin(x.gzipped); err != nil {
		return err
	}
	return x.write(w)
}

// worthGzip: some outputs are compressed already (their text is gone), or
// the text to write is at least minGzipBytes.
func worthGzip(outputs []*output) bool {
	n := 0
	for _, o := range outputs {
		if o.gz != nil {
			return true
		}
		n += o.textBytes()
	}
	return n >= minGzipBytes
}

// textBytes is the size of the output's text while it is kept.
func (o *output) textBytes() int {
	n := 0
	for _, f := range o.families {
		n += len(f.buf)
	}
	return n
}

func (x exposition) write(w io.Writer) error {
	if !x.gzipped {
		for _, o := range x.outputs {
			if o.families == nil && o.gz != nil {
				// Compressed for an earlier scrape: plain scrapes are rare.
				if err := gunzipTo(w, o.gz); err != nil {
					return err
				}
				continue
			}
			if err := writeFamilies(w, o.families); err != nil {
				return err
			}
		}
		return writeFamilies(w, x.meta)
	}
	for _, o := range x.outputs {
		if _, err := w.Write(o.gz); err != nil {
			return err
		}
	}
	_, err := w.Write(gzipFamilies(x.meta))
	return err
}

func writeFamilies(w io.Writer, fams []*familyText) error {
	var header []byte
	for _, f := range fams {
		header = appendHeader(header[:0], f.spec)
		if _, err := w.Write(header); err != nil {
			return err
		}
		if _, err := w.Write(f.buf); err != nil {
			return err
		}
	}
	return nil
}

// gzipWriters are reused: a new compressor allocates over 1 MB of state.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed) // the level is valid
	return zw
}}

// gzipFamilies compresses fams' text as one gzip member. BestSpeed: the
// text compresses some 15-fold anyway, at a third of the default's CPU.
func gzipFamilies(fams []*familyText) []byte {
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	_ = writeFamilies(zw, fams) // writes to memory do not fail
	_ = zw.Close()
	return buf.Bytes()
}

func gunzipTo(w io.Writer, gz []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return fmt.Errorf("cached exposition: %w", err)
	}
	if _, err := io.Copy(w, zr); err != nil {
		return fmt.Errorf("cached exposition: %w", err)
	}
	return nil
}

// Describe sends every family any selected collector may emit, so the
// registry checks them all (no unchecked collectors).
func (s *Set) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range s.descs {
		ch <- d
	}
}

// Collect sends one scrape's metrics, parsed back from the exposition the
// exporter serves: registries and tests check exactly that text.
func (s *Set) Collect(ch chan<- prometheus.Metric) {
	var buf bytes.Buffer
	_ = s.Expose(&buf, false) // writes to memory do not fail
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(&buf)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(s.duration, fmt.Errorf("exposition does not parse: %w", err))
		return
	}
	for name, mf := range fams {
		d, ok := s.descs[name]
		if !ok {
			ch <- prometheus.NewInvalidMetric(s.duration, fmt.Errorf("exposition holds undeclared family %s", name))
			continue
		}
		for _, m := range mf.Metric {
			// Registries expect label pairs sorted by name.
			slices.SortFunc(m.Label, func(a, b *dto.LabelPair) int { return cmp.Compare(a.GetName(), b.GetName()) })
			ch <- parsedMetric{d, m}
		}
	}
}

type parsedMetric struct {
	desc *prometheus.Desc
	m    *dto.Metric
}

func (p parsedMetric) Desc() *prometheus.Desc { return p.desc }

func (p parsedMetric) Write(out *dto.Metric) error {
	out.Label, out.Gauge, out.Counter, out.Untyped = p.m.Label, p.m.Gauge, p.m.Counter, p.m.Untyped
	return nil
}

func (s *Set) run(r *running) *output {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	start := time.Now()
	e := newEmitter(r.spec.Metrics, r.hints)
	done := make(chan error, 1)
	go func() {
		defer func() {
			// A bug in one collector must not take the exporter down.
			if p := recover(); p != nil {
				done <- errors.New("collector panicked")
				r.logger.Error("collector panicked", "err", p)
			}
		}()
		done <- r.c.Update(ctx, e)
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(s.timeout + graceAfterDeadline):
		err = errors.New("collector did not return after its deadline")
	}
	d := time.Since(start)
	if err == nil {
		err = e.err
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err == nil || errors.Is(err, ErrNoData) || errors.Is(err, sourcestatus.ErrNotSynced) {
		if r.failing {
			r.logger.Info("collector succeeds again", "failures_unlogged", r.unlogged)
			r.failing, r.unlogged = false, 0
		}
	}
	switch {
	case err == nil:
		o := &output{ok: true, duration: d}
		for i := range r.spec.Metrics {
			f := e.families[r.spec.Metrics[i].Name]
			r.hints[f.spec.Name] = len(f.buf)
			if f.n > 0 {
				o.families = append(o.families, f)
			}
		}
		return o
	case errors.Is(err, ErrNoData):
		r.logger.Debug("collector has no data", "err", err, "duration_seconds", d.Seconds())
		return &output{duration: d, noData: true}
	case errors.Is(err, sourcestatus.ErrNotSynced):
		r.logger.Debug("collector has no data", "err", err, "duration_seconds", d.Seconds())
	case !r.failing || time.Since(r.lastLog) >= failureLogInterval:
		r.logger.Error("collector failed", "err", err, "duration_seconds", d.Seconds(), "failures_unlogged", r.unlogged)
		r.failing, r.lastLog, r.unlogged = true, time.Now(), 0
	default:
		r.unlogged++
	}
	return &output{duration: d}
}
