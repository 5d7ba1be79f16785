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
// or is not known, 404 for no such hypothesis. The Content-Type is exactly
// application/json: Chaos Toolkit parses a body only then.
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
		if name == "" {
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
