package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/kube-reliability/kube-reliability-exporter/internal/hypotheses"
)

// Hypotheses answers steady-state hypotheses (collector.Hypotheses does).
type Hypotheses interface {
	All() []hypotheses.Answer
	Get(name string) (hypotheses.Answer, bool)
}

// hypothesesHandler serves GET /hypotheses (every answer, 200) and GET
// /hypotheses/<name>: 200 when the hypothesis holds, 503 when it does not
// or is not known, 404 for no such hypothesis. GET /hypotheses?all, or
// ?require=a,b (repeatable), is the go/no-go: 200 only when every one
// (or every named one) holds, else 503 naming those that do not and those
// not known; naming no such hypothesis is a 404. Health checks that pass
// on 200 alone (Krkn's, a Cerberus-style gate) read it. The Content-Type
// is exactly application/json: Chaos Toolkit parses a body only then.
func hypothesesHandler(h Hypotheses, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.Trim(strings.TrimPrefix(r.URL.Path, "/hypotheses"), "/")
		var body any
		code := http.StatusOK
		q := r.URL.Query()
		_, all := q["all"]
		if name == "" && (all || q.Has("require")) {
			v, missing := goNoGo(h, all, q["require"])
			if len(missing) > 0 {
				http.Error(w, "no such hypothesis: "+strings.Join(missing, ", "), http.StatusNotFound)
				return
			}
			if !v.Holds {
				code = http.StatusServiceUnavailable
			}
			body = v
		} else if name == "" {
			body = struct {
				Hypotheses []hypotheses.Answer `json:"hypotheses"`
			}{h.All()}
		} else {
			a, ok := h.Get(name)
			if !ok {
				http.Error(w, "no such hypothesis: "+name, http.StatusNotFound)
				return
			}
			if a.Holds == nil || !*a.Holds {
				code = http.StatusServiceUnavailable
			}
			body = a
		}
		// Expressions hold < and >: no HTML escaping, the body is read by
		// people too.
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(body); err != nil {
			logger.Error("encode hypotheses", "err", err)
			http.Error(w, "encode: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_, _ = w.Write(b.Bytes())
	}
}

// Verdict is the go/no-go over several hypotheses.
type Verdict struct {
	// Holds: every hypothesis asked for holds (unknown is never a pass).
	Holds bool `json:"holds"`
	// Failing are those that do not hold; Unknown those not known yet.
	Failing    []string            `json:"failing"`
	Unknown    []string            `json:"unknown"`
	Hypotheses []hypotheses.Answer `json:"hypotheses"`
}

// goNoGo judges every hypothesis (all) or those named in require
// (comma-separated, repeatable); missing lists names that do not exist.
func goNoGo(h Hypotheses, all bool, require []string) (v Verdict, missing []string) {
	v.Failing, v.Unknown = []string{}, []string{}
	var answers []hypotheses.Answer
	if all {
		answers = h.All()
	} else {
		seen := map[string]bool{}
		for _, r := range require {
			for _, n := range strings.Split(r, ",") {
				n = strings.TrimSpace(n)
				if n == "" || seen[n] {
					continue
				}
				seen[n] = true
				a, ok := h.Get(n)
				if !ok {
					missing = append(missing, n)
					continue
				}
				answers = append(answers, a)
			}
		}
	}
	v.Hypotheses = answers
	for _, a := range answers {
		switch {
		case a.Holds == nil:
			v.Unknown = append(v.Unknown, a.Name)
		case !*a.Holds:
			v.Failing = append(v.Failing, a.Name)
		}
	}
	// Nothing asked for holds nothing: an empty set is no go.
	v.Holds = len(answers) > 0 && len(v.Failing) == 0 && len(v.Unknown) == 0
	return v, missing
}
