package audit

import (
	"fmt"
	"io"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kube-reliability/kube-reliability-exporter/internal/policyreport"
)

// writePolicyReports writes the findings, and the accepted ones as skip,
// as PolicyReports and a ClusterPolicyReport in a YAML stream (kubectl
// apply -f reads it).
func (r Report) writePolicyReports(w io.Writer, now time.Time) error {
	for i, rep := range policyreport.Build(r.Findings, r.Ignored, now) {
		b, err := yaml.Marshal(rep)
		if err != nil {
			return fmt.Errorf("policy report: %w", err)
		}
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
