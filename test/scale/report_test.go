package scale

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

type row struct {
	name, unit string
	goal       string
	value      func(Result) float64
}

const mib = 1 << 20

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func scrapeSeconds(r Result) []float64 {
	var out []float64
	for _, s := range r.Scrapes {
		out = append(out, s.Seconds)
	}
	return out
}

func scrapeAllocs(r Result) []float64 {
	var out []float64
	for _, s := range r.Scrapes[1:] { // the first follows start-up
		out = append(out, s.AllocBytes)
	}
	return out
}

var rows = []row{
	{"time to ready", "s", "≤ 30 s", func(r Result) float64 { return r.ReadySeconds }},
	{"peak RSS at ready (VmHWM)", "MiB", "≤ 1.5 × steady", func(r Result) float64 { return float64(r.PeakRSSAtReady) / mib }},
	{"RSS at ready", "MiB", "", func(r Result) float64 { return float64(r.RSSAtReady) / mib }},
	{"RSS after 5 scrapes", "MiB", "≤ 200 MiB", func(r Result) float64 { return float64(r.RSSAfter5) / mib }},
	{"RSS after the soak", "MiB", "≤ 200 MiB, flat", func(r Result) float64 { return float64(r.RSSAfterSoak) / mib }},
	{"… of which its own memory (RssAnon)", "MiB", "", memoryClass("rssanon")},
	{"… of which pages of its binary (RssFile)", "MiB", "", memoryClass("rssfile")},
	{"peak RSS over the run (VmHWM)", "MiB", "≤ 300 MiB", func(r Result) float64 { return float64(r.PeakRSSEnd) / mib }},
	{"peak RSS, first 5 scrapes", "MiB", "≤ 300 MiB", phasePeak(func(r Result) uint64 { return r.PeakRSSFirstScrapes })},
	{"peak RSS, churn", "MiB", "≤ 300 MiB", phasePeak(func(r Result) uint64 { return r.PeakRSSChurn })},
	{"peak RSS, rollout", "MiB", "≤ 300 MiB", phasePeak(func(r Result) uint64 { return r.PeakRSSRollout })},
	{"peak RSS, soak", "MiB", "≤ 300 MiB", phasePeak(func(r Result) uint64 { return r.PeakRSSSoak })},
	{"Go heap in use after 5 scrapes", "MiB", "", func(r Result) float64 { return r.HeapInuseAfter5 / mib }},
	{"Go heap in use at the end", "MiB", "", func(r Result) float64 { return r.HeapInuseEnd / mib }},
	{"Go heap at the end per pod", "bytes", "", func(r Result) float64 { return r.HeapInuseEnd / float64(r.Shape.Pods) }},
	{"Go heap at the end per workload (10 pods)", "KB", "", func(r Result) float64 { return r.HeapInuseEnd / float64(r.Shape.Deployments) / 1e3 }},
	{"allocated per scrape (median of 4)", "MB", "≤ 50 MB", func(r Result) float64 { return median(scrapeAllocs(r)) / 1e6 }},
	{"series", "", "≤ 250,000", func(r Result) float64 { return float64(r.Series) }},
	{"/metrics bytes", "MiB", "≤ 30 MiB", func(r Result) float64 { return float64(r.MetricsBytes) / mib }},
	{"/metrics bytes, gzip", "MiB", "", func(r Result) float64 { return float64(r.GzipBytes) / mib }},
	{"scrape time, min", "s", "", func(r Result) float64 { return slices.Min(scrapeSeconds(r)) }},
	{"scrape time, median", "s", "≤ 1 s", func(r Result) float64 { return median(scrapeSeconds(r)) }},
	{"scrape time, max", "s", "", func(r Result) float64 { return slices.Max(scrapeSeconds(r)) }},
	{"CPU per idle minute (scrape every 30 s)", "s", "≤ 1.2 s", func(r Result) float64 { return r.IdleCPUPerMin }},
	{"CPU per minute of churn", "s", "", func(r Result) float64 { return r.ChurnCPUPerMin }},
	{"slowest scrape during churn", "s", "", func(r Result) float64 { return r.ChurnScrapeMax }},
	{"slowest placement collector during churn", "s", "", func(r Result) float64 { return r.ChurnCollectorMax["placement"] }},
	{"slowest health collector during churn", "s", "", func(r Result) float64 { return r.ChurnCollectorMax["health"] }},
	{"placement analyses during churn (scrapes every 15 s)", "", "bounded", func(r Result) float64 { return r.Analyses }},
	{"Deployments rolled out (5 at a time)", "", "", rolloutFigure(func(r Result) float64 { return float64(r.RolloutDeployments) })},
	{"rollout duration", "s", "", rolloutFigure(func(r Result) float64 { return r.RolloutSeconds })},
	{"CPU per minute of rollout", "s", "", rolloutFigure(func(r Result) float64 { return r.RolloutCPUPerMin })},
	{"slowest scrape during rollout", "s", "≤ 1 s", rolloutFigure(func(r Result) float64 { return r.RolloutScrapeMax })},
	{"firing alerts, configuration debt", "", "≤ 1 per namespace and rule", alertFigure(func(a *AlertCounts) int { return a.Debt })},
	{"most debt alerts of one namespace and rule", "", "1", alertFigure(func(a *AlertCounts) int { return a.DebtMaxPerNamespaceRule })},
	{"firing alerts, incidents", "", "what the cluster has", alertFigure(func(a *AlertCounts) int { return a.Incident })},
	{"Alertmanager notifications (a route per team)", "", "", alertFigure(func(a *AlertCounts) int { return a.Notifications })},
	{"firing alerts with the rules before issue 25", "", "", alertFigure(func(a *AlertCounts) int {
		if a.Before == 0 {
			return -1
		}
		return a.Before
	})},
}

// phasePeak reads a phase's peak RSS in MiB, NaN where it was not
// measured (results before the phases were).
func phasePeak(f func(Result) uint64) func(Result) float64 {
	return func(r Result) float64 {
		if f(r) == 0 {
			return math.NaN()
		}
		return float64(f(r)) / mib
	}
}

// memoryClass reads one class of the memory after the soak, NaN where the
// run did not record it.
func memoryClass(name string) func(Result) float64 {
	return func(r Result) float64 {
		v, ok := r.MemoryAfterSoak[name]
		if !ok {
			return math.NaN()
		}
		return v / mib
	}
}

// rolloutFigure reads a rollout figure, NaN where no rollout was run.
func rolloutFigure(f func(Result) float64) func(Result) float64 {
	return func(r Result) float64 {
		if r.RolloutDeployments == 0 {
			return math.NaN()
		}
		return f(r)
	}
}

// alertFigure reads an alert count, NaN where none was measured.
func alertFigure(f func(*AlertCounts) int) func(Result) float64 {
	return func(r Result) float64 {
		if r.Alerts == nil || f(r.Alerts) < 0 {
			return math.NaN()
		}
		return float64(f(r.Alerts))
	}
}

// report renders every size side by side, with each figure's growth
// against pods between the two largest sizes (1: linear).
func report(all []Result) string {
	var b strings.Builder
	b.WriteString("# Central at scale (generated by `make bench-scale`; do not edit)\n\n")
	b.WriteString("A real kube-apiserver filled with Deployments of 10 ready replicas (ReplicaSets, probes, requests,\n")
	b.WriteString("managed fields), 30 pods per node in 3 zones; central started with default settings, scraped\n")
	b.WriteString("as Prometheus does (gzip). See test/scale and docs/architecture.md.\n\n")
	for _, r := range all {
		fmt.Fprintf(&b, "- %d pods: %s, commit %s, %s; fill %.0f s; soak %.0f s; churn %.0f pods/s\n",
			r.Shape.Pods, r.Date.Format("2006-01-02 15:04 UTC"), r.Commit, r.Machine, r.FillSeconds, r.SoakSeconds, r.ChurnPodsPerSecond)
	}
	b.WriteString("\n| figure | goal at 150k |")
	for _, r := range all {
		fmt.Fprintf(&b, " %s pods / %s nodes |", thousands(r.Shape.Pods), thousands(r.Shape.Nodes))
	}
	b.WriteString(" growth |\n|---|---|")
	for range all {
		b.WriteString("---|")
	}
	b.WriteString("---|\n")
	for _, row := range rows {
		fmt.Fprintf(&b, "| %s | %s |", strings.TrimSpace(row.name+" ("+row.unit+")"), row.goal)
		var vals []float64
		for _, r := range all {
			v := row.value(r)
			vals = append(vals, v)
			fmt.Fprintf(&b, " %s |", format(v))
		}
		fmt.Fprintf(&b, " %s |\n", growth(all, vals))
	}
	return strings.ReplaceAll(b.String(), " ()", "")
}

func format(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v >= 1000:
		return thousands(int(math.Round(v)))
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// growth is the exponent k in value ∝ pods^k between the two largest
// sizes: 1 grows linearly with the cluster, 0 not at all.
func growth(all []Result, vals []float64) string {
	n := len(all)
	if n < 2 {
		return "—"
	}
	p1, p2 := float64(all[n-2].Shape.Pods), float64(all[n-1].Shape.Pods)
	v1, v2 := vals[n-2], vals[n-1]
	if v1 <= 0 || v2 <= 0 || math.IsNaN(v1) || math.IsNaN(v2) {
		return "—"
	}
	return fmt.Sprintf("pods^%.2f", math.Log(v2/v1)/math.Log(p2/p1))
}
