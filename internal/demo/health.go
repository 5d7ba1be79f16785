package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// healthPort is where the demo cluster's health workloads probe
// (hack/gen-demo-cluster.py, HEALTH_PORT).
const healthPort = 18081

// healthResponses are what the demo cluster's pods (at loopback pod IPs)
// answer on their probe paths: one format each, dependencies by Service
// name.
var healthResponses = map[string]map[string]struct{ contentType, body string }{
	"127.0.0.51": { // api: readiness lists inventory and an external payment API; liveness too
		"/ping":   {"application/health+json", `{"status":"pass","checks":{"inventory:responseTime":[{"componentType":"component","observedValue":12,"observedUnit":"ms","status":"pass"}],"payments.example.com:responseTime":[{"componentId":"payments.example.com","componentType":"component","status":"pass"}],"uptime":[{"componentType":"system","observedValue":86400,"status":"pass"}]}}`},
		"/health": {"application/vnd.spring-boot.actuator.v3+json", `{"status":"UP","components":{"inventory":{"status":"UP"},"livenessState":{"status":"UP"}}}`},
	},
	"127.0.0.52": { // inventory: Spring Boot, depends on pricing
		"/ping":   {"application/vnd.spring-boot.actuator.v3+json", `{"status":"UP","components":{"pricing":{"status":"UP"},"diskSpace":{"status":"UP"},"ping":{"status":"UP"}}}`},
		"/health": {"application/vnd.spring-boot.actuator.v3+json", `{"status":"UP"}`},
	},
	"127.0.0.53": { // pricing: plain text, no dependencies
		"/ping": {"text/plain", "OK"},
	},
	"127.0.0.54": { // accounts: MicroProfile, checks notifications
		"/ping": {"application/json", `{"status":"UP","checks":[{"name":"notifications","status":"UP"},{"name":"heap-memory","status":"UP"}]}`},
	},
	"127.0.0.55": { // notifications: health+json, checks accounts: a cycle
		"/ping": {"application/health+json", `{"status":"pass","checks":{"accounts:responseTime":[{"componentType":"component","status":"pass"}]}}`},
	},
}

// ServeHealth answers the demo cluster's probes on their loopback pod IPs
// until ctx ends; reports (127.0.0.56) redirects, which the fetcher never
// follows. An address that cannot be bound (another program has it) is
// skipped and its workload shows a fetch error, as it would in a cluster.
func ServeHealth(ctx context.Context) error {
	var errs []error
	serve := func(ip string, h http.Handler) {
		l, err := net.Listen("tcp", fmt.Sprintf("%s:%d", ip, healthPort))
		if err != nil {
			errs = append(errs, err)
			return
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(l) }()
		context.AfterFunc(ctx, func() { _ = srv.Close() })
	}
	for ip, paths := range healthResponses {
		mux := http.NewServeMux()
		for path, r := range paths {
			mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", r.contentType)
				_, _ = w.Write([]byte(r.body))
			})
		}
		serve(ip, mux)
	}
	serve("127.0.0.56", http.RedirectHandler("http://health.example.com/status", http.StatusFound))
	return errors.Join(errs...)
}
