package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/kelseyhightower/envconfig"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kube-reliability/kube-reliability-exporter/etcd"
	"github.com/kube-reliability/kube-reliability-exporter/internal/targets"
)

// Prefix is the environment prefix: variables are RELIABILITY_<FIELD>.
const Prefix = "reliability"

// Config is the exporter's whole configuration. The modes tag lists the
// modes a variable applies to (empty: all), for --help.
type Config struct {
	ListenAddress string `split_words:"true" default:":9759" modes:"central,agent,demo" desc:"host:port to serve /metrics, /healthz, /readyz on (demo defaults to 127.0.0.1:9759)"`
	WebConfigFile string `split_words:"true" modes:"central,agent,demo" desc:"path of a Prometheus exporter-toolkit web config file (TLS, basic auth); re-read on each TLS handshake"`

	LogLevel  string `split_words:"true" default:"info" desc:"log level: debug, info, warn or error"`
	LogFormat string `split_words:"true" desc:"log format: json or text (default: json for central, text for audit and demo)"`

	CollectorsEnabled     []string      `split_words:"true" modes:"central,agent,demo" desc:"comma-separated collectors to enable in addition to the defaults"`
	CollectorsDisabled    []string      `split_words:"true" modes:"central,agent,demo" desc:"comma-separated collectors to disable"`
	CollectorTimeout      time.Duration `split_words:"true" default:"10s" modes:"central,agent,demo" desc:"deadline of one collector in one scrape; a collector past it exports nothing and success 0"`
	ExemptionsFile        string        `split_words:"true" modes:"central,demo,audit" desc:"YAML file of accepted findings (exemptions: [{rule, kind, namespace, name, reason}], patterns as path.Match; docs/findings.md): they neither fail an audit nor lower a score, and are counted apart; read at start-up, an error names the entry"`
	HypothesesFile        string        `split_words:"true" modes:"central,demo" desc:"YAML file of user-defined steady-state hypotheses over the exporter's own metric families (docs/hypotheses.md), served on /hypotheses with the built-ins; validated at start-up (an error names the file and line) and re-read when it changes"`
	AnalysisMinInterval   time.Duration `split_words:"true" default:"10s" modes:"central,demo" desc:"least time between two analyses of a changing cluster: during a rollout, scrapes within it are served the last result, so analysis costs at most one run per interval whatever the churn and however many Prometheus servers scrape (0: on every change)"`
	PolicyReports         bool          `split_words:"true" default:"false" modes:"central" desc:"keep wgpolicyk8s.io/v1alpha2 PolicyReports (per namespace) and a ClusterPolicyReport of the live findings in the cluster, for Kyverno's Policy Reporter; needs the PolicyReport CRDs and the optional write role of deploy/kustomize/policy-reports (docs/privileges.md)"`
	PolicyReportsInterval time.Duration `split_words:"true" default:"1m" modes:"central" desc:"least time between two writes of the PolicyReports (written only when the findings changed)"`
	ScrapeWait            time.Duration `split_words:"true" default:"500ms" modes:"central,agent,demo" desc:"longest a scrape waits for the collectors to catch up with a change once each has an output: past it the scrape is served their last output and they go on for the next one (a round of analysis at 150,000 pods takes seconds while Deployments roll out; 0: wait until they catch up)"`
	MaxRequestsInFlight   int           `split_words:"true" default:"4" modes:"central,agent,demo" desc:"concurrent /metrics requests served; more get HTTP 503"`
	ExporterMetrics       bool          `split_words:"true" default:"true" modes:"central,agent,demo" desc:"export the Go runtime, process and promhttp metrics of the exporter itself"`
	DebugPprof            bool          `split_words:"true" default:"false" modes:"central,agent,demo" desc:"serve Go's /debug/pprof profiles on the metrics port (heap and CPU profiles for cost investigations; leave off otherwise)"`

	Kubeconfig string `modes:"central,agent" desc:"path of a kubeconfig file; empty: $KUBECONFIG (a list), then ~/.kube/config, then the in-cluster service account, as kubectl finds it"`
	// Spelt Api/Qps so split_words yields KUBE_API_QPS: an envconfig:"NAME"
	// tag would also read the unprefixed NAME from the pod's environment.
	KubeApiQps   float32       `split_words:"true" default:"20" modes:"central,agent" desc:"client-side rate limit for API server requests (queries per second)"`
	KubeApiBurst int           `split_words:"true" default:"40" modes:"central,agent" desc:"client-side burst for API server requests"`
	ResyncPeriod time.Duration `split_words:"true" default:"0s" modes:"central" desc:"informer resync period; 0 disables resyncs (watches keep caches current)"`
	SyncTimeout  time.Duration `split_words:"true" default:"5m" modes:"central" desc:"how long to wait for the informer caches before logging that they are still not synced"`

	OwnerLabels        []string `split_words:"true" default:"team,owner" modes:"central,demo" desc:"comma-separated namespace labels naming the namespace's owner, first found wins: exported as the owner label of kube_reliability_namespace_owner_info, which every shipped alert with a namespace joins, so Alertmanager can route each team's alerts to it (docs/alerting.md)"`
	ExcludedNamespaces []string `split_words:"true" default:"kube-system,kube-public,kube-node-lease" desc:"comma-separated system namespaces left out of the requests/limits and quota analysis"`

	EtcdEndpoints       []string      `split_words:"true" modes:"central" desc:"comma-separated etcd client endpoints to poll, each [name=]https://host:2379; the name labels the member (default host:port); empty disables etcd polling"`
	EtcdCaFile          string        `split_words:"true" modes:"central" desc:"CA bundle verifying the etcd members' serving certificates"`
	EtcdCertFile        string        `split_words:"true" modes:"central" desc:"client certificate for etcd (with RELIABILITY_ETCD_KEY_FILE)"`
	EtcdKeyFile         string        `split_words:"true" modes:"central" desc:"client key for etcd"`
	EtcdTimeout         time.Duration `split_words:"true" default:"5s" modes:"central" desc:"deadline of one member's poll; a member slower than this is down"`
	EtcdPollInterval    time.Duration `split_words:"true" default:"30s" modes:"central" desc:"how often the members are polled; scrapes serve the last poll"`
	EtcdOldestMinor     string        `split_words:"true" default:"3.5" modes:"central" desc:"oldest supported etcd minor; older members are below minimum (3.4 is end of life)"`
	EtcdMinimumVersions []string      `split_words:"true" default:"3.4.22,3.5.6" modes:"central" desc:"per-minor patch floors (Kubernetes' recommended minimums by default)"`

	HealthLivenessRoutes   []string      `split_words:"true" default:"/health" modes:"central,audit,demo" desc:"comma-separated paths liveness probes are expected on"`
	HealthReadinessRoutes  []string      `split_words:"true" default:"/ping" modes:"central,audit,demo" desc:"comma-separated paths readiness probes are expected on"`
	HealthFetch            bool          `split_words:"true" default:"true" modes:"central,demo" desc:"read workloads' liveness and readiness endpoints (one ready pod each) for the dependencies their responses list; false: the graph comes from probe specs and annotations only"`
	HealthFetchInterval    time.Duration `split_words:"true" default:"60s" modes:"central,demo" desc:"how often every health endpoint is read"`
	HealthFetchTimeout     time.Duration `split_words:"true" default:"2s" modes:"central,demo" desc:"deadline of one health endpoint read, connect to last byte"`
	HealthFetchConcurrency int           `split_words:"true" default:"8" modes:"central,demo" desc:"health endpoint reads in flight at once"`
	HealthFetchesPerSecond float64       `split_words:"true" default:"20" modes:"central,demo" desc:"health endpoint reads started per second, at most"`
	HealthMaxBodyBytes     int64         `split_words:"true" default:"1048576" modes:"central,demo" desc:"largest health response read; a larger one is an error (too_large)"`
	HealthMaxJsonDepth     int           `split_words:"true" default:"32" modes:"central,demo" desc:"deepest JSON nesting of a health response; deeper is an error (too_deep)"`
	TLSProbe               bool          `split_words:"true" default:"true" modes:"central,demo" desc:"handshake with the TLS endpoints the objects name — Ingress and Gateway hosts at their status addresses, admission webhooks, aggregated APIs and the API server at their URL or their Service's ready pods or EndpointSlice addresses, never a ClusterIP (SNI set, no request sent, no Secret read) — to export what they serve; false: no certificate metrics"`
	TLSProbeInterval       time.Duration `split_words:"true" default:"5m" modes:"central,demo" desc:"how often every TLS host is probed"`
	TLSProbeTimeout        time.Duration `split_words:"true" default:"5s" modes:"central,demo" desc:"deadline of one TLS handshake, connect included"`
	TLSProbeConcurrency    int           `split_words:"true" default:"4" modes:"central,demo" desc:"TLS handshakes in flight at once"`
	TLSProbesPerSecond     float64       `split_words:"true" default:"10" modes:"central,demo" desc:"TLS handshakes started per second, at most"`
	TLSProbeCAFile         string        `split_words:"true" modes:"central" desc:"PEM bundle the served chains of Ingress and Gateway hosts are verified against (kube_reliability_certificate_verified; webhooks and APIServices are verified with their caBundle, the API server with the cluster CA); empty: the system's roots"`
	ClusterDomain          string        `split_words:"true" default:"cluster.local" modes:"central,audit,demo" desc:"DNS suffix of Services, to resolve names like svc.ns.svc.cluster.local in health checks"`

	ProcRoot               string        `split_words:"true" default:"/proc" modes:"agent" desc:"the host's /proc as mounted in the agent (hostPID: /proc/1 is the host's init)"`
	SysRoot                string        `split_words:"true" default:"/sys" modes:"agent" desc:"the host's /sys as mounted in the agent"`
	NginxSampleInterval    time.Duration `split_words:"true" default:"1s" modes:"agent" desc:"how often the agent samples nginx processes; reloads closer together than two intervals may be counted as one"`
	HostPid                string        `split_words:"true" default:"1" modes:"agent" desc:"process whose mount namespace and root are the host's: 1 (the host's init, with hostPID and CAP_SYS_PTRACE) or self (the agent's own, when it runs in the host's mount namespace)"`
	NginxStubStatusUrls    []string      `split_words:"true" modes:"agent" desc:"comma-separated nginx stub_status pages to read at each scrape, each [name=]http://host:port/path; the name labels the series (default host:port)"`
	NginxStubStatusTimeout time.Duration `split_words:"true" default:"2s" modes:"agent" desc:"deadline of one stub_status read; a slower page counts as a timeout"`
	NodeName               string        `split_words:"true" modes:"agent" desc:"this node's name (downward API spec.nodeName): the agent watches this node's Pods, read-only, to name the pod each nginx runs in; empty: instances carry no pod"`
	EtcdDataDir            string        `split_words:"true" default:"/var/lib/etcd" modes:"agent" desc:"etcd's data directory on the host; nodes without it export no etcd disk series"`

	AuditFormat        string   `split_words:"true" default:"text" modes:"audit" desc:"report format: text, json, sarif (SARIF 2.1.0, for code scanning) or policyreport (wgpolicyk8s.io/v1alpha2 PolicyReports per namespace and a ClusterPolicyReport, for Kyverno's Policy Reporter: kubectl apply -f -)"`
	AuditFailOn        string   `split_words:"true" default:"warning" modes:"audit" desc:"exit 1 when a finding is at or above this severity: info, warning, critical, or never"`
	AuditHelmValues    []string `split_words:"true" modes:"audit" desc:"comma-separated values files a Helm chart directory is rendered with (as helm template -f, later files win)"`
	AuditHelmRelease   string   `split_words:"true" default:"release" modes:"audit" desc:"release name a Helm chart directory is rendered as"`
	AuditHelmNamespace string   `split_words:"true" default:"default" modes:"audit" desc:"namespace a Helm chart directory is rendered into"`
	AuditMinScore      float64  `split_words:"true" default:"0" modes:"audit" desc:"exit 1 when the reliability score of the input (0-100, docs/score.md) is below this; 0: never"`

	DemoSnapshot string `split_words:"true" modes:"demo" desc:"path of a manifest file or directory to serve instead of the bundled example cluster"`
}

// Error is a configuration error naming the variable and the value.
type Error struct {
	Key, Value string
	Err        error
}

func (e *Error) Error() string {
	return fmt.Sprintf("invalid %s=%q: %v", e.Key, e.Value, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Key returns the environment variable of a field, as envconfig derives it.
func Key(field string) string {
	return "RELIABILITY_" + field
}

// Load parses the environment and validates the result.
func Load() (*Config, error) {
	var c Config
	if err := envconfig.Process(Prefix, &c); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			return nil, &Error{Key: pe.KeyName, Value: pe.Value, Err: pe.Err}
		}
		return nil, err
	}
	if err := unknownVariable(os.Environ()); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// unknownVariable refuses a RELIABILITY_ variable the exporter does not
// read: a misspelt one would otherwise be ignored without a word, and the
// default silently used. The error names the closest known variable.
func unknownVariable(environ []string) error {
	vars, err := Vars()
	if err != nil {
		return err
	}
	known := make([]string, len(vars))
	for i, v := range vars {
		known[i] = v.Key
	}
	for _, kv := range environ {
		key, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(key, strings.ToUpper(Prefix)+"_") || slices.Contains(known, key) {
			continue
		}
		best, dist := "", -1
		for _, k := range known {
			if d := editDistance(key, k); dist < 0 || d < dist {
				best, dist = k, d
			}
		}
		return &Error{Key: key, Value: value, Err: fmt.Errorf("not a variable the exporter reads (did you mean %s? the list: --help)", best)}
	}
	return nil
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Enums are the variables that take one of a few values.
var Enums = map[string][]string{
	Key("LOG_LEVEL"):     {"debug", "info", "warn", "error"},
	Key("LOG_FORMAT"):    {"", "json", "text"},
	Key("AUDIT_FORMAT"):  {"text", "json", "sarif", "policyreport"},
	Key("AUDIT_FAIL_ON"): {"info", "warning", "critical", "never"},
}

// Validate checks values envconfig cannot: enums, addresses, ranges.
func (c *Config) Validate() error {
	for _, check := range []func() error{c.validateServing, c.validateProbing, c.validateEtcd, c.validateAgent} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// validateServing checks the address, enums, limits and clients every
// mode shares.
func (c *Config) validateServing() error {
	oneOf := func(key, v string, allowed ...string) error {
		if !slices.Contains(allowed, v) {
			return &Error{key, v, fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))}
		}
		return nil
	}
	if err := validAddress(c.ListenAddress); err != nil {
		return &Error{Key("LISTEN_ADDRESS"), c.ListenAddress, err}
	}
	checks := []error{
		oneOf(Key("LOG_LEVEL"), c.LogLevel, Enums[Key("LOG_LEVEL")]...),
		oneOf(Key("LOG_FORMAT"), c.LogFormat, Enums[Key("LOG_FORMAT")]...),
		oneOf(Key("AUDIT_FORMAT"), c.AuditFormat, Enums[Key("AUDIT_FORMAT")]...),
		oneOf(Key("AUDIT_FAIL_ON"), c.AuditFailOn, Enums[Key("AUDIT_FAIL_ON")]...),
	}
	for _, err := range checks {
		if err != nil {
			return err
		}
	}
	if c.AuditMinScore < 0 || c.AuditMinScore > 100 || c.AuditMinScore != c.AuditMinScore {
		return &Error{Key("AUDIT_MIN_SCORE"), strconv.FormatFloat(c.AuditMinScore, 'g', -1, 64), errors.New("must be between 0 and 100")}
	}
	if c.CollectorTimeout <= 0 {
		return &Error{Key("COLLECTOR_TIMEOUT"), c.CollectorTimeout.String(), errors.New("must be positive")}
	}
	if c.MaxRequestsInFlight < 1 {
		return &Error{Key("MAX_REQUESTS_IN_FLIGHT"), strconv.Itoa(c.MaxRequestsInFlight), errors.New("must be at least 1")}
	}
	if c.KubeApiQps <= 0 {
		return &Error{Key("KUBE_API_QPS"), fmt.Sprint(c.KubeApiQps), errors.New("must be positive")}
	}
	if c.KubeApiBurst < 1 {
		return &Error{Key("KUBE_API_BURST"), strconv.Itoa(c.KubeApiBurst), errors.New("must be at least 1")}
	}
	if c.PolicyReportsInterval <= 0 {
		return &Error{Key("POLICY_REPORTS_INTERVAL"), c.PolicyReportsInterval.String(), errors.New("must be positive")}
	}
	if c.ScrapeWait < 0 {
		return &Error{Key("SCRAPE_WAIT"), c.ScrapeWait.String(), errors.New("must not be negative")}
	}
	if c.AnalysisMinInterval < 0 {
		return &Error{Key("ANALYSIS_MIN_INTERVAL"), c.AnalysisMinInterval.String(), errors.New("must not be negative")}
	}
	if c.ResyncPeriod < 0 {
		return &Error{Key("RESYNC_PERIOD"), c.ResyncPeriod.String(), errors.New("must not be negative")}
	}
	if c.SyncTimeout <= 0 {
		return &Error{Key("SYNC_TIMEOUT"), c.SyncTimeout.String(), errors.New("must be positive")}
	}
	for _, l := range c.OwnerLabels {
		if errs := validation.IsQualifiedName(l); len(errs) > 0 {
			return &Error{Key("OWNER_LABELS"), strings.Join(c.OwnerLabels, ","), fmt.Errorf("%q is not a label key: %s", l, strings.Join(errs, "; "))}
		}
	}
	return nil
}

// validateProbing checks the health fetcher's and the TLS prober's pace
// and bounds.
func (c *Config) validateProbing() error {
	for _, v := range []struct {
		key, value string
		bad        bool
	}{
		{"HEALTH_FETCH_INTERVAL", c.HealthFetchInterval.String(), c.HealthFetchInterval < time.Second},
		{"HEALTH_FETCH_TIMEOUT", c.HealthFetchTimeout.String(), c.HealthFetchTimeout <= 0},
		{"HEALTH_FETCH_CONCURRENCY", strconv.Itoa(c.HealthFetchConcurrency), c.HealthFetchConcurrency < 1},
		{"HEALTH_FETCHES_PER_SECOND", fmt.Sprint(c.HealthFetchesPerSecond), c.HealthFetchesPerSecond <= 0},
		{"HEALTH_MAX_BODY_BYTES", fmt.Sprint(c.HealthMaxBodyBytes), c.HealthMaxBodyBytes < 1},
		{"HEALTH_MAX_JSON_DEPTH", strconv.Itoa(c.HealthMaxJsonDepth), c.HealthMaxJsonDepth < 1},
		{"TLS_PROBE_INTERVAL", c.TLSProbeInterval.String(), c.TLSProbeInterval < time.Second},
		{"TLS_PROBE_TIMEOUT", c.TLSProbeTimeout.String(), c.TLSProbeTimeout <= 0},
		{"TLS_PROBE_CONCURRENCY", strconv.Itoa(c.TLSProbeConcurrency), c.TLSProbeConcurrency < 1},
		{"TLS_PROBES_PER_SECOND", fmt.Sprint(c.TLSProbesPerSecond), c.TLSProbesPerSecond <= 0},
	} {
		if v.bad {
			return &Error{Key(v.key), v.value, errors.New("must be positive (the fetch interval at least 1s)")}
		}
	}
	return nil
}

// validateEtcd checks the members to poll and how they are judged.
func (c *Config) validateEtcd() error {
	if _, err := etcd.ParseMembers(c.EtcdEndpoints); err != nil {
		return &Error{Key("ETCD_ENDPOINTS"), strings.Join(c.EtcdEndpoints, ","), err}
	}
	if _, err := etcd.ParseMinimum(c.EtcdOldestMinor, nil); err != nil {
		return &Error{Key("ETCD_OLDEST_MINOR"), c.EtcdOldestMinor, err}
	}
	if _, err := etcd.ParseMinimum("3.5", c.EtcdMinimumVersions); err != nil {
		return &Error{Key("ETCD_MINIMUM_VERSIONS"), strings.Join(c.EtcdMinimumVersions, ","), err}
	}
	if c.EtcdTimeout <= 0 {
		return &Error{Key("ETCD_TIMEOUT"), c.EtcdTimeout.String(), errors.New("must be positive")}
	}
	if c.EtcdPollInterval < c.EtcdTimeout {
		return &Error{Key("ETCD_POLL_INTERVAL"), c.EtcdPollInterval.String(), errors.New("must be at least RELIABILITY_ETCD_TIMEOUT")}
	}
	if (c.EtcdCertFile == "") != (c.EtcdKeyFile == "") {
		return &Error{Key("ETCD_CERT_FILE"), c.EtcdCertFile, errors.New("set together with RELIABILITY_ETCD_KEY_FILE")}
	}
	return nil
}

// validateAgent checks what the agent reads on its node.
func (c *Config) validateAgent() error {
	if _, err := targets.Parse("stub_status URL", c.NginxStubStatusUrls); err != nil {
		return &Error{Key("NGINX_STUB_STATUS_URLS"), strings.Join(c.NginxStubStatusUrls, ","), err}
	}
	if c.NginxStubStatusTimeout <= 0 {
		return &Error{Key("NGINX_STUB_STATUS_TIMEOUT"), c.NginxStubStatusTimeout.String(), errors.New("must be positive")}
	}
	if n, err := strconv.Atoi(c.HostPid); c.HostPid != "self" && (err != nil || n < 1) {
		return &Error{Key("HOST_PID"), c.HostPid, errors.New("must be a positive process id or self")}
	}
	if c.NginxSampleInterval < 10*time.Millisecond {
		return &Error{Key("NGINX_SAMPLE_INTERVAL"), c.NginxSampleInterval.String(), errors.New("must be at least 10ms")}
	}
	if !strings.HasPrefix(c.EtcdDataDir, "/") {
		return &Error{Key("ETCD_DATA_DIR"), c.EtcdDataDir, errors.New("must be an absolute path")}
	}
	return nil
}

func validAddress(a string) error {
	_, port, err := net.SplitHostPort(a)
	if err != nil {
		return err
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}

const usageFormat = `Environment variables ({{.Mode}}):
{{range .Vars}}
  {{.Key}}{{if .Default}} (default {{printf "%q" .Default}}){{end}}
      {{.Desc}}
{{- end}}
`

// Var is one environment variable: what the chart's values schema and the
// docs are made from.
type Var struct {
	Key, Default, Desc string
	// Modes the variable applies to (empty: all).
	Modes []string
	// Type is the Go type it parses into: bool, int, int64, float32,
	// float64, string, []string, time.Duration.
	Type string
}

// Vars lists every variable, in the order of the Config struct.
func Vars() ([]Var, error) {
	var out []Var
	collect := template.Must(template.New("collect").Funcs(template.FuncMap{
		"add": func(key, modes, def, desc string, field reflect.Value) string {
			v := Var{Key: key, Default: def, Desc: desc, Type: field.Type().String()}
			if modes != "" {
				v.Modes = strings.Split(modes, ",")
			}
			out = append(out, v)
			return ""
		},
	}).Parse(`{{range .}}{{add .Key (.Tags.Get "modes") (.Tags.Get "default") (.Tags.Get "desc") .Field}}{{end}}`))
	if err := envconfig.Usaget(Prefix, &Config{}, io.Discard, collect); err != nil {
		return nil, err
	}
	return out, nil
}

// Usage writes every variable that applies to mode ("" for all) with its
// default and meaning.
func Usage(w io.Writer, mode string) error {
	type v struct{ Key, Default, Desc string }
	var vars []v
	collect := template.Must(template.New("collect").Funcs(template.FuncMap{
		"add": func(key, modes, def, desc string) string {
			if mode == "" || modes == "" || slices.Contains(strings.Split(modes, ","), mode) {
				vars = append(vars, v{key, def, desc})
			}
			return ""
		},
	}).Parse(`{{range .}}{{add .Key (.Tags.Get "modes") (.Tags.Get "default") (.Tags.Get "desc")}}{{end}}`))
	if err := envconfig.Usaget(Prefix, &Config{}, io.Discard, collect); err != nil {
		return err
	}
	m := mode + " mode"
	if mode == "" {
		m = "all modes"
	}
	return template.Must(template.New("usage").Parse(usageFormat)).Execute(w, struct {
		Mode string
		Vars []v
	}{m, vars})
}
